"""Dates: ages, calendar months, working days and the statutory review schedule. Each formula once.

- An **age** is whole years on a day: the birthday counts from its own date.
- **Months** are calendar months: the same day of the month, clamped to the month's last day
  (31 August + 6 months = 28 February, or 29 in a leap year).
- **Working days** are Monday to Friday except English bank holidays (the ``holidays`` package,
  ``country_holidays("GB", subdiv="ENG")``, substitute days such as "Boxing Day (observed)" included).
- **Reviews** (Care Planning, Placement and Case Review (England) Regulations 2010, reg 33): the
  first within 20 working days of coming into care, the second within 3 months of the first, then
  at most 6 months after the one before.

Each formula has a scalar form (``datetime.date``) and, where a caller works on many children at
once, a vectorised form (``numpy.datetime64[D]`` arrays) tested to agree with it.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    import holidays

D = "datetime64[D]"

FIRST_REVIEW_WORKING_DAYS = 20
SECOND_REVIEW_MONTHS = 3
LATER_REVIEW_MONTHS = 6

#: Years the bank-holiday table of the vectorised working-day arithmetic covers.
_HOLIDAY_YEARS = range(1990, 2061)


# ------------------------------------------------------------------------------------------ ages


def age_on(dob: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day``."""
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def ages_on(dobs: np.ndarray, day: dt.date) -> np.ndarray:
    """``age_on`` for an array of birth dates (anything ``numpy`` reads as ``datetime64[D]``)."""
    d = np.asarray(dobs, dtype=D)
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month_start = d.astype("datetime64[M]")
    months = month_start.astype(np.int64) % 12 + 1
    days = (d - month_start.astype(D)).astype(np.int64) + 1
    before = (day.month < months) | ((day.month == months) & (day.day < days))
    ages: np.ndarray = day.year - years - before.astype(np.int64)
    return ages


# ---------------------------------------------------------------------------------------- months


def add_months(day: dt.date, n: int) -> dt.date:
    """``day`` moved by ``n`` calendar months (``n`` may be negative), clamped to the month's end."""
    index = day.year * 12 + (day.month - 1) + n
    year, month0 = divmod(index, 12)
    last = _calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def add_months_array(days: np.ndarray, n: int | np.ndarray) -> np.ndarray:
    """``add_months`` for an array of days (``n`` one number or one per day)."""
    day = np.asarray(days).astype(D)
    month = day.astype("datetime64[M]")
    dom = (day - month.astype(D)).astype(np.int64)
    target = month + np.asarray(n, dtype=np.int64)
    last = ((target + 1).astype(D) - target.astype(D)).astype(np.int64) - 1
    moved: np.ndarray = target.astype(D) + np.minimum(dom, last)
    return moved


def whole_months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole calendar months from ``earlier`` to ``later`` (0 when ``later`` is earlier)."""
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    while months > 0 and add_months(earlier, months) > later:
        months -= 1
    return max(months, 0)


# ---------------------------------------------------------------------------------- working days


# ``holidays`` is imported where it is used: a match needs only ages, and the import cost every command
# that reads a case folder about 20 ms of start-up.


@lru_cache(maxsize=1)
def _england() -> holidays.HolidayBase:
    import holidays

    return holidays.country_holidays("GB", subdiv="ENG")


@lru_cache(maxsize=1)
def _bank_holidays() -> np.ndarray:
    import holidays

    days = holidays.country_holidays("GB", subdiv="ENG", years=_HOLIDAY_YEARS)
    return np.array(sorted(days), dtype=D)


def is_bank_holiday(day: dt.date) -> bool:
    return day in _england()


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself is day 0 and is never counted)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day = start
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def add_working_days_array(starts: np.ndarray, n: int) -> np.ndarray:
    """``add_working_days`` for an array of start days (between 1990 and 2060)."""
    return np.busday_offset(np.asarray(starts).astype(D), n, roll="backward", holidays=_bank_holidays())


# ------------------------------------------------------------------------------- review schedule


class ReviewRecord(Protocol):
    """What the review schedule reads of a child (``placements.domain.Child`` has it)."""

    @property
    def entered_care_date(self) -> dt.date | None: ...

    @property
    def review_dates(self) -> tuple[dt.date, ...]: ...

    @property
    def last_review_date(self) -> dt.date | None: ...


@dataclass(frozen=True)
class NextReview:
    due: dt.date
    which: str  # "first", "second" or "next"
    basis: str  # a clause saying where the date comes from


def first_review_deadline(entered_care: dt.date) -> dt.date:
    return add_working_days(entered_care, FIRST_REVIEW_WORKING_DAYS)


def second_review_deadline_from_entry(entered_care: dt.date) -> dt.date:
    """The latest lawful second review had the first been held on its own last day."""
    return add_months(first_review_deadline(entered_care), SECOND_REVIEW_MONTHS)


def held_reviews(c: ReviewRecord, as_of: dt.date) -> tuple[dt.date, ...] | None:
    """Reviews held on or before ``as_of``, oldest first, when ``review_dates`` is given; else None.

    ``last_review_date``, when given as well, counts as one of them.
    """
    if not c.review_dates:
        return None
    days = set(c.review_dates)
    if c.last_review_date is not None:
        days.add(c.last_review_date)
    return tuple(sorted(d for d in days if d <= as_of))


def next_review(c: ReviewRecord, as_of: dt.date) -> NextReview | None:
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


def first_review_due_array(entered: np.ndarray) -> np.ndarray:
    """``first_review_deadline`` for an array of days children came into care."""
    return add_working_days_array(entered, FIRST_REVIEW_WORKING_DAYS)


def next_review_due_array(entered: np.ndarray, held: Sequence[np.ndarray]) -> np.ndarray:
    """When each child's next review falls due, given the reviews held (oldest first), vectorised."""
    out = first_review_due_array(entered)
    for i, h in enumerate(held):
        if len(h) == 1:
            out[i] = add_months_array(h[-1:], SECOND_REVIEW_MONTHS)[0]
        elif len(h) >= 2:
            out[i] = add_months_array(h[-1:], LATER_REVIEW_MONTHS)[0]
    return out
