"""``plan_setting_mismatch``: the permanence plan does not fit where the child lives, or their age (medium).

The mapping is data: for each route, the current settings it is compatible with, and the youngest
age at which it is a plan at all. A placed child with a known current place is checked against
``COMPATIBLE_SETTINGS``; every child is checked against ``MIN_AGE``.
"""

from __future__ import annotations

import datetime as dt

from placements.codes import Route, Setting
from placements.instance import Instance
from placements.reports.conflicts.base import Finding, Severity, current_place

_ALL = frozenset(Setting)

#: route -> settings a child on that route may currently live in.
COMPATIBLE_SETTINGS: dict[Route, frozenset[Setting]] = {
    # Leaving care to family: reachable from any home.
    Route.RETURN_HOME: _ALL,
    Route.KINSHIP: _ALL,
    Route.SGO: _ALL,
    Route.CAO: _ALL,
    # Adoption is prepared from a family setting (foster care, Fostering for Adoption).
    Route.ADOPTION: frozenset({Setting.FOSTER}),
    # Long-term fostering means living with a foster carer.
    Route.LONG_TERM_FOSTER: frozenset({Setting.FOSTER}),
    # A residential plan while in foster care is a plan to move a child out of a family.
    Route.RESIDENTIAL: frozenset({Setting.RESIDENTIAL}),
    # Preparation for independence can happen in any home from 16.
    Route.INDEPENDENCE: _ALL,
    # Staying Put (with former foster carers) / Staying Close (near a former children's home).
    Route.STAYING_PUT: frozenset({Setting.FOSTER, Setting.RESIDENTIAL}),
}

#: route -> youngest age (whole years on the as-of date) at which the route is a plan.
MIN_AGE: dict[Route, int] = {
    Route.INDEPENDENCE: 16,
    Route.STAYING_PUT: 16,
}


class PlanSettingMismatch:
    code = "plan_setting_mismatch"
    severity: Severity = "medium"
    action = (
        "Review whether the current home can deliver the plan; revise the plan or plan a move and record the reason."
    )

    def check(self, instance: Instance, as_of: dt.date) -> list[Finding]:
        out = []
        for c in instance.children:
            if not c.permanence_plan:
                continue
            where = current_place(instance, c)
            age = c.age_on(as_of)
            reasons = []
            for route in c.permanence_plan:
                if where is not None and where.setting not in COMPATIBLE_SETTINGS[route]:
                    reasons.append(f"{route.value} plan while living in {where.setting.value} ({where.place_id})")
                if route in MIN_AGE and age < MIN_AGE[route]:
                    reasons.append(f"{route.value} plan at age {age} (from {MIN_AGE[route]})")
            if reasons:
                out.append(Finding(c.child_id, self.code, self.severity, "; ".join(reasons), self.action))
        return out
