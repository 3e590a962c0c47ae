"""``siblings_divergent_plans``: siblings whose permanence plans differ (low).

Plans are compared as sets of routes; siblings with no plan are left out. One finding per sibling
whose plan differs from at least one other sibling's. Different plans can be right, but the reason
should be explicit (s22C(8)(c): siblings live together so far as reasonably practicable).
"""

from __future__ import annotations

import datetime as dt

from placements.instance import Instance
from placements.reports.conflicts.base import Finding, Severity, routes


class SiblingsDivergentPlans:
    code = "siblings_divergent_plans"
    severity: Severity = "low"
    action = "Record why the siblings' permanence plans differ, or align them at the next review."

    def check(self, instance: Instance, as_of: dt.date) -> list[Finding]:
        out = []
        for group, ids in instance.sibling_groups.items():
            kids = [instance.children[instance.child_index[k]] for k in ids]
            with_plan = [c for c in kids if c.permanence_plan]
            for c in with_plan:
                others = [o for o in with_plan if o is not c and set(o.permanence_plan) != set(c.permanence_plan)]
                if others:
                    listed = ", ".join(f"{o.child_id} has {routes(o)}" for o in others)
                    out.append(
                        Finding(
                            c.child_id,
                            self.code,
                            self.severity,
                            f"plan {routes(c)}; in sibling group {group}, {listed}",
                            self.action,
                        )
                    )
        return out
