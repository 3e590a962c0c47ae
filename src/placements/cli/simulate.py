"""``placements simulate``, ``placements simulate-plot`` and ``placements backtest``.

Registered in ``placements.cli``; ``placements.cli`` is imported inside the functions, so this
module can be imported by cli.py without a cycle. Outputs hold aggregates only (no child ids).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from placements.cli.common import console, demo_dir, err, fail, out_problems, read_case, warn, write
from placements.errors import Problem

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


def _print_goals(goals_csv: str | bytes) -> None:
    """The figures moving against the authority's goals, from ``goals.csv`` as written."""
    import io

    import pandas as pd

    text = goals_csv.decode("utf-8") if isinstance(goals_csv, bytes) else goals_csv
    goals = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    wrong = goals[goals["verdict"] == "wrong way"]
    if wrong.empty:
        console.print("No figure moves the wrong way against the authority's goals (goals.csv).")
        return
    console.print("[bold red]Moving the wrong way against the authority's goals[/] (goals.csv):")
    for sentence in wrong["sentence"]:
        console.print(f"  - {sentence}", markup=False, highlight=False)


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
    fit_from: Annotated[
        str | None,
        typer.Option(help="demand model fit window start, YYYY-MM (default: 36 months before --fit-to)"),
    ] = None,
    fit_to: Annotated[
        str | None, typer.Option(help="fit window end (not fitted), YYYY-MM (default: the month of the as-of date)")
    ] = None,
    goals: Annotated[
        Path | None,
        typer.Option(help="the authority's goals (TOML; default: CASE/goals.toml, else the shipped goals)"),
    ] = None,
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
    from placements.analysis.simulate.goals import goals_path, load_goals
    from placements.analysis.simulate.inputs import load_demand
    from placements.analysis.simulate.results import comparison_frame, result_files, runs_frame
    from placements.analysis.simulate.run import METRICS, make_context
    from placements.analysis.simulate.scenario import load_scenarios
    from placements.calendar import add_months
    from placements.errors import InputError, Problem

    problems: list[Problem] = []
    window = (parse_month(fit_from, "--fit-from", problems), parse_month(fit_to, "--fit-to", problems))
    if window[0] and window[1] and window[0] >= window[1]:
        problems.append(Problem("--fit-to", None, None, "the fit window must end after it starts"))
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
    try:
        judged_by = load_goals(goals_path(case, goals))
    except InputError as exc:
        problems.extend(exc.problems)
    if problems or folder is None:
        fail(problems)
    warn(folder)
    try:
        demand = load_demand(case, folder.instance, folder.policy, ssda903, *window)
    except InputError as exc:
        fail(exc.problems)
    except ValueError as exc:  # a window holding no whole month
        fail([Problem("--fit-from", None, None, str(exc))])
    if "no SSDA903 history" in demand.source:
        err.print(f"warning: {demand.source}", markup=False, highlight=False)
        if fit_from or fit_to:
            err.print("warning: --fit-from and --fit-to are for SSDA903 history; ignored", markup=False)
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
        "goals": [g.model_dump() for g in judged_by],
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
        f"demand: {demand.source}, fitted {demand.fitted_from} to {demand.fitted_to} (before); "
        f"{demand.entries_per_month():.1f} entrants a month"
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
    _print_goals(files["goals.csv"])
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

    problems = out_problems(out, ()) if out is not None else []
    try:
        meta, runs = read_results(results)
    except InputError as exc:
        problems.extend(exc.problems)
    if problems:
        fail(problems)
    files = result_files(meta, runs, with_runs=False)
    written = write(out or results, files)
    order = [s["name"] for s in meta["scenarios"]]
    _print_comparison(
        console, comparison_frame(runs, order), order, f"{meta['horizon_months']} months from {meta['start']}"
    )
    _print_goals(files["goals.csv"])
    console.print(f"wrote {len(written)} files to {out or results}")


def parse_month(text: str | None, option: str, problems: list[Problem]) -> dt.date | None:
    """``YYYY-MM`` or ``YYYY-MM-01`` as the first of that month; anything else is a problem."""
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text + "-01" if len(text) == 7 else text)
    except ValueError:
        problems.append(Problem(option, None, None, f"{text!r} is not a month: give YYYY-MM (or YYYY-MM-01)"))
        return None
    if day.day != 1:
        problems.append(
            Problem(option, None, None, f"{text!r}: the window runs in whole months, give the first of a month")
        )
        return None
    return day


FitFromOption = Annotated[
    str | None,
    typer.Option(help="first month of the fit window, YYYY-MM (default: the history's first collection year)"),
]


