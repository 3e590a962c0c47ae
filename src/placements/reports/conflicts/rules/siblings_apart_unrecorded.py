"""``siblings_apart_unrecorded``: siblings living in different homes with no recorded reason (medium).

Siblings are children sharing a ``sibling_group``; only those ``placed`` with a known
``current_place_id`` are compared. A child is flagged when a sibling lives in another home and the
child's own ``siblings_apart_reason`` is blank.
"""

from __future__ import annotations

import datetime as dt

from placements.instance import Instance
from placements.reports.conflicts.base import Finding, Severity, current_place


class SiblingsApartUnrecorded:
    code = "siblings_apart_unrecorded"
    severity: Severity = "medium"
    action = "Record why the siblings live apart and the plan for their contact, or plan to reunite them."

    def check(self, instance: Instance, as_of: dt.date) -> list[Finding]:
        out = []
        for group, ids in instance.sibling_groups.items():
            homes = {}
            for k in ids:
                c = instance.children[instance.child_index[k]]
                where = current_place(instance, c)
                if where is not None:
                    homes[k] = (c, where.place_id)
            for c, home in homes.values():
                if c.siblings_apart_reason:
                    continue
                apart = [f"{o} at {h}" for o, (_, h) in homes.items() if h != home]
                if apart:
                    out.append(
                        Finding(
                            c.child_id,
                            self.code,
                            self.severity,
                            f"lives at {home}; in sibling group {group}, {', '.join(apart)}; "
                            "no reason for living apart recorded",
                            self.action,
                        )
                    )
        return out
