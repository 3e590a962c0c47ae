"""Date arithmetic of the statutory review timescales.

- Working days are Monday to Friday except English bank holidays (from the ``holidays`` package,
  ``country_holidays("GB", subdiv="ENG")``, including substitute days such as "Boxing Day (observed)").
- Months are calendar months: the same day of the month, clamped to the month's last day
  (31 August + 6 months = 28 February, or 29 in a leap year).
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=1)
def _england() -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG")


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


def add_months(day: dt.date, n: int) -> dt.date:
    """``day`` moved by ``n`` calendar months (``n`` may be negative), clamped to the month's end."""
    index = day.year * 12 + (day.month - 1) + n
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def whole_months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole calendar months from ``earlier`` to ``later`` (0 when ``later`` is earlier)."""
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    while months > 0 and add_months(earlier, months) > later:
        months -= 1
    return max(months, 0)