def backtest_cmd(
    ssda903: Annotated[Path | None, typer.Argument(help="SSDA903 history folder (default: data/demo/ssda903)")] = None,
    fit_from: FitFromOption = None,
    fit_to: Annotated[
        str | None,
        typer.Option(help="the cut, YYYY-MM: fit on the months before it, forecast from it to the end of the history"),
    ] = None,
    fit_years: Annotated[
        int | None, typer.Option(min=1, help="without --fit-to: years to fit on from --fit-from (default 3)")
    ] = None,
    out: Annotated[
        Path, typer.Option(help="folder for backtest.csv, backtest_monthly.csv, backtest.png, backtest.json")
    ] = Path("out/backtest"),
) -> None:
    """Fit the demand model on a window of a history, forecast the months after it, and compare with what happened.

    Every figure is scored against the naive forecast "no change" (the stock stays as it was at the
    cut); groups where the model did worse are marked.
    """
    import json

    import pandas as pd

    from placements.analysis.simulate.demand import AGES_COUNTED, run_backtest
    from placements.analysis.simulate.history import read_history
    from placements.analysis.simulate.plots import backtest_chart
    from placements.errors import InputError

    folder = ssda903 or (demo_dir() / "ssda903")
    problems = out_problems(out, (folder,), what="the SSDA903 folder")
    if not folder.is_dir():
        problems.append(Problem(str(folder), None, None, "no such SSDA903 folder"))
    start_given = parse_month(fit_from, "--fit-from", problems)
    cut_given = parse_month(fit_to, "--fit-to", problems)
    if fit_years is not None and fit_to is not None:
        problems.append(Problem("--fit-years", None, None, "give --fit-to or --fit-years, not both"))
    if problems:
        fail(problems)
    try:
        hist = read_history(folder)
    except InputError as exc:
        fail(exc.problems)
    first_leaving, last = hist.span()
    history_start = hist.start()
    start = pd.Timestamp(start_given) if start_given else history_start
    cut = pd.Timestamp(cut_given) if cut_given else start + pd.DateOffset(years=fit_years or 3)
    last_month = pd.Timestamp(last.year, last.month, 1)
    if cut <= start:
        problems.append(Problem("--fit-to", None, None, f"the window must end after it starts ({start.date()})"))
    elif cut >= last_month:
        problems.append(
            Problem(
                "--fit-to" if cut_given else "--fit-years",
                None,
                None,
                f"the history runs {first_leaving.date()} to {last.date()}: a cut on {cut.date()} leaves no month "
                f"to forecast (the last cut possible is {(last_month - pd.DateOffset(months=1)).date()})",
            )
        )
    if problems:
        fail(problems)
    if start < history_start:
        err.print(
            f"warning: --fit-from {start.date()} is before the history's first collection year ({history_start.date()}):"
            " children who left care before then are not in the return, so exits (and entries) are undercounted",
            markup=False,
            highlight=False,
        )
    try:
        run = run_backtest(hist.episodes, hist.header, hist.uasc, start.date(), cut.date(), last.date())
    except ValueError as exc:
        fail([Problem(str(folder), None, None, str(exc))])
    frame = run.summary
    months = int((run.monthly["period"] == "forecast").sum() // len(frame))
    counted = AGES_COUNTED + (
        f" ({run.children_without_dob} such child(ren) left out)" if run.children_without_dob else ""
    )
    worse = frame[frame["worse_than_no_change"].fillna(False).astype(bool)]
    meta = {
        "ssda903": str(folder),
        "history_first_leaving": first_leaving.date().isoformat(),
        "history_end": last.date().isoformat(),
        "history_start": history_start.date().isoformat(),
        "fit_from": run.fit_from.isoformat(),
        "fit_to": run.fit_to.isoformat(),
        "forecast_from": run.fit_to.isoformat(),
        "forecast_to": run.forecast_to.isoformat(),
        "forecast_months": months,
        "ages_counted": counted,
        "children_without_dob": run.children_without_dob,
        "worse_than_no_change": [f"{r.group} ({r.dimension})" for r in worse.itertuples()],
        "repeat": f"placements backtest {folder} --fit-from {run.fit_from:%Y-%m} --fit-to {run.fit_to:%Y-%m}",
        "model": run.model.model_dump(),
    }
    fitted_to = (cut - pd.DateOffset(months=1)).date()
    title = (
        f"Backtest: fitted on {run.fit_from:%b %Y} to {fitted_to:%b %Y} ({run.model.months} months), "
        f"forecast from the stock on {run.fit_to:%-d %b %Y} to {run.forecast_to:%-d %b %Y} ({months} months)"
    )
    files: dict[str, str | bytes] = {
        "backtest.csv": frame.to_csv(index=False, lineterminator="\n"),
        "backtest_monthly.csv": run.monthly.to_csv(index=False, lineterminator="\n", float_format="%.10g"),
        "backtest.png": backtest_chart(run.monthly, frame, title),
        "backtest.json": json.dumps(meta, indent=2) + "\n",
    }
    written = write(out, files)

    console.print(
        f"History: leaving care recorded from {first_leaving.date()} to {last.date()}; "
        f"its first collection year is taken to start {history_start.date()}."
    )
    console.print(f"Counted: {counted}.")
    _print_backtest(frame, title)
    if len(worse):
        console.print(
            "[bold red]The forecast is worse than 'no change' for:[/] "
            + "; ".join(f"{r.group} ({r.mape_pct}% against {r.naive_mape_pct}%)" for r in worse.itertuples())
            + ". Do not plan on these figures without a reason to expect change."
        )
    else:
        console.print("The forecast beat 'no change' in every group.")
    console.print(f"Repeat with: {meta['repeat']}")
    console.print("Wrote " + ", ".join(str(p) for p in written))


def _print_backtest(frame: Any, title: str) -> None:
    from rich.table import Table

    t = Table(title=title, caption="error: mean absolute % error over the forecast months")
    heads = ("figure", "at cut", "actual\nat end", "forecast\nat end", "error\nat end %", "error %",
             "no change\nerror %", "")  # fmt: skip
    for h in heads:
        t.add_column(h, justify="left" if h == "figure" else "right")
    for r in frame.itertuples(index=False):
        mark = bool(r.worse_than_no_change) if r.worse_than_no_change is not None else False
        name = "all children" if r.dimension == "total" else ("aged " if r.dimension == "age band" else "in ") + r.group
        nums = (r.at_cut, r.actual_end, r.forecast_end, r.error_end_pct, r.mape_pct, r.naive_mape_pct)
        cells = ["" if v is None or v != v else f"{v:g}" for v in nums]
        t.add_row(name, *cells, "WORSE than no change" if mark else "", style="red" if mark else None)
    console.print(t)
