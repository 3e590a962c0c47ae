"""``placements report [CASE_DIR] --out out/report/report.html``: the commissioners' report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from placements.cli.common import (
    KeyFileOption,
    PseudonymiseOption,
    conflicts_settings,
    console,
    fail,
    open_case,
    warn,
    write_guarded,
)

DEFAULT_OUT = Path("out/report/report.html")


def report_cmd(
    case_dir: Annotated[Path | None, typer.Argument(help="case folder (default: data/demo)")] = None,
    out: Annotated[
        Path, typer.Option(help="the HTML file to write; every table's CSV and report_summary.json go beside it")
    ] = DEFAULT_OUT,
    as_of: Annotated[
        str | None, typer.Option(help="date of the report, YYYY-MM-DD (default: policy, else today)")
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="seconds for the whole-cohort match (default: policy, else 60)")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="solver seed (default: policy, else 0)")] = None,
    profiles: Annotated[
        Path | None, typer.Option(help="recruitable carer profiles (default: scenarios/recruit-profiles.toml)")
    ] = None,
    no_recruit: Annotated[bool, typer.Option("--no-recruit", help="leave the recruitment section out")] = False,
    recruit_time_limit: Annotated[
        float, typer.Option(help="seconds per solve of each recruitment option (three targets, several solves each)")
    ] = 20.0,
    recruit_iterations: Annotated[int, typer.Option(help="most mixes the engine is asked to confirm per target")] = 10,
    simulation: Annotated[
        Path | None,
        typer.Option(help="a simulation's output folder (placements simulate --out DIR): adds its scenario comparison"),
    ] = None,
    pseudonymise: PseudonymiseOption = False,
    key_file: KeyFileOption = None,
) -> None:
    """Write one self-contained HTML report (charts inline, opens offline) and a CSV for every table in it."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from placements.analysis.recruit.plan import recruitment_options
    from placements.analysis.recruit.profiles import candidate_places, load_profiles
    from placements.errors import InputError, Problem
    from placements.privacy.guard import Privacy
    from placements.reports.conflicts.registry import active_rules, run_rules
    from placements.reports.html.build import report_data, report_files
    from placements.reports.html.simulation import read_simulation
    from placements.resources import default_profiles

    overrides = {"time_limit_seconds": time_limit, "seed": seed}
    case_dir, folder, pseudonymiser, problems = open_case(
        case_dir, out.parent, as_of, pseudonymise, key_file, overrides
    )
    if out.suffix.lower() not in (".html", ".htm"):
        problems.append(Problem("--out", None, None, f"{out} is not an .html file name"))
    if recruit_time_limit <= 0:
        problems.append(Problem("--recruit-time-limit", None, None, f"must be positive ({recruit_time_limit:g})"))
    if recruit_iterations < 1:
        problems.append(Problem("--recruit-iterations", None, None, f"must be at least 1 ({recruit_iterations})"))
    settings = conflicts_settings(case_dir, problems)
    recruit_inputs = None
    if not no_recruit and folder is not None:
        path = profiles or default_profiles()
        try:
            loaded = load_profiles(path)
            recruit_inputs = (loaded, candidate_places(loaded, folder.instance, str(path)))
        except InputError as exc:
            problems.extend(exc.problems)
    sim = None
    if simulation is not None:
        try:
            sim = read_simulation(simulation)
        except InputError as exc:
            problems.extend(Problem(f"--simulation {p.file}", p.row, p.column, p.message) for p in exc.problems)
    if problems or folder is None or settings is None:
        fail(problems)
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
            profs, candidates = recruit_inputs
            recruit = recruitment_options(
                folder.instance, folder.policy, profs, candidates, recruit_time_limit, recruit_iterations, step
            )
        rd, _ = report_data(folder, findings, [(r.code, r.severity) for r in rules], recruit, step=step, simulation=sim)
        files = report_files(rd, privacy, folder.policy.la_code, html_name=out.name, step=step, simulation=sim)
    written = write_guarded(out.parent, files, privacy)

    t = Table(title=f"Key figures as of {privacy.text(day.isoformat())}")
    for col in ("figure", "value", "unit", "note"):
        t.add_column(col, justify="right" if col == "value" else "left")
    for f in rd.key_figures:
        v = f["value"]
        shown = "-" if v is None else f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"
        t.add_row(f["figure"], shown, f["unit"], f["note"])
    console.print(t)
    console.print(f"[bold]{privacy.text(rd.headline)}[/]", highlight=False)
    console.print(f"Wrote {out} and {len(written) - 1} more file(s) in {out.parent}")
