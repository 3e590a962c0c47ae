"""Run the analyses the report needs and turn them into files: report.html, one CSV per table, the summary.

``build_report`` runs the whole-cohort match (through ``compute_gaps``), the recruitment plan (when a
profiles file is given) and the conflict rules once, then renders every output from the same
``ReportData``, made safe by ``Privacy`` before anything is drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from placements.analysis.gaps import compute_gaps
from placements.io.case_folder import CaseFolder
from placements.privacy.guard import Privacy
from placements.reports.html import charts, data
from placements.reports.html.page import Section, csv_text, render, summary_json

SUMMARY_FILE = "report_summary.json"
HTML_NAME = "report.html"
#: The recruitment option the key figures quote: the inspectors' finding of young children in children's homes.
MAIN_TARGET = "no-under12-residential"

Step = Callable[[str], None]


def _noop(_: str) -> None:
    return None


def recruit_options(plans: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per recruitment option (a target and its cheapest mix), and the households each recruits.

    ``plans``: option name -> ``RecruitPlan`` (``.summary()`` and ``.tables()``, see ``reports/recruit``).
    First-year cost is the mix's one-off recruitment cost plus a year of its places; the saving is what
    moving the target's children to the new homes saves each year (negative when the target costs more).
    """
    rows, hh = [], []
    for option, plan in plans.items():
        s = plan.summary()
        rows.append(
            {
                "option": option,
                "target_reached": bool(s["target_reached"]),
                "proven": bool(s["proven"]),
                "households": int(s["households"]),
                "children_to_family": int(s["children_to_family"]),
                "one_off_cost": data._num(float(s["one_off_cost"])),
                "first_year_cost": data._num(float(s["plan_cost"])),
                "annual_saving": data._num(float(s["annual_saving"])),
                "payback_weeks": s["payback_weeks"] if s["payback_weeks"] is not None else "",
            }
        )
        households = plan.tables()["recruit_households"]
        for r in households[households["households"] > 0].itertuples():
            hh.append(
                {
                    "option": option,
                    "profile": r.profile,
                    "households": int(r.households),
                    "children_placed": int(r.children_placed),
                    "one_off_cost": data._num(float(r.one_off_cost)),
                    "first_year_cost": data._num(float(r.plan_cost)),
                }
            )
    cols = ["option", "profile", "households", "children_placed", "one_off_cost", "first_year_cost"]
    return pd.DataFrame(rows), pd.DataFrame(hh, columns=cols)


def report_data(
    folder: CaseFolder,
    findings: pd.DataFrame,
    rules: list[tuple[str, str]],
    recruit: dict[str, Any] | None = None,
    step: Step = _noop,
) -> tuple[data.ReportData, Any]:
    """Every number of the report. Runs the whole-cohort match (``policy.time_limit_seconds``).

    ``recruit``: option name -> ``RecruitPlan``, already computed (``plan_options``), or None.
    """
    step("whole-cohort match (best with today's homes)")
    gaps = compute_gaps(folder.instance, folder.policy)
    by_rule = data.conflicts_by_rule(findings, rules)
    tables: dict[str, pd.DataFrame] = {}
    recruit_figures: dict[str, float | int] = {}
    tables["placement_mix"] = data.placement_mix(gaps)
    tables["gaps_age_band"] = data.family_by_age_band(gaps)
    tables["gaps_summary"] = data.gaps_summary(gaps)
    tables["gaps_missing"] = gaps.missing
    if recruit:
        options, households = recruit_options(recruit)
        tables["recruit_options"] = options
        tables["recruit_households"] = households
        cheapest = options[options["target_reached"]].sort_values("first_year_cost", kind="mergesort")
        recruit_figures = {"recruit_options_reaching_target": len(cheapest)}
        main = options[options["option"] == MAIN_TARGET]
        if len(main):
            r = main.iloc[0]
            recruit_figures.update(
                {
                    f"households_to_recruit_{MAIN_TARGET}": int(r["households"]),
                    f"first_year_cost_{MAIN_TARGET}": data._num(float(r["first_year_cost"])),
                    f"annual_saving_{MAIN_TARGET}": data._num(float(r["annual_saving"])),
                }
            )
    tables["conflicts_by_rule"] = by_rule
    tables["conflicts_high"] = data.high_severity(findings)
    figures = data.key_figures(gaps, by_rule, recruit_figures)
    tables = {"key_figures": pd.DataFrame({"figure": list(figures), "value": list(figures.values())}), **tables}
    rd = data.ReportData(
        as_of=gaps.as_of,
        key_figures=figures,
        tables=tables,
        headline=str(gaps.headline["sentence"]),
        solve={k: v for k, v in gaps.solver.items() if k != "seconds"},  # timings vary; the report must not
    )
    return rd, gaps


