"""Greedy matching, the way matches are made today: a baseline, and the optimiser's first incumbent.

``greedy_rows(eligibility, order="arrival")`` is today's practice: one child at a time, in
referral order, each given the best home still free (by the same score), a sibling joining a
brother or sister already placed when that home can take them. ``order="hardest"`` takes the
children with the fewest admissible homes first, a fairer and stronger baseline.

Steps, for each child in the chosen order:
1. Candidate homes are the child's admissible homes (every pair-level hard rule holds).
2. Drop homes without room left, homes at the fostering limit (unless the newcomers are one
   sibling group alone in an empty home), and homes where a child who must live alone is, or
   where this child, if they must live alone, would not be alone with their siblings.
3. If a sibling was already placed and that home is still a candidate, take it.
4. Otherwise take the candidate with the lowest score penalty (ties: lower place index).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from placements.codes import USUAL_FOSTERING_LIMIT, Urgency
from placements.eligibility import Eligibility
from placements.model.patterns import Patterns, group_rows


def greedy_rows(
    elig: Eligibility, order: Literal["arrival", "hardest"] = "arrival", stay: bool = False
) -> dict[int, int]:
    """Row in scope -> place index, one child at a time (see the module docstring for the steps).

    ``stay``: the settled children the stability rule protects (``Eligibility.protected``) first stay
    where they live, and the others are matched around them (the optimiser's start when they must
    keep a home).
    """
    n = len(elig.kids)
    admissible = elig.candidates
    penalty = np.full(admissible.shape, np.iinfo(np.int64).max, dtype=np.int64)
    pairs = elig.pairs
    penalty[pairs["row"].to_numpy(), pairs["place"].to_numpy()] = pairs["penalty"].to_numpy()
    groups = group_rows(elig)
    group_of = {r: gi for gi, g in enumerate(groups) for r in g}
    lone = [not c.lives_with_others for c in elig.kids]
    emergency = np.array([c.urgency is Urgency.EMERGENCY for c in elig.kids], dtype=bool)

    if order == "arrival":
        sequence = list(range(n))
    else:
        options = admissible.sum(axis=1)
        sequence = sorted(range(n), key=lambda r: (not emergency[r], int(options[r]), r))

    # Python lists: the loop below reads them one element at a time.
    room = elig.scope.capacity.tolist()
    others = elig.scope.others.tolist()
    limit_applies = elig.fostering_limit_applies.tolist()
    new_at: dict[int, list[int]] = {}
    home_of_row: dict[int, int] = {}
    if stay:
        for r in np.flatnonzero(elig.protected).tolist():
            p = int(elig.settled_at[r])
            home_of_row[r] = p
            new_at.setdefault(p, []).append(r)
            room[p] -= 1
        sequence = [r for r in sequence if r not in home_of_row]

    def fits(r: int, p: int) -> bool:
        if room[p] < 1:
            return False
        here = new_at.get(p, [])
        groups_here = {group_of[o] for o in here} | {group_of[r]}
        over_limit = limit_applies[p] and others[p] + len(here) + 1 > USUAL_FOSTERING_LIMIT
        if over_limit and not (others[p] == 0 and len(groups_here) == 1):
            return False
        return not ((lone[r] or any(lone[o] for o in here)) and len(groups_here) > 1)

    for r in sequence:
        candidates = [p for p in np.flatnonzero(admissible[r]).tolist() if fits(r, p)]
        if not candidates:
            continue
        sibling_homes = {home_of_row[o] for o in groups[group_of[r]] if o in home_of_row}
        with_sibling = [p for p in candidates if p in sibling_homes]
        chosen = min(with_sibling or candidates, key=lambda p: (penalty[r, p], p))
        home_of_row[r] = chosen
        new_at.setdefault(chosen, []).append(r)
        room[chosen] -= 1

    return home_of_row


def rows_to_patterns(pats: Patterns, home_of_row: dict[int, int]) -> np.ndarray:
    """The pattern indices that express a proposal (each group's members per home)."""
    lookup = {(int(p), tuple(m)): i for i, (p, m) in enumerate(zip(pats.place.tolist(), pats.members, strict=True))}
    by_home: dict[tuple[int, int], list[int]] = {}
    group_of = {r: g for g, rows in enumerate(pats.groups) for r in rows}
    for r, p in home_of_row.items():
        by_home.setdefault((group_of[r], p), []).append(r)
    return np.array(sorted(lookup[(p, tuple(sorted(rows)))] for (_, p), rows in by_home.items()), dtype=np.int64)


def group_greedy(pats: Patterns) -> np.ndarray:
    """Whole sibling groups first: a starting proposal for the optimiser, not a baseline.

    Groups are taken emergency first, then larger groups, then those with fewer patterns. Each
    group is housed by repeatedly choosing, among the patterns that still fit, the one housing
    most of its unhoused members (then the lowest penalty per child), so a group that fits whole
    somewhere is kept whole. Returns pattern indices; every home's rows (``place_rows``) hold.
    """
    n_groups = len(pats.groups)
    by_group = patterns_by_group(pats)
    emergency_in = np.zeros(n_groups, dtype=np.int64)
    for g, idx in enumerate(by_group):
        emergency_in[g] = max((int(pats.emergency[i]) for i in idx), default=0)
    order = sorted(range(n_groups), key=lambda g: (-emergency_in[g], -len(pats.groups[g]), len(by_group[g]), g))
    used = np.zeros(len(pats.capacity), dtype=np.int64)  # new children per home
    weighted = np.zeros(len(pats.capacity), dtype=np.int64)  # counted against the limit (exclusive = all of it)
    chosen = house_groups(pats, order, by_group, used, weighted)
    return np.array(sorted(chosen), dtype=np.int64)


def patterns_by_group(pats: Patterns) -> list[list[int]]:
    """Per sibling group (or lone child), the indices of its patterns."""
    by_group: list[list[int]] = [[] for _ in pats.groups]
    for i, g in enumerate(pats.group.tolist()):
        by_group[g].append(i)
    return by_group


def house_groups(
    pats: Patterns, order: list[int], by_group: list[list[int]], used: np.ndarray, weighted: np.ndarray
) -> list[int]:
    """Each group of ``order`` housed by repeatedly choosing, among its patterns that still fit, the
    one housing most of its unhoused members (then the lowest penalty per child), each home at most
    once per group. ``used`` (new children per home) and ``weighted`` (counted against the fostering
    limit; a child who must live alone counts all of it) are updated in place. Returns the chosen
    pattern indices in the order chosen."""
    # Python lists: indexing numpy arrays one element at a time was most of this loop's time.
    place, size, penalty, exclusive = (
        pats.place.tolist(),
        pats.size.tolist(),
        pats.penalty.tolist(),
        pats.exclusive.tolist(),
    )
    capacity, limit = pats.capacity.tolist(), pats.limit.tolist()
    now_used, now_weighted = used.tolist(), weighted.tolist()
    chosen: list[int] = []
    for g in order:
        left = set(pats.groups[g])
        homes_used: set[int] = set()
        while left:
            best, key = -1, None
            for i in by_group[g]:
                p = place[i]
                if p in homes_used or not left.issuperset(pats.members[i]):
                    continue
                n = size[i]
                lw = limit[p] if exclusive[i] else n
                if now_used[p] + n > capacity[p] or now_weighted[p] + lw > max(limit[p], 0):
                    continue
                k = (-n, penalty[i] / n, i)
                if key is None or k < key:
                    best, key = i, k
            if best < 0:
                break
            p = place[best]
            now_used[p] += size[best]
            now_weighted[p] += limit[p] if exclusive[best] else size[best]
            homes_used.add(p)
            left.difference_update(pats.members[best])
            chosen.append(best)
    used[:] = now_used
    weighted[:] = now_weighted
    return chosen
