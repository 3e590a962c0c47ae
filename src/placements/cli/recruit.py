"""``placements recruit [CASE_DIR] --profiles FILE [--target T ...] [--budget GBP] [--out DIR]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from placements.cli.common import KeyFileOption, PseudonymiseOption, console, fail, open_case, warn, write_guarded


def _gbp(v: Any) -> str:
    return "" if v is None else f"GBP {v:,.0f}"


def recruit_cmd(
    case_dir: Annotated[Path | None, typer.Argument(help="case folder (default: data/demo)")] = None,
    profiles: Annotated[
        Path | None, typer.Option(help="recruitable carer profiles, TOML (default: scenarios/recruit-profiles.toml)")
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option(help="all-placed, no-under12-residential or siblings-together; repeat to combine"),
    ] = None,
    budget: Annotated[
        float | None, typer.Option(help="GBP: the most this reaches instead of the cheapest mix for the target")
    ] = None,
    horizon_weeks: Annotated[int, typer.Option(help="weeks of a household's weekly cost counted in a mix's cost")] = 52,
    out: Annotated[Path, typer.Option(help="folder for recruit_*.csv and recruit_summary.json")] = Path("out"),
    as_of: Annotated[
        str | None, typer.Option(help="date ages are taken on, YYYY-MM-DD (default: policy, else today)")
    ] = None,
    time_limit: Annotated[float | None, typer.Option(help="seconds per solve (default: policy, else 60)")] = None,
    seed: Annotated[int | None, typer.Option(help="solver seed (default: policy, else 0)")] = None,
    max_iterations: Annotated[int, typer.Option(help="most mixes the engine is asked to confirm")] = 25,
    pseudonymise: PseudonymiseOption = False,
    key_file: KeyFileOption = None,
) -> None:
    """Cheapest mix of new carer households that reaches a target, or the most a budget reaches."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from placements.analysis.recruit.plan import plan_recruitment
    from placements.analysis.recruit.profiles import candidate_places, load_profiles
    from placements.analysis.recruit.targets import Target
    from placements.errors import InputError, Problem
    from placements.privacy.guard import Privacy
    from placements.privacy.results import protect_files
    from placements.resources import default_profiles

    overrides = {"time_limit_seconds": time_limit, "seed": seed}
    _, folder, pseudonymiser, problems = open_case(case_dir, out, as_of, pseudonymise, key_file, overrides)
    allowed = ", ".join(x.value for x in Target)
    targets = []
    for name in target or [Target.NO_UNDER12_RESIDENTIAL.value]:
        if name not in {x.value for x in Target}:
            problems.append(Problem("--target", None, None, f"unknown target {name!r}; allowed: {allowed}"))
        elif Target(name) not in targets:
            targets.append(Target(name))
    if budget is not None and budget < 0:
        problems.append(Problem("--budget", None, None, f"a budget cannot be negative ({budget:g})"))
    if horizon_weeks < 0:
        problems.append(Problem("--horizon-weeks", None, None, f"cannot be negative ({horizon_weeks})"))
    path = profiles or default_profiles()
    profs = None
    try:
        profs = load_profiles(path)
    except InputError as exc:
        problems.extend(exc.problems)
    candidates = None
    if folder is not None and profs is not None:
        try:
            candidates = candidate_places(profs, folder.instance, str(path))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems or folder is None or profs is None or candidates is None:
        fail(problems)
    warn(folder)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
    ) as bar:
        head = f"Searching mixes of {len(candidates)} candidate households, each confirmed by the engine"
        task = bar.add_task(head, total=None)
        plan = plan_recruitment(
            folder.instance,
            folder.policy,
            profs,
            tuple(targets),
            budget,
            horizon_weeks,
            max_iterations,
            candidates,
            on_step=lambda text: bar.update(task, description=f"{head}: {text}"),
        )
    privacy = Privacy(folder.instance, pseudonymiser)
    written = write_guarded(out, protect_files(plan.files(), privacy), privacy)

    h = plan.headline
    colour = {"reached": "bold green", "budget": "bold"}.get(h["status"], "bold red")
    console.print(f"[{colour}]{h['sentence']}[/]", highlight=False)
    title = {
        "reached": "Households to recruit",
        "budget": "Households to recruit",
        "not reached": "Households of the most the profiles can do (the target is not reached)",
        "not proven": "Households of the best mix found (the target is not proven reached)",
    }[h["status"]]
    t = Table(title=title)
    for col in ("profile", "ages", "places", "area", "households", "children", "one-off", "plan cost"):
        t.add_column(col, justify="left" if col in ("profile", "area") else "right")
    for r in plan.households[plan.households["households"] > 0].itertuples():
        t.add_row(
            r.profile,
            r.ages,
            str(r.places_each),
            r.area,
            str(r.households),
            str(r.children_placed),
            _gbp(r.one_off_cost),
            _gbp(r.plan_cost),
        )
    console.print(t)
    p = Table(title="Targets (children or sibling groups meeting them)")
    for col in ("target", "of", "today", "with recruits"):
        p.add_column(col, justify="right" if col != "target" else "left")
    for r in plan.progress.itertuples():
        p.add_row(r.target, str(r.of), str(r.met_today), str(r.met_with_recruits))
    console.print(p)
    s = Table(show_header=False, title="Summary")
    for key in (
        "status",
        "households",
        "one_off_cost",
        "plan_cost",
        "children_moving",
        "children_newly_placed",
        "children_to_family",
        "children_to_family_because_of_recruits",
        "moves_family_to_residential",
        "moves_worse_for_the_child",
        "weekly_saving",
        "annual_saving",
        "weekly_saving_in_new_households",
        "payback_weeks",
        "weekly_cost_of_newly_placed",
        "target_reached",
        "proven",
        "search_stop",
        "mixes_tried",
        "seconds",
    ):
        v = h[key]
        money = key.endswith(("cost", "saving", "of_newly_placed"))
        s.add_row(key.replace("_", " "), _gbp(v) if money and v is not None else str(v))
    console.print(s)
    moving = plan.moves[plan.moves["moves"] & (plan.moves["from_place_id"] != "")]
    if len(moving):
        m = Table(title=f"Children who would move ({len(moving)}; first 20)")
        for col in ("child", "age band", "from", "to", "profile", "GBP/week saved", "why"):
            m.add_column(col)
        for r in moving.head(20).itertuples():
            m.add_row(
                privacy.id(r.child_id),
                r.age_band,
                f"{r.from_place_id} {r.from_setting}".strip() or "no home",
                f"{r.to_place_id} {r.to_setting}",
                r.to_profile,
                f"{r.weekly_saving:,.0f}",
                r.move_reason,
            )
        console.print(m)
    console.print("Wrote " + ", ".join(str(p) for p in written))
