"""The review schedule (Care Planning, Placement and Case Review (England) Regulations 2010, reg 33).

First review within 20 working days of entering care; second within 3 months of the first; then at
most 6 months after the one before. Review history comes from the child's ``review_dates`` (reviews
held, any order) and ``last_review_date``; see ``docs/conflicts.md`` for how missing data is read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from placements.domain import Child
from placements.reports.conflicts.dates import add_months, add_working_days

FIRST_REVIEW_WORKING_DAYS = 20
SECOND_REVIEW_MONTHS = 3
LATER_REVIEW_MONTHS = 6


def first_review_deadline(entered_care: dt.date) -> dt.date:
    return add_working_days(entered_care, FIRST_REVIEW_WORKING_DAYS)


def second_review_deadline_from_entry(entered_care: dt.date) -> dt.date:
    """The latest lawful second review had the first been held on its own last day."""
    return add_months(first_review_deadline(entered_care), SECOND_REVIEW_MONTHS)


def held_reviews(c: Child, as_of: dt.date) -> tuple[dt.date, ...] | None:
    """Reviews held on or before ``as_of``, oldest first, when ``review_dates`` is given; else None.

    ``last_review_date``, when given as well, counts as one of them.
    """
    if not c.review_dates:
        return None
    days = set(c.review_dates)
    if c.last_review_date is not None:
        days.add(c.last_review_date)
    return tuple(sorted(d for d in days if d <= as_of))


@dataclass(frozen=True)
class NextReview:
    due: dt.date
    which: str  # "first", "second" or "next"
    basis: str  # a clause saying where the date comes from


def next_review(c: Child, as_of: dt.date) -> NextReview | None:
    """When the child's next review is due, or None when the data cannot say."""
    if c.entered_care_date is not None and c.entered_care_date > as_of:
        return None  # not yet in care on as_of
    held = held_reviews(c, as_of)
    if held is None and c.last_review_date is not None and c.last_review_date <= as_of:
        last = c.last_review_date
        if c.entered_care_date is not None and last <= first_review_deadline(c.entered_care_date):
            # Held within the first review's window: it was the first review.
            return NextReview(
                add_months(last, SECOND_REVIEW_MONTHS),
                "second",
                f"3 months after the first review on {last.isoformat()}",
            )
        return NextReview(
            add_months(last, LATER_REVIEW_MONTHS),
            "next",
            f"6 months after the last review on {last.isoformat()} (taken to be 6-monthly)",
        )
    if held:
        if len(held) == 1:
            return NextReview(
                add_months(held[0], SECOND_REVIEW_MONTHS),
                "second",
                f"3 months after the first review on {held[0].isoformat()}",
            )
        return NextReview(
            add_months(held[-1], LATER_REVIEW_MONTHS),
            "next",
            f"6 months after the last of {len(held)} reviews, on {held[-1].isoformat()}",
        )
    if c.entered_care_date is None:
        return None
    return NextReview(
        first_review_deadline(c.entered_care_date),
        "first",
        f"20 working days after entering care on {c.entered_care_date.isoformat()}; no review recorded",
    )
