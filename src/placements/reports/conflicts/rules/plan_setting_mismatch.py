"""``plan_setting_mismatch``: the permanence plan does not fit where the child lives, or their age (medium).

The mapping is data: for each route, the current settings it is compatible with, and the youngest
age at which it is a plan at all. A placed child with a known current place is checked against
``placements.codes.ROUTE_SETTINGS``; every child is checked against ``ROUTE_MIN_AGE``.
"""

from __future__ import annotations

import datetime as dt

from placements.codes import ROUTE_MIN_AGE, ROUTE_SETTINGS
from placements.instance import Instance
from placements.reports.conflicts.base import Finding, Severity, current_place


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
                if where is not None and where.setting not in ROUTE_SETTINGS[route]:
                    reasons.append(f"{route.value} plan while living in {where.setting.value} ({where.place_id})")
                if route in ROUTE_MIN_AGE and age < ROUTE_MIN_AGE[route]:
                    reasons.append(f"{route.value} plan at age {age} (from {ROUTE_MIN_AGE[route]})")
            if reasons:
                out.append(Finding(c.child_id, self.code, self.severity, "; ".join(reasons), self.action))
        return out
