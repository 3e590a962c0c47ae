"""The numbers of the report: every chart and table is one DataFrame here, written as ``<name>.csv``.

Each headline figure is computed once, where it belongs (``Gaps.headline`` for sufficiency, the recruitment
plan's summary for each option, the conflict counts here), and every table, chart and key figure reads it
there. The HTML page, the CSVs and ``report_summary.json`` are all rendered from ``ReportData``, so they
cannot disagree; ``tests/test_report.py`` checks that they do not, in a real browser, and
``tests/test_consistency.py`` recomputes every headline from the CSVs on three authorities.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from placements.analysis.gaps import STATE_LABELS, STATES, Gaps
from placements.codes import AGE_BANDS

#: Placement mix categories, in the order they are stacked.
MIX_CATEGORIES: tuple[str, ...] = ("foster", "supported", "residential", "other", "no home")
SEVERITY_ORDER: tuple[str, ...] = ("high", "medium", "low")
#: Recruitment targets in words, and the order options are shown in.
TARGET_WORDS: dict[str, str] = {
    "all-placed": "Every child who needs a home has one",
    "no-under12-residential": "No child under 12 in a children's home",
    "siblings-together": "Brothers and sisters live together",
}
#: Columns of key_figures.csv: plain words, a number (blank when there is none to give), its unit, a note.
KEY_COLUMNS = ("figure", "value", "unit", "note")


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows. ``tables``: name -> frame, in page order; ``key_figures``: one dict per
    figure (``key``, and the columns of key_figures.csv); ``readings``: a sentence under each chart."""

    as_of: dt.date
    key_figures: list[dict[str, Any]]
    tables: dict[str, pd.DataFrame]
    headline: str
    solve: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    readings: dict[str, str] = field(default_factory=dict)
    recruit_sentences: tuple[str, ...] = ()


def placement_mix(gaps: Gaps) -> pd.DataFrame:
    """Children by where they live in each state: foster, supported, residential, other (a home outside the
    register: with parents, placed for adoption, ...), no home."""
    rows = []
    ch = gaps.children
    for s in STATES:
        setting = ch[f"{s}_setting"].where(ch[f"{s}_placed"], "no home").replace("", "no home")
        counts = setting.value_counts()
        row: dict[str, Any] = {"state": STATE_LABELS[s]}
        row.update({cat: int(counts.get(cat, 0)) for cat in MIX_CATEGORIES})
        row["children"] = len(ch)
        rows.append(row)
    return pd.DataFrame(rows, columns=["state", *MIX_CATEGORIES, "children"])


def family_by_age_band(gaps: Gaps) -> pd.DataFrame:
    """Per age band: children, those who need a foster family (their ideal), how many of them have one in each
    state, and the family homes missing (need minus best, never negative: the same children as gaps_missing)."""
    t = gaps.by_dimension["age_band"]
    rows = []
    for label, _, _ in AGE_BANDS:
        band = t[t["age_band"] == label].set_index("metric")
        if band.empty:
            continue
        need = band.loc["family_as_needed"]
        rows.append(
            {
                "age_band": label,
                "children": int(band.loc["children", "today"]),
                "need_a_family": int(need["ideal"]),
                "with_a_family_today": int(need["today"]),
                "with_a_family_nobody_moving": int(need["no_moves"]),
                "with_a_family_with_moves": int(need["best"]),
                "family_homes_missing_nobody_moving": int(need["ideal"] - need["no_moves"]),
                "family_homes_missing": int(need["ideal"] - need["best"]),
                "under12_residential_today": int(band.loc["under12_residential", "today"]),
                "under12_residential_best": int(band.loc["under12_residential", "best"]),
            }
        )
    return pd.DataFrame(rows)


def gaps_summary(gaps: Gaps) -> pd.DataFrame:
    """The metric x state table, with whole numbers shown as whole numbers."""
    t = gaps.summary_table.copy()
    for col in ("today", "no_moves", "best", "ideal", "today_to_best", "no_moves_to_best", "best_to_ideal"):
        t[col] = t[col].map(_num)
    return t


