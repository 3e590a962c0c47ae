"""Run the analyses the report needs and turn them into files: report.html, one CSV per table, the summary.

``report_data`` runs the whole-cohort match (through ``compute_gaps``), takes the recruitment plans (when
given) and the conflict findings, and, with a simulation's output folder, its scenario comparison; then
``report_files`` renders every output from the same ``ReportData``, made safe by ``Privacy`` before anything
is drawn.
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
from placements.reports.html.simulation import CHARTED, Simulation, bands_table, comparison_table, reading, wrong_way

SUMMARY_FILE = "report_summary.json"
HTML_NAME = "report.html"

Step = Callable[[str], None]


def _noop(_: str) -> None:
    return None


def recruit_options(plans: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per recruitment option and the households each recruits (``data.recruit_options``)."""
    return data.recruit_options(plans)


def report_data(
    folder: CaseFolder,
    findings: pd.DataFrame,
    rules: list[tuple[str, str]],
    recruit: dict[str, Any] | None = None,
    step: Step = _noop,
    simulation: Simulation | None = None,
) -> tuple[data.ReportData, Any]:
    """Every number of the report. Runs the whole-cohort match (``policy.time_limit_seconds``).

    ``recruit``: option name -> ``RecruitPlan``, already computed (``recruitment_options``), or None.
    ``simulation``: a simulation's output folder, read (``read_simulation``), or None.
    """
    step("whole-cohort match (best with today's homes, with and without moves)")
    gaps = compute_gaps(folder.instance, folder.policy)
    by_rule = data.conflicts_by_rule(findings, rules)
    tables: dict[str, pd.DataFrame] = {}
    tables["placement_mix"] = data.placement_mix(gaps)
    tables["gaps_age_band"] = data.family_by_age_band(gaps)
    tables["gaps_summary"] = data.gaps_summary(gaps)
    tables["moves_by_setting"] = data.moves_by_setting(gaps)
    tables["gaps_moves"] = gaps.moves
    tables["gaps_missing"] = gaps.missing
    options = None
    if recruit:
        options, households = data.recruit_options(recruit)
        tables["recruit_options"] = options
        tables["recruit_households"] = households
    if simulation is not None:
        tables["simulation_comparison"] = comparison_table(simulation)
        tables["simulation_bands"] = bands_table(simulation)
        if simulation.goals is not None:
            tables["simulation_goals"] = simulation.goals
    tables["conflicts_by_rule"] = by_rule
    tables["conflicts_high"] = data.high_severity(findings)
    figures = data.key_figures(gaps, by_rule, options)
    tables = {"key_figures": data.key_figures_frame(figures), **tables}
    rd = data.ReportData(
        as_of=gaps.as_of,
        key_figures=figures,
        tables=tables,
        headline=str(gaps.headline["sentence"]),
        solve={k: v for k, v in gaps.solver.items() if k != "seconds"},  # timings vary; the report must not
        readings=_readings(gaps, tables, by_rule),
        recruit_sentences=tuple(str(p.summary()["sentence"]) for p in (recruit or {}).values()),
    )
    return rd, gaps


def _n(v: float) -> str:
    return f"{v:,.0f}"


def _readings(gaps: Any, tables: dict[str, pd.DataFrame], by_rule: pd.DataFrame) -> dict[str, str]:
    """The sentence under each chart, from the very tables the charts draw."""
    mix = tables["placement_mix"].set_index("state")
    rows = list(mix.index)  # today, best nobody moving, best with moves, ideal
    say = [
        f"{state}: {_n(mix.loc[state, 'foster'])} with a foster family, {_n(mix.loc[state, 'residential'])} in a "
        f"children's home, {_n(mix.loc[state, 'no home'])} without a home"
        for state in rows
    ]
    out = {"chart-placement-mix": "Where the children live. " + "; ".join(say) + "."}
    age = tables["gaps_age_band"]
    if len(age):
        worst = age.sort_values(["family_homes_missing", "age_band"], ascending=[False, True]).iloc[0]
        out["chart-gaps-age-band"] = (
            f"Of {_n(age['need_a_family'].sum())} children who need a foster family, {_n(age['with_a_family_today'].sum())} "
            f"have one today; today's homes could give {_n(age['with_a_family_nobody_moving'].sum())} with nobody moving "
            f"and {_n(age['with_a_family_with_moves'].sum())} with moves. {_n(age['family_homes_missing'].sum())} cannot "
            f"have one, most of them aged {worst['age_band']} ({_n(worst['family_homes_missing'])})."
        )
    if "recruit_options" in tables:
        parts = []
        for r in tables["recruit_options"].itertuples():
            if r.status in ("reached", "budget"):
                saving = r.annual_saving
                money = (
                    f"save GBP {_n(saving)} a year"
                    if saving > 0
                    else f"cost GBP {_n(-saving)} a year more"
                    if saving < 0
                    else "save nothing"
                )
                households = f"{r.households} household{'' if r.households == 1 else 's'}"
                parts.append(
                    f"'{r.target}': {households}, GBP {_n(r.first_year_cost)} in the first year; the moves {money}"
                )
            else:
                parts.append(f"'{r.target}': {r.status} with no child worse off, so no cost or saving is shown")
        out["chart-recruit"] = "Each recruitment option: " + "; ".join(parts) + "."
    top = by_rule.sort_values("findings", ascending=False, kind="mergesort").iloc[0] if len(by_rule) else None
    if top is not None:
        out["chart-conflicts"] = (
            f"{_n(by_rule['findings'].sum())} findings, "
            f"{_n(by_rule.loc[by_rule['severity'] == 'high', 'findings'].sum())} of high severity; the most common: "
            f"{str(top['rule']).replace('_', ' ')} ({_n(top['findings'])})."
        )
    return out


