"""``under12_residential_no_rationale``: a child under 12 living in a children's home with no recorded rationale (high).

Applies to ``placed`` children whose current place is ``residential`` and who are under 12 on the
as-of date; a non-blank ``residential_rationale`` clears it.
"""

from __future__ import annotations

import datetime as dt

from placements.codes import Setting
from placements.instance import Instance
from placements.reports.conflicts.base import Finding, Severity, current_place

AGE_LIMIT = 12


class Under12ResidentialNoRationale:
    code = "under12_residential_no_rationale"
    severity: Severity = "high"
    action = "Record the rationale for residential care and a plan and timescale for a move to a family setting."

    def check(self, instance: Instance, as_of: dt.date) -> list[Finding]:
        out = []
        for c in instance.children:
            where = current_place(instance, c)
            if where is None or where.setting is not Setting.RESIDENTIAL or c.residential_rationale:
                continue
            age = c.age_on(as_of)
            if age < AGE_LIMIT:
                out.append(
                    Finding(
                        c.child_id,
                        self.code,
                        self.severity,
                        f"aged {age}, living in residential home {where.place_id}; no rationale recorded",
                        self.action,
                    )
                )
        return out
