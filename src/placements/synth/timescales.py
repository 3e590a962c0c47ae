"""The statutory review calendar, as the generator plants it (vectorised over children).

Care Planning, Placement and Case Review (England) Regulations 2010, reg 33: the first review
within 20 working days of coming into care, the second within 3 months of the first, then at
most 6 months after the one before. Working days skip weekends and English bank holidays; months
keep the day of the month, clamped to the month's end.

The arithmetic itself (working days, calendar months, when each review falls due) is
``placements.calendar``'s, vectorised; what is the generator's own is how reviews are drawn: early,
late, or missed.
"""

from __future__ import annotations

import numpy as np

from placements.calendar import (
    LATER_REVIEW_MONTHS,
    SECOND_REVIEW_MONTHS,
    D,
    add_months_array,
    first_review_due_array,
    next_review_due_array,
)


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
    due = first_review_due_array(entered)
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
        nxt[:] = add_months_array(when, np.where(count == 1, SECOND_REVIEW_MONTHS, LATER_REVIEW_MONTHS))
        due[idx[got]] = nxt[got]
        active[idx[~got]] = False
        active[idx[got]] = nxt[got] <= end[got]
        k += 1
    out = [np.array(h, dtype=D) for h in held]
    # An overdue child whose every review was on time until as_of: the latest is dropped until the
    # next review is past due (a missed review).
    for i in np.flatnonzero(overdue):
        while True:
            d = next_review_due_array(entered[i : i + 1], [out[i]])[0]
            if d < as_of[i] or len(out[i]) == 0:
                break
            out[i] = out[i][:-1]
    return out
