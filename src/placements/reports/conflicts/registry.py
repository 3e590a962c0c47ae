"""The built-in rules, and running a set of rules over an instance into conflicts.csv's table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

import pandas as pd

from placements.instance import Instance
from placements.reports.conflicts.base import COLUMNS, SEVERITIES, ConflictRule, Finding
from placements.reports.conflicts.rules.dual_plan import DualPlan
from placements.reports.conflicts.rules.ltf_carer_not_long_term import LtfCarerNotLongTerm
from placements.reports.conflicts.rules.plan_setting_mismatch import PlanSettingMismatch
from placements.reports.conflicts.rules.plan_stale import PlanStale
from placements.reports.conflicts.rules.review_overdue import ReviewOverdue
from placements.reports.conflicts.rules.siblings_apart_unrecorded import SiblingsApartUnrecorded
from placements.reports.conflicts.rules.siblings_divergent_plans import SiblingsDivergentPlans
from placements.reports.conflicts.rules.under12_residential_no_rationale import Under12ResidentialNoRationale

#: Every built-in rule, in the order they are run and reported.
BUILTIN_RULES: tuple[ConflictRule, ...] = (
    DualPlan(),
    PlanSettingMismatch(),
    PlanStale(),
    ReviewOverdue(),
    SiblingsDivergentPlans(),
    SiblingsApartUnrecorded(),
    Under12ResidentialNoRationale(),
    LtfCarerNotLongTerm(),
)

BUILTIN_CODES: tuple[str, ...] = tuple(r.code for r in BUILTIN_RULES)


def rule_problem(rule: object) -> str | None:
    """Why ``rule`` is not a usable conflict rule, or None when it is."""
    code = getattr(rule, "code", None)
    if not isinstance(code, str) or not code.strip():
        return "has no text attribute 'code'"
    severity = getattr(rule, "severity", None)
    if severity not in SEVERITIES:
        return f"severity {severity!r} is not one of {', '.join(SEVERITIES)}"
    if not callable(getattr(rule, "check", None)):
        return "has no method check(instance, as_of)"
    return None


def active_rules(disabled: Iterable[str] = (), extra: Iterable[ConflictRule] = ()) -> tuple[ConflictRule, ...]:
    """The built-in rules, then ``extra``, less those whose code is in ``disabled``.

    Codes in ``disabled`` must be known; ``extra`` codes must differ from the built-in ones and each other.
    """
    extra = tuple(extra)
    for rule in extra:
        problem = rule_problem(rule)
        if problem:
            raise TypeError(f"{rule!r} is not a conflict rule: {problem}")
    clash = sorted({r.code for r in extra} & set(BUILTIN_CODES))
    if clash:
        raise ValueError(f"extra rule code(s) {', '.join(clash)} are built-in rule codes; choose others")
    disabled = set(disabled)
    known = set(BUILTIN_CODES) | {r.code for r in extra}
    unknown = sorted(disabled - known)
    if unknown:
        raise ValueError(f"unknown rule code(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    rules = tuple(r for r in BUILTIN_RULES + extra if r.code not in disabled)
    codes = [r.code for r in rules]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ValueError(f"rule code(s) {', '.join(dupes)} used by more than one rule")
    return rules


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """conflicts.csv's table: one row per finding, sorted by child_id then rule (stable otherwise)."""
    rows = [(f.child_id, f.rule, f.severity, f.evidence, f.suggested_action) for f in findings]
    frame = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object)
    return frame.sort_values(["child_id", "rule"], kind="mergesort").reset_index(drop=True)


def run_rules(
    instance: Instance,
    as_of: dt.date,
    disabled: Iterable[str] = (),
    extra: Iterable[ConflictRule] = (),
) -> pd.DataFrame:
    """Run every active rule (see ``active_rules``) and return the findings as conflicts.csv's table."""
    findings: list[Finding] = []
    for rule in active_rules(disabled, extra):
        for f in rule.check(instance, as_of):
            if not isinstance(f, Finding):
                raise TypeError(f"rule {rule.code!r} returned {f!r}, not a Finding")
            if f.rule != rule.code:
                raise ValueError(f"rule {rule.code!r} returned a finding coded {f.rule!r}")
            findings.append(_without_date_of_birth(f, instance))
    return findings_frame(findings)


DOB_MARK = "[date of birth]"


def _without_date_of_birth(f: Finding, instance: Instance) -> Finding:
    """The finding with its child's own date of birth, if cited, written as ``[date of birth]``.

    A date a rule cites can coincide with it (a baby coming into care on the day it is born), and
    the output must not hold dates of birth.
    """
    j = instance.child_index.get(f.child_id)
    if j is None:
        return f
    dob = instance.children[j].date_of_birth
    evidence = f.evidence
    for text in (dob.isoformat(), dob.strftime("%d/%m/%Y")):
        evidence = evidence.replace(text, DOB_MARK)
    return f if evidence == f.evidence else replace(f, evidence=evidence)
