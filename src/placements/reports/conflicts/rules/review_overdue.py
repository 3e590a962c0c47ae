"""``review_overdue``: the next statutory review is past its due date (high).

First review within 20 working days of entering care, second within 3 months of the first, then
every 6 months (see ``placements.reports.conflicts.reviews``). A review on its due date is in time.
"""

from __future__ import annotations

import datetime as dt

from placements.calendar import next_review
from placements.instance import Instance
from placements.reports.conflicts.base import Finding, Severity


class ReviewOverdue:
    code = "review_overdue"
    severity: Severity = "high"
    action = "Convene the overdue review without delay and record why it was late."

    def check(self, instance: Instance, as_of: dt.date) -> list[Finding]:
        out = []
        for c in instance.children:
            nxt = next_review(c, as_of)
            if nxt is None or as_of <= nxt.due:
                continue
            days = (as_of - nxt.due).days
            out.append(
                Finding(
                    c.child_id,
                    self.code,
                    self.severity,
                    f"{nxt.which} review due by {nxt.due.isoformat()} ({nxt.basis}); "
                    f"{days} day{'s' if days != 1 else ''} overdue on {as_of.isoformat()}",
                    self.action,
                )
            )
        return out
