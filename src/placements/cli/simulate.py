"""``placements simulate``, ``placements simulate-plot`` and ``placements backtest``.

Registered in ``placements.cli``; ``placements.cli`` is imported inside the functions, so this
module can be imported by cli.py without a cycle. Outputs hold aggregates only (no child ids).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from placements.cli.common import console, demo_dir, err, fail, read_case, warn, write

SHOW = ("looked_after", "residential", "unplaced", "under12_residential", "out_of_area", "siblings_apart",
        "foster_households", "weekly_cost", "cost_over_horizon")  # fmt: skip


def _print_comparison(console: Any, comparison: Any, order: list[str], title: str) -> None:
    from rich.table import Table

    change = next(c for c in comparison.columns if c.startswith("change_vs_"))
    t = Table(title=title)
    t.add_column("figure at the horizon")
    for name in order:
        t.add_column(f"{name}\np50 (p10-p90)", justify="right")
        if name != order[0]:
            t.add_column(f"change vs\n{order[0]}", justify="right")
    for metric in SHOW:
        cells = []
        for name in order:
            r = comparison[(comparison["scenario"] == name) & (comparison["metric"] == metric)].iloc[0]
            cells.append(f"{r.p50:,.0f} ({r.p10:,.0f}-{r.p90:,.0f})")
            if name != order[0]:
                cells.append(f"{r[change]:+,.0f}")
        t.add_row(metric.replace("_", " "), *cells)
    console.print(t)


def simulate_cmd(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario files (scenarios/*.toml); the first is the base")],
    case_dir: Annotated[
        Path | None, typer.Option("--case", help="case folder to start from (default: data/demo)")
    ] = None,
    ssda903: Annotated[
        Path | None, typer.Option(help="SSDA903 history for the demand model (default: CASE/ssda903)")
    ] = None,
    runs: Annotated[int | None, typer.Option(min=1, help="runs per scenario (default: the scenario files')")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="seed for every scenario (default: each file's)")] = None,
    out: Annotated[Path, typer.Option(help="results folder")] = Path("out/simulate"),
    engine: Annotated[str, typer.Option(help="local (a process pool on this machine) or ray")] = "local",
    address: Annotated[
        str | None, typer.Option(help="Ray cluster to join, e.g. ray://head:10001 (default: start a local Ray)")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="local processes (default: the machine's cores)")] = None,
) -> None:
    """Simulate scenarios month by month with the matching engine in the loop; write bands, comparison, charts."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from placements.analysis.simulate.engines import run_tasks
    from placements.analysis.simulate.inputs import load_demand
    from placements.analysis.simulate.results import comparison_frame, result_files, runs_frame
    from placements.analysis.simulate.run import METRICS, make_context
    from placements.analysis.simulate.scenario import load_scenarios
    from placements.calendar import add_months
    from placements.errors import InputError, Problem

    problems: list[Problem] = []
    if engine not in ("local", "ray"):
        problems.append(Problem("--engine", None, None, f"unknown engine {engine!r}; allowed: local, ray"))
    if address and engine != "ray":
        problems.append(Problem("--address", None, None, "--address is for --engine ray"))
    for p in scenarios:
        if out.resolve() == p.resolve() or out.resolve() in p.resolve().parents:
            problems.append(
                Problem(str(out), None, None, f"--out would overwrite the scenario file {p}; choose another folder")
            )
    try:
        loaded = load_scenarios(scenarios)
    except InputError as exc:
        problems.extend(exc.problems)
        loaded = []
    case, folder, case_problems = read_case(case_dir, out, None)
    problems.extend(case_problems)
    if problems or folder is None:
        fail(problems)
    warn(folder)
    try:
        demand = load_demand(case, folder.instance, folder.policy, ssda903)
    except InputError as exc:
        fail(exc.problems)
    if "no SSDA903 history" in demand.source:
        err.print(f"warning: {demand.source}", markup=False, highlight=False)
    n_runs = runs or max(s.runs for s in loaded)
    ctx = make_context(folder.instance, folder.policy, demand, loaded, seed)
    start = folder.policy.as_of_date()
    horizon = max(s.horizon_months for s in loaded)
    meta = {
        "start": start.isoformat(),
        "dates": [add_months(start, m).isoformat() for m in range(1, horizon + 1)],
        "runs": n_runs,
        "horizon_months": horizon,
        "demand_source": demand.source,
        "demand_model": demand.model_dump(),
        "metrics": list(METRICS),
        "scenarios": [
            {
                "name": s.name,
                "file": p.name,
                "seed": s.seed if seed is None else seed,
                "horizon_months": s.horizon_months,
                "settings": s.model_dump(mode="json"),
            }
            for p, s in zip(scenarios, loaded, strict=True)
        ],
    }
    tasks = [(s, r) for r in range(n_runs) for s in range(len(loaded))]
    months = sum(loaded[s].horizon_months for s, _ in tasks)
    console.print(
        f"Simulating {len(loaded)} scenario(s) x {n_runs} runs ({months:,} authority-months) on the {engine} engine; "
        f"demand: {demand.source}; {demand.entries_per_month():.1f} entrants a month"
    )
    t0 = time.perf_counter()
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, transient=False) as bar:
        job = bar.add_task("runs", total=len(tasks))
        try:
            arrays = run_tasks(ctx, tasks, engine, address, workers, lambda _t: bar.advance(job))
        except RuntimeError as exc:
            fail([Problem("--engine", None, None, str(exc))])
    seconds = time.perf_counter() - t0
    runs_table = runs_frame(meta, arrays)
    stopped = int(runs_table["matches_not_proven"].sum())
    if stopped:
        err.print(
            f"warning: {stopped} monthly match(es) stopped at the time limit before proving optimality; their "
            "results can differ from machine to machine (see matches_not_proven in runs.csv)",
            markup=False,
            highlight=False,
        )
    files = result_files(meta, runs_table)
    written = write(out, files)
    order = [s.name for s in loaded]
    _print_comparison(console, comparison_frame(runs_table, order), order,
                      f"{horizon} months from {start}: median (p10-p90) over {n_runs} runs")  # fmt: skip
    console.print(
        f"{months:,} authority-months in {seconds:.1f} s ({months / seconds:.2f} a second); "
        f"wrote {len(written)} files to {out}"
    )