def _solve_sentence(solve: dict[str, Any]) -> str:
    """What the whole-cohort match proves, in words (no score gap as a bare number)."""
    if solve.get("status") == "OPTIMAL":
        return "The best match of today's homes is proven the best possible."
    if solve.get("tiers_1_3_optimal"):
        gap = float(solve.get("gap") or 0.0)
        return (
            "The best match is proven to place as many children, and keep as many sibling groups together, as "
            "today's homes allow; its finer preferences (distance, area, cost) are within "
            f"{100 * gap:.1f}% of the best possible, not proven in the time given."
        )
    return (
        "The best match was not proven within the time given: it may understate what today's homes allow; run "
        "again with a longer --time-limit."
    )


def _simulation_sections(sim: Simulation) -> list[Section]:
    runs, months = sim.meta["runs"], sim.meta["horizon_months"]
    names = ", ".join(sim.order)
    alerts = tuple(wrong_way(sim))
    intro = (
        f"placements simulate: {len(sim.order)} scenario(s) ({names}), {runs} runs each, {months} months from "
        f"{sim.meta['start']}; each chart shows the median and the p10-p90 band across runs."
    )
    if sim.goals is None:
        intro += " This folder has no goals.csv, so no figure is judged against the authority's goals."
    elif not alerts:
        intro += " No figure moves against the authority's goals (goals.csv)."
    out = [
        Section(
            "simulation",
            f"Scenarios over {months} months",
            intro,
            ("simulation_comparison",),
            items=alerts,
            items_title="Moving the wrong way against the authority's own goals" if alerts else "",
        )
    ]
    for metric, words in CHARTED.items():
        if not (sim.bands["metric"] == metric).any():
            continue
        chart_id = f"chart-simulation-{metric.replace('_', '-')}"
        out.append(
            Section(
                f"simulation-{metric.replace('_', '-')}",
                words[0].upper() + words[1:],
                "",
                (),
                chart_id,
                charts.band_chart(sim.bands, metric, words, sim.order, chart_id),
                f"{words[0].upper() + words[1:]}, month by month, per scenario.",
                reading=reading(sim, metric),
                data_csv="simulation_bands",
            )
        )
    extra = ("simulation_bands",) + (("simulation_goals",) if sim.goals is not None else ())
    out.append(Section("simulation-tables", "Scenario figures, month by month", "", extra, collapsed=True))
    return out


