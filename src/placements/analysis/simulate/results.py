"""A simulation's results folder: every run's months, the bands, the comparison.

``runs.csv`` holds every figure of every month of every run; everything else (``bands.csv``,
``comparison.csv``, the charts, ``report.html``) is computed from it and ``meta.json``, so
``placements simulate-plot DIR`` re-draws a folder without re-running anything. No timings or
paths go into the files, so the same seed gives byte-identical files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from placements.analysis.simulate.goals import goals_frame, goals_of
from placements.analysis.simulate.plots import charts, report_html
from placements.analysis.simulate.run import METRICS
from placements.errors import InputError, Problem

#: The figures a commissioner compares, in the order of the comparison table.
KEY_METRICS: tuple[str, ...] = (
    "looked_after",
    "foster",
    "residential",
    "supported",
    "unplaced",
    "under12_residential",
    "out_of_area",
    "siblings_apart",
    "foster_households",
    "foster_vacancies",
    "weekly_cost",
    "cost_over_horizon",
)
PERCENTILES = (10, 50, 90)


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, float_format="%.10g", lineterminator="\n")


def runs_frame(meta: dict[str, Any], arrays: dict[tuple[int, int], np.ndarray]) -> pd.DataFrame:
    """One row per (scenario, run, month), in that order."""
    frames = []
    for s, r in sorted(arrays):
        a = arrays[(s, r)]
        f = pd.DataFrame(a, columns=list(METRICS))
        f.insert(0, "date", meta["dates"][: len(a)])
        f.insert(0, "month", np.arange(1, len(a) + 1))
        f.insert(0, "run", r)
        f.insert(0, "scenario", meta["scenarios"][s]["name"])
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    counts = [m for m in METRICS if m != "weekly_cost"]
    out[counts] = out[counts].round().astype(np.int64)
    out["weekly_cost"] = out["weekly_cost"].round(2)
    return out


def _pct(values: np.ndarray) -> list[float]:
    return [float(np.round(np.percentile(values, q), 2)) for q in PERCENTILES]


def bands_frame(runs: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """p10/p50/p90 across runs, per scenario, month and figure."""
    rows = []
    for name in order:
        sub = runs[runs["scenario"] == name]
        for (month, date), g in sub.groupby(["month", "date"], sort=True):
            for m in METRICS:
                rows.append([name, month, date, m, *_pct(g[m].to_numpy(dtype=float))])
    return pd.DataFrame(rows, columns=["scenario", "month", "date", "metric", "p10", "p50", "p90"])


def _end_values(runs: pd.DataFrame, name: str) -> pd.DataFrame:
    sub = runs[runs["scenario"] == name]
    last = sub[sub["month"] == sub["month"].max()].set_index("run").sort_index()
    out = last[[m for m in KEY_METRICS if m in last.columns]].astype(float)
    out["cost_over_horizon"] = sub.groupby("run")["weekly_cost"].sum().sort_index() * 52.0 / 12.0
    return out


def comparison_frame(runs: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """At the horizon: p10/p50/p90 per scenario and figure, and the change from the first scenario
    as the median of paired runs (run k of each scenario shares its seed, so the pair differs only by
    the scenario)."""
    base = _end_values(runs, order[0])
    rows = []
    for name in order:
        end = _end_values(runs, name)
        common = end.index.intersection(base.index)
        for m in KEY_METRICS:
            p10, p50, p90 = _pct(end[m].to_numpy())
            change = float(np.round(np.median(end.loc[common, m] - base.loc[common, m]), 2)) if len(common) else np.nan
            rows.append([name, m, p10, p50, p90, change])
    return pd.DataFrame(rows, columns=["scenario", "metric", "p10", "p50", "p90", f"change_vs_{order[0]}"])


def result_files(meta: dict[str, Any], runs: pd.DataFrame, with_runs: bool = True) -> dict[str, str | bytes]:
    order = [s["name"] for s in meta["scenarios"]]
    bands = bands_frame(runs, order)
    comparison = comparison_frame(runs, order)
    files: dict[str, str | bytes] = {}
    if with_runs:
        files["runs.csv"] = _csv(runs)
        files["meta.json"] = json.dumps(meta, indent=2, sort_keys=True) + "\n"
    files["bands.csv"] = _csv(bands)
    files["comparison.csv"] = _csv(comparison)
    against = goals_frame(bands, comparison, order, goals_of(meta), int(meta["horizon_months"]))
    files["goals.csv"] = _csv(against)
    pngs = charts(bands, order, meta)
    files.update(pngs)
    files["report.html"] = report_html(meta, comparison, sorted(pngs), wrong_way(against))
    return files


def wrong_way(goals: pd.DataFrame) -> list[str]:
    """The sentences of the figures moving against the authority's goals, in ``goals.csv`` order."""
    return [str(s) for s in goals.loc[goals["verdict"] == "wrong way", "sentence"]]


def read_results(folder: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    folder = Path(folder)
    problems = [Problem(str(folder / n), None, None, "missing: not a simulation results folder")
                for n in ("meta.json", "runs.csv") if not (folder / n).is_file()]  # fmt: skip
    if problems:
        raise InputError(problems)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    runs = pd.read_csv(folder / "runs.csv", dtype={"date": str, "scenario": str})
    missing = [c for c in ("scenario", "run", "month", "date", *METRICS) if c not in runs.columns]
    if missing:
        raise InputError([Problem(str(folder / "runs.csv"), 1, missing[0], "column missing")])
    return meta, runs
