"""``dual_plan``: more than one permanence route at once (high).

Ofsted criticised dual plans (for example long-term residential and long-term fostering together):
a child needs one plan, with any contingency recorded as such.
"""

from __future__ import annotations

import datetime as dt

from placements.instance import Instance
from placements.reports.conflicts.base import Finding, Severity, routes


class DualPlan:
    code = "dual_plan"
    severity: Severity = "high"
    action = "Agree a single permanence route at the next review and record any contingency plan separately."

    def check(self, instance: Instance, as_of: dt.date) -> list[Finding]:
        out = []
        for c in instance.children:
            if len(c.permanence_plan) > 1:
                dated = f" (plan dated {c.plan_date.isoformat()})" if c.plan_date else ""
                out.append(
                    Finding(
                        c.child_id,
                        self.code,
                        self.severity,
                        f"permanence plan has {len(c.permanence_plan)} routes: {routes(c)}{dated}",
                        self.action,
                    )
                )
        return out