def moves_by_setting(gaps: Gaps) -> pd.DataFrame:
    """Settled children the best state moves, by the setting they leave and the one they go to."""
    m = gaps.moves
    if len(m) == 0:
        return pd.DataFrame(columns=["from_setting", "to_setting", "children", "better_for_the_child"])
    frame = m.assign(to_setting=m["to_setting"].replace("", "no home"))
    out = (
        frame.groupby(["from_setting", "to_setting"], sort=True)
        .agg(children=("child_id", "size"), better_for_the_child=("better_for_the_child", "sum"))
        .reset_index()
    )
    out["better_for_the_child"] = out["better_for_the_child"].astype(int)
    return out.sort_values(["children", "from_setting", "to_setting"], ascending=[False, True, True]).reset_index(
        drop=True
    )


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


def recruit_options(plans: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per recruitment option (a target and its cheapest mix), and the households each recruits.

    Every figure is the plan's own summary (``RecruitPlan.summary()``). An option whose target is not
    reached, or not proven reached, has no households, cost or saving here (blank, never zero): its status
    and its sentence say what the profiles can and cannot do. The saving is what the moves save each year,
    negative when they cost more.
    """
    rows, hh = [], []
    for option, plan in plans.items():
        s = plan.summary()
        reached = s["status"] in ("reached", "budget")

        def blank(v: Any, reached: bool = reached) -> Any:
            return _num(float(v)) if reached and v is not None else None

        rows.append(
            {
                "option": option,
                "target": TARGET_WORDS.get(option, option),
                "status": s["status"],
                "cheapest_mix": ("proven" if s["proven"] else "not proven") if reached else "",
                "households": int(s["households"]) if reached else None,
                "one_off_cost": blank(s["one_off_cost"]),
                "first_year_cost": blank(s["plan_cost"]),
                "annual_saving": blank(s["annual_saving"]),
                "children_moving": int(s["children_moving"]) if reached else None,
                "moves_family_to_residential": int(s["moves_family_to_residential"]) if reached else None,
                "children_to_family": int(s["children_to_family"]) if reached else None,
                "payback_weeks": s["payback_weeks"] if reached else None,
            }
        )
        if not reached:
            continue
        households = plan.tables()["recruit_households"]
        for r in households[households["households"] > 0].itertuples():
            hh.append(
                {
                    "option": option,
                    "profile": r.profile,
                    "households": int(r.households),
                    "children_placed": int(r.children_placed),
                    "one_off_cost": _num(float(r.one_off_cost)),
                    "first_year_cost": _num(float(r.plan_cost)),
                }
            )
    cols = ["option", "profile", "households", "children_placed", "one_off_cost", "first_year_cost"]
    options = pd.DataFrame(rows)
    for col in ("households", "children_moving", "moves_family_to_residential", "children_to_family"):
        options[col] = options[col].astype("Int64")
    return options, pd.DataFrame(hh, columns=cols)


def _figure(key: str, figure: str, value: Any, unit: str, note: str = "") -> dict[str, Any]:
    return {"key": key, "figure": figure, "value": value, "unit": unit, "note": note}


def key_figures(gaps: Gaps, by_rule: pd.DataFrame, options: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The figures at the top of the page, in ``key_figures.csv`` and the JSON: plain words and a unit each,
    every number read from where it is computed (``Gaps.headline``, the options table, the conflict counts)."""
    h = gaps.headline
    ur, apart, cost = h["under12_residential"], h["siblings_apart"], h["weekly_cost"]
    moving = h["settled_children_moving"]
    out = [
        _figure("children", "Children in the cohort", h["children"], "children"),
        _figure("need_a_family", "Children who need a foster family", h["need_a_family"], "children"),
        _figure(
            "need_a_family_with_one_today",
            "of whom live with a foster family today",
            h["need_a_family_with_one_today"],
            "children",
        ),
        _figure(
            "could_have_a_family_without_moves",
            "could have one with today's homes, no settled child moving",
            h["could_have_a_family_without_moves"],
            "children",
        ),
        _figure(
            "could_have_a_family_with_todays_homes",
            "could have one with today's homes, settled children moving only where it is better for them",
            h["could_have_a_family_with_todays_homes"],
            "children",
        ),
        _figure(
            "family_homes_missing_for",
            "Children who need a foster family no home on the register can give",
            h["family_homes_missing_for"],
            "children",
            "family homes to find: by age and the rule that stops them below",
        ),
        _figure(
            "settled_children_moving",
            "Settled children who would move in the best match",
            moving,
            "children",
            f"of {h['settled_children']} living in a home today; "
            + ("every move better for the child" if not h["moves_worse_for_the_child"] else "see moves below"),
        ),
        _figure(
            "unplaceable_with_todays_homes",
            "Children with no home even with today's homes used as well as possible",
            h["unplaceable_with_todays_homes"],
            "children",
        ),
        _figure("under12_residential_today", "Children under 12 in a children's home today", ur["today"], "children"),
        _figure(
            "under12_residential_best", "Children under 12 in a children's home, best match", ur["best"], "children"
        ),
        _figure(
            "siblings_apart_today", "Children living apart from a brother or sister today", apart["today"], "children"
        ),
        _figure(
            "siblings_apart_best",
            "Children living apart from a brother or sister, best match",
            apart["best"],
            "children",
        ),
        _figure(
            "weekly_cost_today",
            "Cost of placements today",
            _num(cost["today"]),
            "GBP a week",
            "placements on the register",
        ),
        _figure("weekly_cost_best", "Cost of placements, best match", _num(cost["best"]), "GBP a week"),
        _figure(
            "weekly_cost_ideal", "Cost of placements, ideal", _num(cost["ideal"]), "GBP a week", "at typical costs"
        ),
        _figure("conflicts", "Permanence-plan conflicts found", int(by_rule["findings"].sum()), "findings"),
        _figure(
            "conflicts_high",
            "of high severity",
            int(by_rule.loc[by_rule["severity"] == "high", "findings"].sum()),
            "findings",
        ),
    ]
    if options is not None:
        for r in options.itertuples():
            name = TARGET_WORDS.get(r.option, r.option)
            reached = r.status in ("reached", "budget")
            note = (
                f"cheapest mix {r.cheapest_mix}"
                if reached
                else ("not reached with no child worse off" if r.status == "not reached" else "not proven reached")
            )
            out.append(
                _figure(
                    f"households_{r.option}",
                    f"Recruit for '{name}': households",
                    _blank(r.households),
                    "households",
                    note,
                )
            )
            out.append(
                _figure(
                    f"first_year_cost_{r.option}",
                    "first-year cost",
                    _blank(r.first_year_cost),
                    "GBP",
                    "" if reached else note,
                )
            )
            saving = _blank(r.annual_saving)
            out.append(
                _figure(
                    f"annual_saving_{r.option}",
                    "saving from the moves",
                    saving,
                    "GBP a year",
                    ("negative: the moves cost more" if saving is not None and saving < 0 else "") if reached else note,
                )
            )
            out.append(
                _figure(
                    f"children_moving_{r.option}",
                    "settled children who would move",
                    _blank(r.children_moving),
                    "children",
                    _family_to_home(_blank(r.moves_family_to_residential)) if reached else note,
                )
            )
    return out


def _family_to_home(n: int | None) -> str:
    return (
        "none from a foster family to a children's home" if not n else f"{n} from a foster family to a children's home"
    )


def _blank(v: Any) -> Any:
    """A missing value (not reached, not proven) stays missing: never shown as zero."""
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return None
    return _num(float(v)) if isinstance(v, float) else int(v)


def key_figures_frame(figures: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{k: f[k] for k in KEY_COLUMNS} for f in figures], columns=list(KEY_COLUMNS))
