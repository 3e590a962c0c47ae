"""``ltf_carer_not_long_term``: a long-term foster plan with a carer not approved long-term (medium).

Applies to ``placed`` children with ``long_term_foster`` in their plan whose current place is a
foster home with ``long_term = no``.
"""

from __future__ import annotations

import datetime as dt

from placements.codes import Route, Setting
from placements.instance import Instance
from placements.reports.conflicts.base import Finding, Severity, current_place, routes


class LtfCarerNotLongTerm:
    code = "ltf_carer_not_long_term"
    severity: Severity = "medium"
    action = "Present the match to the fostering panel for long-term approval, or plan a move to a long-term carer."

    def check(self, instance: Instance, as_of: dt.date) -> list[Finding]:
        out = []
        for c in instance.children:
            if Route.LONG_TERM_FOSTER not in c.permanence_plan:
                continue
            where = current_place(instance, c)
            if where is None or where.setting is not Setting.FOSTER or where.long_term:
                continue
            dated = f" dated {c.plan_date.isoformat()}" if c.plan_date else ""
            out.append(
                Finding(
                    c.child_id,
                    self.code,
                    self.severity,
                    f"plan {routes(c)}{dated}; foster carer {where.place_id} is not approved long-term",
                    self.action,
                )
            )
        return out
