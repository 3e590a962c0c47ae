"""``plan_stale``: no permanence plan by the second review, or a plan resting on an old assessment (medium).

- No plan: the child has no ``permanence_plan`` although two reviews have been held
  (``review_dates``). Without ``review_dates``, the second review is taken to have been due once the
  as-of date is past its latest lawful date counted from ``entered_care_date`` (20 working days,
  then 3 months: about 4 months in care). Without either, the rule cannot tell and is silent.
- Old assessment: the child has a plan and its ``assessment_date`` is more than 12 months before the
  as-of date.
"""

from __future__ import annotations

import datetime as dt

from placements.calendar import add_months, held_reviews, second_review_deadline_from_entry, whole_months_between
from placements.domain import Child
from placements.instance import Instance
from placements.reports.conflicts.base import Finding, Severity, routes

ASSESSMENT_MAX_MONTHS = 12


class PlanStale:
    code = "plan_stale"
    severity: Severity = "medium"
    action_no_plan = "Agree and record a permanence plan at the next review."
    action_old_assessment = "Update the needs assessment and review the permanence plan against it."

    def check(self, instance: Instance, as_of: dt.date) -> list[Finding]:
        out = []
        for c in instance.children:
            if not c.permanence_plan:
                evidence = self._no_plan(c, as_of)
                if evidence:
                    out.append(Finding(c.child_id, self.code, self.severity, evidence, self.action_no_plan))
            elif c.assessment_date is not None and c.assessment_date < add_months(as_of, -ASSESSMENT_MAX_MONTHS):
                months = whole_months_between(c.assessment_date, as_of)
                out.append(
                    Finding(
                        c.child_id,
                        self.code,
                        self.severity,
                        f"plan {routes(c)} rests on a needs assessment dated {c.assessment_date.isoformat()}, "
                        f"{months} months old (limit {ASSESSMENT_MAX_MONTHS})",
                        self.action_old_assessment,
                    )
                )
        return out

    @staticmethod
    def _no_plan(c: Child, as_of: dt.date) -> str | None:
        held = held_reviews(c, as_of)
        if held is not None:
            if len(held) >= 2:
                return f"no permanence plan after {len(held)} reviews (second on {held[1].isoformat()})"
            return None
        if c.entered_care_date is None or c.entered_care_date > as_of:
            return None
        due = second_review_deadline_from_entry(c.entered_care_date)
        if as_of > due:
            return (
                f"no permanence plan; in care since {c.entered_care_date.isoformat()}, "
                f"so the second review was due by {due.isoformat()}"
            )
        return None
