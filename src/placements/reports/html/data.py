"""The numbers of the report: every chart and table is one DataFrame here, written as ``<name>.csv``.

The HTML page, the CSVs and ``report_summary.json`` are all rendered from ``ReportData``, so they cannot
disagree; ``tests/test_report.py`` checks that they do not, in a real browser.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from placements.analysis.gaps import STATES, Gaps
from placements.codes import AGE_BANDS

#: Placement mix categories, in the order they are stacked.
MIX_CATEGORIES: tuple[str, ...] = ("foster", "supported", "residential", "other", "no home")
SEVERITY_ORDER: tuple[str, ...] = ("high", "medium", "low")


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows. ``tables``: name -> frame, in page order; ``key_figures``: the summary."""

    as_of: dt.date
    key_figures: dict[str, float | int]
    tables: dict[str, pd.DataFrame]
    headline: str
    solve: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def placement_mix(gaps: Gaps) -> pd.DataFrame:
    """Children by where they live in each state: foster, supported, residential, other (a home outside the
    register: with parents, placed for adoption, ...), no home."""
    rows = []
    ch = gaps.children
    for s in STATES:
        setting = ch[f"{s}_setting"].where(ch[f"{s}_placed"], "no home").replace("", "no home")
        counts = setting.value_counts()
        row: dict[str, Any] = {"state": s}
        row.update({cat: int(counts.get(cat, 0)) for cat in MIX_CATEGORIES})
        row["children"] = len(ch)
        rows.append(row)
    return pd.DataFrame(rows, columns=["state", *MIX_CATEGORIES, "children"])


def family_by_age_band(gaps: Gaps) -> pd.DataFrame:
    """Per age band: children, how many live with a foster family in each state, and the family homes
    still missing (ideal minus best)."""
    t = gaps.by_dimension["age_band"]
    rows = []
    for label, _, _ in AGE_BANDS:
        band = t[t["age_band"] == label].set_index("metric")
        if band.empty:
            continue
        fam = band.loc["in_family"]
        rows.append(
            {
                "age_band": label,
                "children": int(band.loc["children", "today"]),
                "family_today": int(fam["today"]),
                "family_best": int(fam["best"]),
                "family_ideal": int(fam["ideal"]),
                "family_homes_missing": max(0, int(fam["ideal"]) - int(fam["best"])),
                "residential_under12_today": int(band.loc["under12_residential", "today"]),
                "residential_under12_best": int(band.loc["under12_residential", "best"]),
            }
        )
    return pd.DataFrame(rows)


def gaps_summary(gaps: Gaps) -> pd.DataFrame:
    """The metric x state table, with whole numbers shown as whole numbers."""
    t = gaps.summary_table.copy()
    for col in ("today", "best", "ideal", "today_to_best", "best_to_ideal"):
        t[col] = t[col].map(_num)
    return t


def conflicts_by_rule(findings: pd.DataFrame, rules: list[tuple[str, str]]) -> pd.DataFrame:
    """Findings per rule (every active rule, zeros included), in the registry's order."""
    counts = findings.groupby("rule").size().to_dict() if len(findings) else {}
    return pd.DataFrame(
        [{"rule": code, "severity": sev, "findings": int(counts.get(code, 0))} for code, sev in rules],
        columns=["rule", "severity", "findings"],
    )


def high_severity(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings a manager acts on this week: high severity, by child."""
    return findings[findings["severity"] == "high"].reset_index(drop=True)


def _num(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def key_figures(gaps: Gaps, by_rule: pd.DataFrame, recruit: dict[str, Any] | None) -> dict[str, float | int]:
    """The report's summary: the figures at the top of the page, in ``key_figures.csv`` and the JSON."""
    h = gaps.headline
    v = gaps.summary_table.set_index("metric")
    out: dict[str, float | int] = {
        "children": int(h["children"]),
        "in_family_today": int(h["in_family_today"]),
        "could_live_with_family_today": int(h["could_live_with_family_today"]),
        "need_a_family": int(h["need_a_family"]),
        "family_homes_missing_for": int(h["family_homes_missing_for"]),
        "unplaceable_with_todays_homes": int(h["unplaceable_with_todays_homes"]),
        "under12_residential_today": int(v.loc["under12_residential", "today"]),
        "under12_residential_best": int(v.loc["under12_residential", "best"]),
        "siblings_apart_today": int(v.loc["siblings_apart", "today"]),
        "siblings_apart_best": int(v.loc["siblings_apart", "best"]),
        "weekly_cost_today": _num(float(v.loc["weekly_cost", "today"])),
        "weekly_cost_best": _num(float(v.loc["weekly_cost", "best"])),
        "weekly_cost_ideal": _num(float(v.loc["weekly_cost", "ideal"])),
        "conflicts": int(by_rule["findings"].sum()),
        "conflicts_high": int(by_rule.loc[by_rule["severity"] == "high", "findings"].sum()),
    }
    if recruit:
        out.update(recruit)
    return out
