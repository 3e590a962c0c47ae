"""The authority's goals, as data, and the figures of a simulation that move against them.

A goal names a figure of ``runs.csv`` and the way the authority wants it to go (``fewer`` under-12s
in residential care, ``more`` fostering households, ...). Two checks, both on medians across runs:

- **over the horizon**, per scenario: the figure at the first month against the last;
- **against the base scenario** (the first), per other scenario: the median of the paired
  differences at the horizon (run *k* of every scenario shares its seed, so the pair differs only
  by the scenario), as in ``comparison.csv``.

A change counts only beyond the goal's tolerance (``tolerance`` children, or ``tolerance_pct`` per
cent of the starting figure, whichever is larger), so noise between runs is not called a trend.
The shipped defaults are in ``placements/data/goals.toml``; a case folder's ``goals.toml`` or
``simulate --goals FILE`` replaces them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from placements.analysis.simulate.run import METRICS
from placements.errors import InputError, Problem

GOALS_FILE = "goals.toml"
COLUMNS = ["scenario", "figure", "label", "want", "why", "compared_with", "before", "after", "after_p10", "after_p90",
           "change", "verdict", "sentence"]  # fmt: skip


class Goal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    figure: str = Field(description="a figure of runs.csv")
    want: Literal["fewer", "more"]
    label: str
    why: str = ""
    tolerance: float = Field(1.0, ge=0)
    tolerance_pct: float = Field(2.0, ge=0)

    @field_validator("figure")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in METRICS:
            raise ValueError(f"{v!r} is not a figure of the simulation; allowed: {', '.join(METRICS)}")
        return v

    def threshold(self, start: float) -> float:
        return max(self.tolerance, abs(start) * self.tolerance_pct / 100.0)


class Goals(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    goals: list[Goal]


def default_goals_path() -> Path:
    from placements.resources import _shipped

    return _shipped(GOALS_FILE)


def goals_path(case_dir: Path | None, given: Path | None) -> Path:
    """``--goals FILE``, else the case folder's goals.toml, else the shipped defaults."""
    if given is not None:
        return given
    if case_dir is not None and (Path(case_dir) / GOALS_FILE).is_file():
        return Path(case_dir) / GOALS_FILE
    return default_goals_path()


def load_goals(path: Path) -> list[Goal]:
    """Read and check a goals file; every problem names the file and the key."""
    from placements.policy import unknown_key_hint

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError([Problem(str(path), None, None, "no such goals file")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), None, None, f"not valid TOML: {exc}")]) from None
    try:
        return list(Goals.model_validate(data).goals)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            key = ".".join(str(p) for p in e["loc"])
            hint = unknown_key_hint(Goals, e["loc"])
            msg = e["msg"].removeprefix("Value error, ")
            problems.append(Problem(str(path), None, key, msg + (hint if e["type"] == "extra_forbidden" else "")))
        raise InputError(problems) from None


def _verdict(goal: Goal, change: float, start: float) -> str:
    if abs(change) <= goal.threshold(start):
        return "steady"
    better = change < 0 if goal.want == "fewer" else change > 0
    return "right way" if better else "wrong way"


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x - round(x)) < 0.05 else f"{x:,.1f}"


def goals_frame(
    bands: pd.DataFrame, comparison: pd.DataFrame, order: list[str], goals: list[Goal], horizon: int
) -> pd.DataFrame:
    """One row per scenario and goal over the horizon, and per other scenario and goal against the base."""
    rows: list[list[Any]] = []
    change_col = next(c for c in comparison.columns if c.startswith("change_vs_"))
    for name in order:
        for g in goals:
            b = bands[(bands["scenario"] == name) & (bands["metric"] == g.figure)].sort_values("month")
            if b.empty:
                continue
            first, last = b.iloc[0], b.iloc[-1]
            change = float(last["p50"] - first["p50"])
            verdict = _verdict(g, change, float(first["p50"]))
            m0, m1 = int(first["month"]), int(last["month"])
            move = (
                f"{'rise' if change > 0 else 'fall'} from {_num(first['p50'])} in month {m0} to {_num(last['p50'])}"
                f" in month {m1}"
                if change
                else f"stay at {_num(first['p50'])} from month {m0} to month {m1}"
            )
            sentence = (
                f"{name}: {g.label} {move} (p10-p90 {_num(last['p10'])}-{_num(last['p90'])}); the goal is {g.want}"
            )
            rows.append([name, g.figure, g.label, g.want, g.why, "month 1", first["p50"], last["p50"], last["p10"],
                         last["p90"], change, verdict, sentence])  # fmt: skip
    for name in order[1:]:
        for g in goals:
            c = comparison[(comparison["scenario"] == name) & (comparison["metric"] == g.figure)]
            base = comparison[(comparison["scenario"] == order[0]) & (comparison["metric"] == g.figure)]
            if c.empty or base.empty:
                continue
            r, b0 = c.iloc[0], base.iloc[0]
            change = float(r[change_col])
            verdict = _verdict(g, change, float(b0["p50"]))
            more = "more" if change > 0 else "fewer"
            sentence = (
                f"{name}: {_num(abs(change))} {more} {g.label} than {order[0]} in month {horizon} (median of paired "
                f"runs); the goal is {g.want}"
            )
            rows.append([name, g.figure, g.label, g.want, g.why, order[0], b0["p50"], r["p50"], r["p10"], r["p90"], change,
                         verdict, sentence])  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def goals_of(meta: dict[str, Any]) -> list[Goal]:
    """The goals a results folder was judged by (``meta.json``); the shipped defaults for older folders."""
    if "goals" in meta:
        return [Goal.model_validate(g) for g in meta["goals"]]
    return load_goals(default_goals_path())