def report_files(
    rd: data.ReportData,
    privacy: Privacy,
    la_code: str | None,
    html_name: str = HTML_NAME,
    step: Step = _noop,
    simulation: Simulation | None = None,
) -> dict[str, str]:
    """report.html, ``<table>.csv`` for each table, report_summary.json: all from ``rd``, all made safe."""
    tables = {name: privacy.frame(frame) for name, frame in rd.tables.items()}
    csvs = {name: csv_text(frame) for name, frame in tables.items()}
    as_of = privacy.text(rd.as_of.isoformat())
    headline = privacy.text(rd.headline)
    solve = rd.solve
    reads = {k: privacy.text(v) for k, v in rd.readings.items()}
    step("charts")
    sections = [
        Section("summary", "Key figures", "", ("key_figures",)),
        Section(
            "placement-mix",
            "Where the children live: today, the best today's homes allow, and the ideal",
            "Today: where the children live now. Best, nobody moves: every child who lives in a home stays and the "
            "children needing one are matched into today's vacancies. Best, with moves: the engine's whole-cohort "
            "match, in which a settled child moves only to a home better for them by more than a move costs them "
            "(never out of a foster family, away from brothers and sisters or kinship carers). Ideal: every child in "
            "their preferred setting, near home, with their siblings, in a setting that fits their permanence plan.",
            ("placement_mix",),
            "chart-placement-mix",
            charts.placement_mix_chart(tables["placement_mix"]),
            "Children by setting in each state (other: a home outside the register, such as with parents).",
            reading=reads.get("chart-placement-mix", ""),
        ),
        Section(
            "gaps-age-band",
            "Children who need a foster family, by age band",
            "Per age band, the children whose ideal is a foster family, and how many of them have one today and could "
            "with today's homes. The family homes missing are the children who need a family and cannot have one "
            "(the same children as the table of missing family homes below).",
            ("gaps_age_band",),
            "chart-gaps-age-band",
            charts.family_by_age_chart(tables["gaps_age_band"]),
            "Children who need a foster family and how many of them have one, by age band.",
            reading=reads.get("chart-gaps-age-band", ""),
        ),
        Section(
            "gaps-summary",
            "Every measure in each state",
            "",
            ("gaps_summary",),
            collapsed=True,
        ),
        Section(
            "moves",
            "Settled children who would move in the best match",
            str(privacy.text(_moves_text(tables["moves_by_setting"], rd))),
            ("moves_by_setting",),
        ),
        Section("moves-each", "Each move and why", "", ("gaps_moves",), collapsed=True),
        Section(
            "gaps-missing",
            "Children who need a family the register cannot offer",
            "Each child whose ideal is a foster family but who has none even in the best match, and the rule that "
            "stops them.",
            ("gaps_missing",),
            collapsed=True,
        ),
    ]
    if "recruit_options" in tables:
        sections.append(
            Section(
                "recruit",
                "Recruitment options",
                "Each option is a target and the cheapest mix of new households that reaches it with no child made "
                "worse off (placements recruit, docs/recruit.md): the households, their first-year cost (recruitment "
                "and a year of their places), and what the children's moves save or cost each year. A target that "
                "cannot be reached, or was not proven reached in the time given, shows no cost or saving.",
                ("recruit_options", "recruit_households"),
                "chart-recruit",
                charts.recruit_chart(tables["recruit_options"]),
                "First-year cost and yearly saving (or extra cost) per recruitment option, in GBP.",
                reading=reads.get("chart-recruit", ""),
                items=tuple(privacy.text(t) for t in rd.recruit_sentences),
                items_title="What each option says",
                items_class="plain",
            )
        )
    if simulation is not None:
        sections += _simulation_sections(simulation)
    sections += [
        Section(
            "conflicts",
            "Permanence-plan conflicts by type",
            "Findings of each conflict rule (docs/conflicts.md), coloured by severity.",
            ("conflicts_by_rule",),
            "chart-conflicts",
            charts.conflicts_chart(tables["conflicts_by_rule"]),
            "Findings per conflict rule.",
            reading=reads.get("chart-conflicts", ""),
        ),
        Section(
            "conflicts-high",
            "Plans that need attention now (high severity)",
            "",
            ("conflicts_high",),
            collapsed=True,
        ),
    ]
    footer = (
        f"Made by placements from the case folder as of {as_of}. {_solve_sentence(solve)} "
        f"Settled children's moves follow the policy's stability rule ({solve.get('stability', 'protect')}). "
        + (
            "Child and sibling-group identifiers are keyed pseudonyms and dates are kept to the month. "
            if privacy.pseudonymised
            else ""
        )
        + "No names, full postcodes or dates of birth appear in this report."
    )
    children = next(f["value"] for f in rd.key_figures if f["key"] == "children")
    meta = f"As of {as_of}" + (f" · authority {la_code}" if la_code else "") + f" · {children} children"
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
            "readings": reads,
        }
    )
    files = {html_name: html, SUMMARY_FILE: summary_json(summary)}
    files.update({f"{name}.csv": text for name, text in csvs.items()})
    return files


def _moves_text(by_setting: pd.DataFrame, rd: data.ReportData) -> str:
    moving = next(f for f in rd.key_figures if f["key"] == "settled_children_moving")
    if not len(by_setting):
        return f"No settled child would move in the best match ({moving['note']})."
    parts = ", ".join(f"{r.children} from {r.from_setting} to {r.to_setting}" for r in by_setting.itertuples())
    return (
        f"{moving['value']} settled children would move in the best match ({moving['note']}): {parts}. Each move "
        "and what it gains the child are in the table below it."
    )