def simulate_plot_cmd(
    results: Annotated[Path, typer.Argument(help="a folder written by placements simulate")],
    out: Annotated[Path | None, typer.Option(help="where to write (default: the results folder itself)")] = None,
) -> None:
    """Re-draw the bands, comparison, charts and HTML section of a results folder without re-running."""
    from placements.analysis.simulate.results import comparison_frame, read_results, result_files
    from placements.errors import InputError

    try:
        meta, runs = read_results(results)
    except InputError as exc:
        fail(exc.problems)
    files = result_files(meta, runs, with_runs=False)
    written = write(out or results, files)
    order = [s["name"] for s in meta["scenarios"]]
    _print_comparison(
        console, comparison_frame(runs, order), order, f"{meta['horizon_months']} months from {meta['start']}"
    )
    console.print(f"wrote {len(written)} files to {out or results}")


def backtest_cmd(
    ssda903: Annotated[Path | None, typer.Argument(help="SSDA903 history folder (default: data/demo/ssda903)")] = None,
    fit_years: Annotated[int, typer.Option(min=1, help="years at the start of the history to fit on")] = 3,
    out: Annotated[Path, typer.Option(help="folder for backtest.csv")] = Path("out/backtest"),
) -> None:
    """Fit the demand model on the early years of a history, forecast the later ones, report the error."""
    import pandas as pd
    from rich.table import Table

    from placements.analysis.simulate.demand import backtest
    from placements.analysis.simulate.history import read_history
    from placements.errors import InputError, Problem

    folder = ssda903 or (demo_dir() / "ssda903")
    if not folder.is_dir():
        fail([Problem(str(folder), None, None, "no such SSDA903 folder")])
    try:
        hist = read_history(folder)
    except InputError as exc:
        fail(exc.problems)
    first, last = hist.span()
    start = pd.Timestamp(first.year, first.month, 1) + pd.DateOffset(months=1)
    cut = start + pd.DateOffset(years=fit_years)
    if cut >= last:
        fail(
            [
                Problem(
                    "--fit-years",
                    None,
                    None,
                    f"the history runs {first.date()} to {last.date()}: nothing left to forecast",
                )
            ]
        )
        return
    frame = backtest(hist.episodes, hist.header, hist.uasc, start.date(), cut.date(), last.date())
    t = Table(title=f"Backtest: fit {frame.attrs['fit']}, forecast {frame.attrs['months']} months from {cut.date()}")
    for col in frame.columns:
        t.add_column(col.replace("_", " "), justify="left" if col in ("dimension", "group") else "right")
    for row in frame.itertuples(index=False):
        t.add_row(*("" if v is None or v != v else str(v) for v in row))
    console.print(t)
    written = write(out, {"backtest.csv": frame.to_csv(index=False, lineterminator="\n")})
    console.print(f"wrote {written[0]}")