def report_files(
    rd: data.ReportData, privacy: Privacy, la_code: str | None, html_name: str = HTML_NAME, step: Step = _noop
) -> dict[str, str]:
    """report.html, ``<table>.csv`` for each table, report_summary.json: all from ``rd``, all made safe."""
    tables = {name: privacy.frame(frame) for name, frame in rd.tables.items()}
    csvs = {name: csv_text(frame) for name, frame in tables.items()}
    as_of = privacy.text(rd.as_of.isoformat())
    headline = privacy.text(rd.headline)
    solve = rd.solve
    step("charts")
    sections = [
        Section("summary", "Key figures", "", ("key_figures",)),
        Section(
            "placement-mix",
            "Placement mix: today, the best today's homes allow, and the ideal",
            "Today: where the children live now. Best: the engine's whole-cohort match, every child matched as if all "
            "needed a home, into today's homes only. Ideal: every child in their preferred setting, near home, with "
            "their siblings, in a setting that fits their permanence plan.",
            ("placement_mix",),
            "chart-placement-mix",
            charts.placement_mix_chart(tables["placement_mix"]),
            "Children by setting in each state (other: a home outside the register, such as with parents).",
        ),
        Section(
            "gaps-age-band",
            "Sufficiency gaps by age band",
            "Children living with a foster family in each state, per age band; the missing family homes are the "
            "difference between the ideal and the best with today's homes.",
            ("gaps_age_band", "gaps_summary"),
            "chart-gaps-age-band",
            charts.family_by_age_chart(tables["gaps_age_band"]),
            "Children with a foster family, by age band: today, best and ideal.",
        ),
        Section(
            "gaps-missing",
            "Children who need a family the register cannot offer",
            "Each child whose ideal is a foster family but who has none even in the best match, and the rule that stops them.",
            ("gaps_missing",),
            collapsed=True,
        ),
    ]
    if "recruit_options" in tables:
        extra = ("recruit_households",)
        sections.append(
            Section(
                "recruit",
                "Recruitment options against savings",
                "Each option is a target and the cheapest mix of new households that reaches it (placements recruit, "
                "docs/recruit.md): what the mix costs in its first year (recruitment and a year of its places) against "
                "what moving the target's children saves each year.",
                ("recruit_options", *extra),
                "chart-recruit",
                charts.recruit_chart(tables["recruit_options"]),
                "First-year cost and annual saving per recruitment option (GBP).",
            )
        )
    sections += [
        Section(
            "conflicts",
            "Permanence-plan conflicts by type",
            "Findings of each conflict rule (docs/conflicts.md), coloured by severity.",
            ("conflicts_by_rule",),
            "chart-conflicts",
            charts.conflicts_chart(tables["conflicts_by_rule"]),
            "Findings per conflict rule.",
        ),
        Section(
            "conflicts-high",
            "Plans that need attention now (high severity)",
            "",
            ("conflicts_high",),
            collapsed=True,
        ),
    ]
    gap = solve.get("gap")
    proven = "proven optimal" if solve.get("status") == "OPTIMAL" else f"{solve.get('status')}, score gap {gap}"
    footer = (
        f"Made by placements from the case folder as of {as_of}. Whole-cohort match: {proven}"
        f" ({solve.get('backend')}, seed {solve.get('seed')}). "
        + (
            "Child and sibling-group identifiers are keyed pseudonyms and dates are kept to the month. "
            if privacy.pseudonymised
            else ""
        )
        + "No names, full postcodes or dates of birth appear in this report."
    )
    meta = (
        f"As of {as_of}" + (f" · authority {la_code}" if la_code else "") + f" · {rd.key_figures['children']} children"
    )
    meta += " · pseudonymised" if privacy.pseudonymised else ""
    html = render("Placement sufficiency report", meta, headline, sections, csvs, footer)
    summary = privacy.summary(
        {
            "as_of": rd.as_of.isoformat(),
            "pseudonymised": privacy.pseudonymised,
            "headline": rd.headline,
            "key_figures": rd.key_figures,
            "tables": {name: f"{name}.csv" for name in tables},
            "best_solve": solve,
        }
    )
    files = {html_name: html, SUMMARY_FILE: summary_json(summary)}
    files.update({f"{name}.csv": text for name, text in csvs.items()})
    return files
