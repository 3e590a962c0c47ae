"""What the generator planted: per permanence-plan conflict rule, the children it applies to.

Computed from the generator's own decisions (the plans it drew, the homes it chose, the reviews
it held, the reasons it recorded) with its own statement of the rules below and its own review
calendar (``timescales``), never by calling ``placements.reports.conflicts``: a test runs those
rules on the generated folder and expects exactly these children, so a disagreement shows a bug
in one of the two.

The statements follow ``docs/conflicts.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from placements.calendar import (
    SECOND_REVIEW_MONTHS,
    add_months_array,
    first_review_due_array,
    next_review_due_array,
)
from placements.codes import ROUTE_MIN_AGE, ROUTE_SETTINGS, Route, Setting

if TYPE_CHECKING:
    from placements.synth.authority import Authority

RULES = (
    "dual_plan",
    "plan_setting_mismatch",
    "plan_stale",
    "review_overdue",
    "siblings_divergent_plans",
    "siblings_apart_unrecorded",
    "under12_residential_no_rationale",
    "ltf_carer_not_long_term",
)


def _one_year_before(day: dt.date) -> np.datetime64:
    return add_months_array(np.array([day], dtype="datetime64[D]"), -12)[0]


def planted(a: Authority) -> dict[str, list[str]]:
    """Child ids per rule code for one authority."""
    kids, places, as_of = a.kids, a.places, a.as_of
    day = np.datetime64(as_of, "D")
    n = len(kids)
    known = (kids.place >= 0) & ~kids.needing
    setting = np.where(known, places.setting[np.maximum(kids.place, 0)], None)
    long_term = known & places.long_term[np.maximum(kids.place, 0)]
    out: dict[str, list[int]] = {code: [] for code in RULES}

    held = a.dates.reviews
    due = next_review_due_array(a.dates.entered, held)
    second_from_entry = add_months_array(first_review_due_array(a.dates.entered), SECOND_REVIEW_MONTHS)
    year_ago = _one_year_before(as_of)
    for i in range(n):
        plan = a.plans[i]
        if len(plan) > 1:
            out["dual_plan"].append(i)
        if plan and any(
            (known[i] and setting[i] not in ROUTE_SETTINGS[r]) or kids.age[i] < ROUTE_MIN_AGE.get(r, 0) for r in plan
        ):
            out["plan_setting_mismatch"].append(i)
        k = len(held[i])
        no_plan_late = not plan and (k >= 2 or (k == 0 and day > second_from_entry[i]))
        old = bool(plan) and not np.isnat(a.dates.assessment[i]) and a.dates.assessment[i] < year_ago
        if no_plan_late or old:
            out["plan_stale"].append(i)
        if day > due[i]:
            out["review_overdue"].append(i)
        if known[i] and setting[i] == Setting.RESIDENTIAL and kids.age[i] < 12 and not a.rationale[i]:
            out["under12_residential_no_rationale"].append(i)
        if Route.LONG_TERM_FOSTER in plan and known[i] and setting[i] == Setting.FOSTER and not long_term[i]:
            out["ltf_carer_not_long_term"].append(i)
    for g in kids.groups():
        with_plan = [i for i in g if a.plans[i]]
        if len({frozenset(a.plans[i]) for i in with_plan}) > 1:
            for i in with_plan:
                if any(set(a.plans[o]) != set(a.plans[i]) for o in with_plan):
                    out["siblings_divergent_plans"].append(int(i))
        at = g[known[g]]
        if len(np.unique(kids.place[at])) > 1:
            out["siblings_apart_unrecorded"].extend(int(i) for i in at if not a.apart_reason[i])
    return {code: sorted(a.child_id[idx] for idx in ids) for code, ids in out.items()}


def ground_truth(parts: list[dict[str, list[str]]], as_of: dt.date) -> dict[str, object]:
    """ground_truth.json: per rule, the sorted child ids (``planted`` of each authority) and their count."""
    rules = {code: sorted(i for part in parts for i in part.get(code, [])) for code in RULES}
    return {
        "as_of": as_of.isoformat(),
        "note": "planted by placements.synth; placements conflicts on this folder finds exactly these children",
        "counts": {code: len(ids) for code, ids in rules.items()},
        "rules": rules,
    }
