"""What a conflict rule is, and what it finds.

A rule is any object with a ``code`` (the value written in conflicts.csv's ``rule`` column), a
``severity`` and a ``check(instance, as_of)`` method returning findings. The built-in rules live one
per module in ``placements.reports.conflicts.rules``; an authority may add its own (see
``docs/conflicts.md``).

Findings must not hold names, postcodes or full dates of birth: evidence cites identifiers,
ages in whole years, and review, plan, assessment and care-entry dates only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol

from placements.codes import Status
from placements.domain import Child, Place
from placements.instance import Instance

Severity = Literal["high", "medium", "low"]
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")

#: Columns of conflicts.csv, in order.
COLUMNS: tuple[str, ...] = ("child_id", "rule", "severity", "evidence", "suggested_action")


@dataclass(frozen=True)
class Finding:
    """One conflict for one child: a row of conflicts.csv."""

    child_id: str
    rule: str
    severity: Severity
    evidence: str
    suggested_action: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {', '.join(SEVERITIES)}")
        if not self.child_id or not self.rule:
            raise ValueError("a finding needs a child_id and a rule code")


class ConflictRule(Protocol):
    """A permanence-plan conflict rule."""

    code: str
    severity: Severity

    def check(self, instance: Instance, as_of: dt.date) -> list[Finding]:
        """Every finding of this rule in ``instance`` on ``as_of``."""
        ...


def current_place(instance: Instance, c: Child) -> Place | None:
    """Where a ``placed`` child lives now: the place named by ``current_place_id``.

    None for a child who is not ``placed`` or whose ``current_place_id`` is blank: their setting is
    not known, and setting-based rules skip them.
    """
    if c.status is not Status.PLACED or c.current_place_id is None:
        return None
    j = instance.place_index.get(c.current_place_id)
    return None if j is None else instance.places[j]


def routes(c: Child) -> str:
    """The child's plan as written in the case folder (``;``-separated routes), or ``none``."""
    return ";".join(r.value for r in c.permanence_plan) or "none"
