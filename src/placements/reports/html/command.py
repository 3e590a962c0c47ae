"""``placements report [CASE_DIR] --out out/report/report.html``: the commissioners' report.

Registered in ``placements.cli`` with ``app.command("report")(report_cmd)``; ``placements.cli`` is
imported inside the function so cli.py can import this module without a cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from placements.privacy.options import KeyFileOption, PseudonymiseOption

DEFAULT_OUT = Path("out/report/report.html")
DEFAULT_PROFILES = Path("scenarios/recruit-profiles.toml")
_SOURCE_PROFILES = Path(__file__).resolve().parents[4] / "scenarios" / "recruit-profiles.toml"


def default_profiles() -> Path | None:
    """scenarios/recruit-profiles.toml here, else the source tree's copy, else None (no recruitment section)."""
    for p in (DEFAULT_PROFILES, _SOURCE_PROFILES):
        if p.is_file():
            return p
    return None


def report_cmd(
    case_dir: Annotated[Optional[Path], typer.Argument(help="case folder (default: data/demo)")] = None,
    out: Annotated[
        Path, typer.Option(help="the HTML file to write; every table's CSV and report_summary.json go beside it")
    ] = DEFAULT_OUT,
    as_of: Annotated[
        Optional[str], typer.Option(help="date of the report, YYYY-MM-DD (default: policy, else today)")
    ] = None,
    time_limit: Annotated[
        Optional[float], typer.Option(help="seconds for the whole-cohort match (default: policy, else 60)")
    ] = None,
    seed: Annotated[Optional[int], typer.Option(help="solver seed (default: policy, else 0)")] = None,
    profiles: Annotated[
        Optional[Path], typer.Option(help="recruitable carer profiles (default: scenarios/recruit-profiles.toml)")
    ] = None,
    no_recruit: Annotated[bool, typer.Option("--no-recruit", help="leave the recruitment section out")] = False,
    recruit_time_limit: Annotated[
        float, typer.Option(help="seconds per solve of each recruitment option (three targets, several solves each)")
    ] = 20.0,
    recruit_iterations: Annotated[int, typer.Option(help="most mixes the engine is asked to confirm per target")] = 10,
    pseudonymise: PseudonymiseOption = False,
    key_file: KeyFileOption = None,
) -> None:
    """Write one self-contained HTML report (charts inline, opens offline) and a CSV for every table in it."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from placements.cli import _fail, console, read_case, warn
    from placements.errors import InputError, Problem
    from placements.privacy import Privacy
    from placements.privacy.options import pseudonymiser_from_options, write_guarded
    from placements.reports.conflicts.config import load_conflicts_config
    from placements.reports.conflicts.registry import active_rules, run_rules
    from placements.reports.html.build import report_data, report_files

    pseudonymiser, problems = pseudonymiser_from_options(pseudonymise, key_file)
    if out.suffix.lower() not in (".html", ".htm"):
        problems.append(Problem("--out", None, None, f"{out} is not an .html file name"))
    if recruit_time_limit <= 0:
        problems.append(Problem("--recruit-time-limit", None, None, f"must be positive ({recruit_time_limit:g})"))
    if recruit_iterations < 1:
        problems.append(Problem("--recruit-iterations", None, None, f"must be at least 1 ({recruit_iterations})"))
    overrides = {"time_limit_seconds": time_limit, "seed": seed}
    case_dir, folder, read_problems = read_case(case_dir, out.parent, as_of, overrides)
    problems += read_problems
    settings = None
    if Path(case_dir).is_dir():
        try:
            settings = load_conflicts_config(case_dir)
        except InputError as exc:
            problems.extend(exc.problems)
    recruit_inputs = None
    if not no_recruit and folder is not None:
        path = profiles or default_profiles()
        if path is not None:
            try:
                recruit_inputs = _load_recruit(path, folder.instance)
            except InputError as exc:
                problems.extend(exc.problems)
    if problems or folder is None or settings is None:
        _fail(problems)
        return
    warn(folder)

    day = folder.policy.as_of_date()
    rules = active_rules(settings.disabled, settings.extra)
    privacy = Privacy(folder.instance, pseudonymiser)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("conflict rules", total=None)

        def step(what: str) -> None:
            bar.update(task, description=what)

        findings = run_rules(folder.instance, day, settings.disabled, settings.extra)
        recruit = None
        if recruit_inputs is not None:
            step("recruitment options")
            recruit = _plan(folder, recruit_inputs, step, recruit_time_limit, recruit_iterations)
        rd, _ = report_data(folder, findings, [(r.code, r.severity) for r in rules], recruit, step=step)
        files = report_files(rd, privacy, folder.policy.la_code, html_name=out.name, step=step)
    written = write_guarded(out.parent, files, privacy)

    t = Table(title=f"Report as of {privacy.text(day.isoformat())}", show_header=False)
    for k, v in rd.key_figures.items():
        t.add_row(k.replace("_", " "), f"{v:,}" if isinstance(v, int) else f"{v:,.2f}")
    console.print(t)
    console.print(f"[bold]{privacy.text(rd.headline)}[/]", highlight=False)
    console.print(f"Wrote {out} and {len(written) - 1} more file(s) in {out.parent}")


def _load_recruit(path: Path, instance):  # type: ignore[no-untyped-def]
    """The profiles and their candidate households (areas located), checked before any solve."""
    from placements.reports.recruit.profiles import candidate_places, load_profiles

    profiles = load_profiles(path)
    return profiles, candidate_places(profiles, instance, str(path))


def _plan(folder, inputs, step, time_limit, iterations):  # type: ignore[no-untyped-def]
    """One recruitment option per target: the cheapest mix that reaches it (``plan_recruitment``).

    Each option gets its own time limit per solve and at most ``iterations`` confirmations, so the
    report's run time stays bounded; whether each option was proven is in ``recruit_options.csv``.
    """
    from placements.reports.recruit.plan import plan_recruitment
    from placements.reports.recruit.targets import Target

    profiles, candidates = inputs
    plans = {}
    for t in Target:
        step(f"recruitment option: {t.value}")
        plans[t.value] = plan_recruitment(
            folder.instance,
            folder.policy.replace(time_limit_seconds=time_limit),
            profiles,
            targets=(t,),
            candidates=candidates,
            max_iterations=iterations,
        )
    return plans
