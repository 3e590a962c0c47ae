"""The statutory review calendar, as the generator plants it (vectorised over children).

Care Planning, Placement and Case Review (England) Regulations 2010, reg 33: the first review
within 20 working days of coming into care, the second within 3 months of the first, then at
most 6 months after the one before. Working days skip weekends and English bank holidays; months
keep the day of the month, clamped to the month's end.

This is the generator's own arithmetic (numpy business days, calendar months), written apart from
the conflict rules on purpose: the ground truth it produces is checked against those rules, so
the two must not share code.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

FIRST_WORKING_DAYS = 20
SECOND_MONTHS = 3
LATER_MONTHS = 6

D = "datetime64[D]"


@lru_cache(maxsize=1)
def _bank_holidays() -> np.ndarray:
    import holidays

    days = holidays.country_holidays("GB", subdiv="ENG", years=range(1990, 2046))
    return np.array(sorted(days), dtype=D)


def add_working_days(start: np.ndarray, n: int) -> np.ndarray:
    """The ``n``-th working day after each start (the start itself is day 0, never counted)."""
    return np.busday_offset(start.astype(D), n, roll="backward", holidays=_bank_holidays())


def add_months(day: np.ndarray, n: int | np.ndarray) -> np.ndarray:
    """Each day moved by ``n`` calendar months, the day of the month clamped to the month's end."""
    day = day.astype(D)
    month = day.astype("datetime64[M]")
    dom = (day - month.astype(D)).astype(np.int64)
    target = month + np.asarray(n, dtype=np.int64)
    last = ((target + 1).astype(D) - target.astype(D)).astype(np.int64) - 1
    return target.astype(D) + np.minimum(dom, last)


def first_due(entered: np.ndarray) -> np.ndarray:
    return add_working_days(entered, FIRST_WORKING_DAYS)


def next_due(entered: np.ndarray, held: list[np.ndarray]) -> np.ndarray:
    """When each child's next review falls due, given the reviews held (oldest first)."""
    out = first_due(entered)
    for i, h in enumerate(held):
        if len(h) == 1:
            out[i] = add_months(h[-1:], SECOND_MONTHS)[0]
        elif len(h) >= 2:
            out[i] = add_months(h[-1:], LATER_MONTHS)[0]
    return out


def reviews(
    rng: np.random.Generator,
    entered: np.ndarray,
    as_of: np.datetime64 | np.ndarray,
    overdue: np.ndarray,
    p_late: float = 0.08,
) -> list[np.ndarray]:
    """Reviews held on or before ``as_of`` (one date, or one per child) for children who came into
    care on ``entered``.

    Each review is held before its due date (0-20 days early) or, with chance ``p_late``, up to 40
    days after it. A child marked ``overdue`` has their next review past due on ``as_of``; every
    other child's next review is not yet due (a late review that would straddle ``as_of`` is held
    on its due date instead, or dropped for an overdue child).
    """
    n = len(entered)
    as_of = np.broadcast_to(np.asarray(as_of, dtype=D), (n,))
    held: list[list[np.datetime64]] = [[] for _ in range(n)]
    due = first_due(entered)
    active = due <= as_of  # while a review has fallen due by as_of, one more is considered
    k = 0
    while active.any():
        idx = np.flatnonzero(active)
        late = rng.random(len(idx)) < p_late
        shift = np.where(late, rng.integers(1, 41, len(idx)), -rng.integers(0, 21, len(idx)))
        when = due[idx] + shift.astype("timedelta64[D]")
        when = np.maximum(when, entered[idx] + np.timedelta64(1, "D"))
        if k > 0:
            last = np.array([held[i][-1] for i in idx], dtype=D)
            when = np.maximum(when, last + np.timedelta64(1, "D"))
        # A review whose due date has passed but which falls after as_of: the child is overdue.
        end = as_of[idx]
        straddles = when > end
        ok = ~straddles | ~overdue[idx]
        when = np.where(straddles & ~overdue[idx], np.minimum(due[idx], end), when)
        got = ok & (when <= end)
        for j in np.flatnonzero(got):
            held[idx[j]].append(when[j])
        # Next due dates for those who held one; the rest stop here (overdue, or nothing due).
        nxt = np.empty(len(idx), dtype=D)
        count = np.array([len(held[i]) for i in idx])
        nxt[:] = add_months(when, np.where(count == 1, SECOND_MONTHS, LATER_MONTHS))
        due[idx[got]] = nxt[got]
        active[idx[~got]] = False
        active[idx[got]] = nxt[got] <= end[got]
        k += 1
    out = [np.array(h, dtype=D) for h in held]
    # An overdue child whose every review was on time until as_of: the latest is dropped until the
    # next review is past due (a missed review).
    for i in np.flatnonzero(overdue):
        while True:
            d = next_due(entered[i : i + 1], [out[i]])[0]
            if d < as_of[i] or len(out[i]) == 0:
                break
            out[i] = out[i][:-1]
    return out
