"""The scenario comparison of a simulation's output folder, as a section of the report.

``placements report --simulation DIR`` reads what ``placements simulate`` wrote to ``DIR``: ``meta.json``
(scenarios, runs, horizon), ``bands.csv`` (p10/p50/p90 per scenario, month and figure) and
``comparison.csv`` (at the horizon), and ``goals.csv`` when the folder has one (the figures that move against
the authority's own goals, judged by ``placements simulate``: the report quotes its sentences, so the console
and the report say the same). Nothing is re-run. A folder that is not a simulation's output, or whose files lack
a column, is refused with the file, row and column.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from placements.errors import InputError, Problem

#: Figures charted in the report, with their words (the simulation's own charts, ``plots.CHARTS``).
CHARTED: dict[str, str] = {
    "under12_residential": "under-12s in a children's home",
    "unplaced": "children waiting for a home",
    "residential": "children in a children's home",
    "foster": "children with a foster family",
    "foster_households": "fostering households",
    "weekly_cost": "GBP a week, all placements",
}
_COLUMNS = {
    "bands.csv": ("scenario", "month", "date", "metric", "p10", "p50", "p90"),
    "comparison.csv": ("scenario", "metric", "p10", "p50", "p90"),
}
_GOALS_COLUMNS = ("scenario", "figure", "label", "want", "verdict", "sentence")


@dataclass(frozen=True)
class Simulation:
    folder: Path
    meta: dict[str, Any]
    bands: pd.DataFrame
    comparison: pd.DataFrame
    goals: pd.DataFrame | None

    @property
    def order(self) -> list[str]:
        return [s["name"] for s in self.meta["scenarios"]]


def _problem(path: Path, message: str, row: int | None = None, column: str | None = None) -> Problem:
    return Problem(str(path), row, column, message)


def read_simulation(folder: Path) -> Simulation:
    """The simulation output in ``folder``, checked; ``InputError`` naming file, row and column otherwise."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([_problem(folder, "no such folder: give the --out folder of placements simulate")])
    problems = [
        _problem(folder / name, "missing: not a simulation's output folder (placements simulate --out DIR writes it)")
        for name in ("meta.json", "bands.csv", "comparison.csv")
        if not (folder / name).is_file()
    ]
    if problems:
        raise InputError(problems)
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError([_problem(folder / "meta.json", f"not valid JSON: {exc}")]) from None
    for key in ("scenarios", "runs", "horizon_months", "start"):
        if not isinstance(meta, dict) or key not in meta:
            problems.append(_problem(folder / "meta.json", f"no {key!r}: not a simulation's meta.json", column=key))
    frames: dict[str, pd.DataFrame] = {}
    for name, cols in _COLUMNS.items():
        frame = _read(folder / name, problems)
        if frame is None:
            continue
        for c in cols:
            if c not in frame.columns:
                problems.append(_problem(folder / name, "column missing", 1, c))
        for c in ("p10", "p50", "p90", "month"):
            if c in frame.columns and c in cols and not pd.api.types.is_numeric_dtype(frame[c]):
                bad = pd.to_numeric(frame[c], errors="coerce").isna()
                row = int(bad.to_numpy().argmax()) + 2
                problems.append(_problem(folder / name, f"not a number: {frame[c].iloc[row - 2]!r}", row, c))
        frames[name] = frame
    goals = None
    if (folder / "goals.csv").is_file():
        goals = _read(folder / "goals.csv", problems)
        if goals is not None:
            missing = [c for c in _GOALS_COLUMNS if c not in goals.columns]
            problems.extend(_problem(folder / "goals.csv", "column missing", 1, c) for c in missing)
    if problems:
        raise InputError(problems)
    sim = Simulation(folder, meta, frames["bands.csv"], frames["comparison.csv"], goals)
    unknown = sorted(set(sim.bands["scenario"]) - set(sim.order))
    if unknown:
        raise InputError(
            [_problem(folder / "bands.csv", f"scenario {unknown[0]!r} is not in meta.json", None, "scenario")]
        )
    return sim


def _read(path: Path, problems: list[Problem]) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path, dtype={"date": str, "scenario": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        problems.append(_problem(path, f"not a readable CSV: {exc}".splitlines()[0]))
        return None


def comparison_table(sim: Simulation) -> pd.DataFrame:
    """At the horizon, per charted figure and scenario: median, p10, p90 and the change from the first scenario."""
    change = next((c for c in sim.comparison.columns if c.startswith("change_vs_")), None)
    c = sim.comparison[sim.comparison["metric"].isin(list(CHARTED))].copy()
    c["figure"] = c["metric"].map(CHARTED)
    cols = ["figure", "scenario", "p50", "p10", "p90"] + ([change] if change else [])
    order = {m: k for k, m in enumerate(CHARTED)}
    c["_k"] = c["metric"].map(order)
    return c.sort_values(["_k"], kind="mergesort")[cols].reset_index(drop=True)


def bands_table(sim: Simulation) -> pd.DataFrame:
    """The bands of the charted figures, month by month (what each chart draws)."""
    b = sim.bands[sim.bands["metric"].isin(list(CHARTED))]
    return b[["scenario", "metric", "month", "date", "p10", "p50", "p90"]].reset_index(drop=True)


def wrong_way(sim: Simulation) -> list[str]:
    """The sentences of ``goals.csv`` for the figures moving against the authority's goals."""
    if sim.goals is None:
        return []
    return [str(s) for s in sim.goals.loc[sim.goals["verdict"] == "wrong way", "sentence"]]


def reading(sim: Simulation, metric: str) -> str:
    """A sentence under a chart: each scenario's median at the first month and at the horizon."""
    parts = []
    for name in sim.order:
        b = sim.bands[(sim.bands["scenario"] == name) & (sim.bands["metric"] == metric)].sort_values("month")
        if b.empty:
            continue
        first, last = b.iloc[0], b.iloc[-1]
        parts.append(f"{name}: {_fmt(first['p50'])} in month {int(first['month'])}, {_fmt(last['p50'])} in month "
                     f"{int(last['month'])} (p10-p90 {_fmt(last['p10'])}-{_fmt(last['p90'])})")  # fmt: skip
    return f"Median {CHARTED[metric]} across {sim.meta['runs']} runs. " + "; ".join(parts) + "."


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() or abs(v) >= 100 else f"{v:,.1f}"
