"""Flows for the placed tiers: a bound on them over every admissible pair, and lawful starts that meet it.

Why: tiers (1)-(2) (emergency children placed, then children placed) are a bipartite b-matching
once the rules that involve more than one child are relaxed, and OR-Tools' min-cost flow solves
that in a fraction of a second where the pattern model's MIP needs minutes at region scale.

- ``tier_bound``: each home may take at most ``top`` new children (its capacity when no other
  child lives there, else its room under the fostering limit), every admissible pair an arc. Every
  lawful answer is such a flow (sibling groups, the limit's exception and children who must live
  alone only restrict it), so the most emergency children and the most children a flow places
  bound tiers (1) and (2) of the real model over *all* admissible pairs, not only the K nearest.
  Both are reached by one flow: the sets of children a flow can place form a matroid (a
  transversal matroid), so a largest flow can always hold the most emergency children
  (``solve_max_flow_with_min_cost`` with a cost of -1 per emergency child).
- ``flow_starts``: lawful answers over the model's columns. ``groups_first`` houses sibling
  groups (and children who must live alone) whole where they fit, then lone children by a flow
  into the room left; ``children_first`` flows every child into each home's room under the limit
  and then makes children who must live alone alone. When one meets ``tier_bound`` tiers (1)-(2)
  are proven without a MIP.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from placements.eligibility import Eligibility
from placements.model.patterns import Patterns, group_rows
from placements.model.pricing import FullPairs
from placements.model.pricing import top_room as pricing_top_room


def _flow(
    rows: np.ndarray, places: np.ndarray, cost: np.ndarray, n: int, room: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Most children placed, then lowest cost: (rows, places) of the arcs used.

    Children are nodes 0..n-1, homes n..n+m-1. ``cost`` per arc (integers).
    """
    m = len(room)
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    source, sink = n + m, n + m + 1
    starts = np.concatenate([np.full(n, source), rows, n + np.arange(m)]).astype(np.int32)
    ends = np.concatenate([np.arange(n), n + places, np.full(m, sink)]).astype(np.int32)
    caps = np.concatenate([np.ones(n), np.ones(len(rows)), np.maximum(room, 0)]).astype(np.int64)
    costs = np.concatenate([np.zeros(n), cost, np.zeros(m)]).astype(np.int64)
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(starts, ends, caps, costs)
    smcf.set_nodes_supplies(np.array([source, sink], dtype=np.int32), np.array([n, -n], dtype=np.int64))
    if smcf.solve_max_flow_with_min_cost() != smcf.OPTIMAL:  # pragma: no cover - always feasible (zero flow)
        raise RuntimeError("min-cost flow failed; this is a bug")
    used = smcf.flows(arcs[n : n + len(rows)]) > 0
    return rows[used], places[used]


def tier_bound(elig: Eligibility) -> tuple[int, int]:
    """(emergency children, children) a relaxed flow places over every admissible pair: a bound on
    tiers (1) and (2) of any lawful answer (module docstring)."""
    rows, places = np.nonzero(elig.admissible)
    emergency = elig.emergency()
    room = pricing_top_room(elig)
    keep = room[places] >= 1
    rows, places = rows[keep], places[keep]
    r, _ = _flow(rows, places, -emergency[rows].astype(np.int64), len(elig.kids), room)
    return int(emergency[r].sum()), len(r)


def _bonus(pats: Patterns, penalty: np.ndarray) -> int:
    """A cost per emergency child larger than any total penalty, so emergencies come first."""
    return int(max(int(penalty.max(initial=0)), 1)) * (len(pats.groups) + 1) + 1


def _lone_flow(pats: Patterns, rows_ok: np.ndarray, room: np.ndarray, emergency: np.ndarray, n: int) -> dict[int, int]:
    """Lone children (groups of one, not living alone) flowed into ``room``; row -> home."""
    single = np.array([len(pats.groups[g]) == 1 for g in pats.group.tolist()], dtype=bool) & ~pats.exclusive
    idx = np.flatnonzero(single & rows_ok[_first_member(pats)] & (room[pats.place] >= 1))
    rows = _first_member(pats)[idx]
    cost = pats.penalty[idx] - _bonus(pats, pats.penalty) * emergency[rows].astype(np.int64)
    r, p = _flow(rows, pats.place[idx], cost, n, room)
    return dict(zip(r.tolist(), p.tolist(), strict=True))


def _first_member(pats: Patterns) -> np.ndarray:
    return np.array([m[0] for m in pats.members], dtype=np.int64)


def groups_first(pats: Patterns, emergency: np.ndarray, n: int) -> dict[int, int]:
    """Sibling groups and children who must live alone housed whole where they fit (fewest homes,
    emergencies and larger groups first), then every lone child by a flow into the room left."""
    by_group: list[list[int]] = [[] for _ in pats.groups]
    for i, g in enumerate(pats.group.tolist()):
        by_group[g].append(i)
    special = [g for g, rows in enumerate(pats.groups) if len(rows) > 1 or any(pats.exclusive[i] for i in by_group[g])]
    order = sorted(
        special,
        key=lambda g: (-max(int(emergency[r]) for r in pats.groups[g]), -len(pats.groups[g]), len(by_group[g]), g),
    )
    used = np.zeros(len(pats.capacity), dtype=np.int64)
    weighted = np.zeros(len(pats.capacity), dtype=np.int64)
    home: dict[int, int] = {}
    for g in order:
        left = set(pats.groups[g])
        homes_used: set[int] = set()
        while left:
            best, key = -1, None
            for i in by_group[g]:
                members = pats.members[i]
                p = int(pats.place[i])
                if p in homes_used or not left.issuperset(members):
                    continue
                size = int(pats.size[i])
                lw = int(pats.limit[p]) if pats.exclusive[i] else size
                if used[p] + size > pats.capacity[p] or weighted[p] + lw > max(int(pats.limit[p]), 0):
                    continue
                k = (-size, int(pats.penalty[i]) / size, i)
                if key is None or k < key:
                    best, key = i, k
            if best < 0:
                break
            p = int(pats.place[best])
            used[p] += int(pats.size[best])
            weighted[p] += int(pats.limit[p]) if pats.exclusive[best] else int(pats.size[best])
            homes_used.add(p)
            left.difference_update(pats.members[best])
            for r in pats.members[best]:
                home[r] = p
    room = np.minimum(pats.capacity - used, pats.limit - weighted)
    free = np.ones(n, dtype=bool)
    free[list(home)] = False
    home.update(_lone_flow(pats, free, room, emergency, n))
    return home


def children_first(elig: Eligibility, pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> dict[int, int]:
    """Every child flowed into each home's room under the limit (groups ignored), a child who must
    live alone only into a home with room for one (so they are alone there by construction); then
    each such child left without a home is given an empty home of their own if one is still free.

    ``pairs``: (rows, places, penalties) to flow over; default the model's candidate pairs.
    """
    emergency = elig.emergency()
    n = len(elig.kids)
    if pairs is None:
        frame = elig.pairs
        pairs = (
            frame["row"].to_numpy(dtype=np.int64),
            frame["place"].to_numpy(dtype=np.int64),
            frame["penalty"].to_numpy(dtype=np.int64),
        )
    rows, places, penalty = pairs
    alone = np.array([not c.lives_with_others for c in elig.kids], dtype=bool)
    capacity, others = elig.scope.capacity, elig.scope.others
    room = np.where(elig.fostering_limit_applies, np.minimum(capacity, np.maximum(3 - others, 0)), capacity)
    room = room.astype(np.int64)
    bonus = int(max(int(penalty.max(initial=0)), 1)) * (n + 1) + 1
    ok = (room[places] >= 1) & (~alone[rows] | (room[places] == 1))
    r, p = _flow(rows[ok], places[ok], penalty[ok] - bonus * emergency[rows[ok]], n, room)
    home = dict(zip(r.tolist(), p.tolist(), strict=True))
    used = np.bincount(np.asarray(list(home.values()), dtype=np.int64), minlength=len(room))
    waiting = [r_ for r_ in np.flatnonzero(alone).tolist() if r_ not in home]
    if waiting:
        options: dict[int, list[tuple[int, int]]] = {}
        for r_, p_, v in zip(
            rows[alone[rows]].tolist(), places[alone[rows]].tolist(), penalty[alone[rows]].tolist(), strict=True
        ):
            options.setdefault(r_, []).append((v, p_))
        for r_ in sorted(waiting, key=lambda x: (not emergency[x], x)):
            for _, p_ in sorted(options.get(r_, [])):
                if used[p_] == 0 and room[p_] >= 1:
                    home[r_] = p_
                    used[p_] = room[p_]
                    break
    return home


def _designate(elig: Eligibility, full: FullPairs, waste: int = 0) -> tuple[dict[int, int], np.ndarray, np.ndarray]:
    """Each sibling group (and each child who must live alone) whole in the home that may take all
    of it at the least penalty, emergencies and larger groups first: (row -> home, new children per
    home, room counted against the limit per home)."""
    emergency = elig.emergency()
    alone = np.array([not c.lives_with_others for c in elig.kids], dtype=bool)
    capacity = elig.scope.capacity.astype(np.int64)
    others = elig.scope.others
    limit = np.where(elig.fostering_limit_applies, np.minimum(capacity, np.maximum(3 - others, 0)), capacity)
    limit = limit.astype(np.int64)
    used = np.zeros(len(capacity), dtype=np.int64)
    weighted = np.zeros(len(capacity), dtype=np.int64)
    groups = [g for g in group_rows(elig) if len(g) > 1 or alone[g[0]]]
    options = {g: int(full.admissible[list(g)].all(axis=0).sum()) for g in groups}
    groups.sort(key=lambda g: (-int(emergency[list(g)].any()), -len(g), options[g], g))
    home: dict[int, int] = {}
    for g in groups:
        r = list(g)
        size = len(r)
        excl = alone[r].any() | (size > limit)
        lw = np.where(excl, limit, size)
        ok = full.admissible[r].all(axis=0) & (used + size <= capacity) & (weighted + lw <= limit) & (limit >= 1)
        if not ok.any():
            continue
        left = np.minimum(capacity - used - size, limit - weighted - lw)  # room this leaves for others
        cost = np.where(ok, full.penalty[r].sum(axis=0) + waste * left, np.iinfo(np.int64).max)
        p = int(np.argmin(cost))
        used[p] += size
        weighted[p] += int(lw[p])
        for x in r:
            home[x] = p
    return home, used, weighted


def _limit(elig: Eligibility) -> np.ndarray:
    capacity, others = elig.scope.capacity, elig.scope.others
    limit = np.where(elig.fostering_limit_applies, np.minimum(capacity, np.maximum(3 - others, 0)), capacity)
    return limit.astype(np.int64)


def groups_first_pairs(elig: Eligibility, full: FullPairs, waste: int = 0) -> dict[int, int]:
    """``groups_first`` over every admissible pair (dense arrays, no patterns): sibling groups and
    children who must live alone whole where they fit (``_designate``), then everyone left, group
    members included, by a flow into the room left. With K nearest homes per setting the model
    cannot express this start, so its pairs are added to the model (``match``)."""
    n = len(elig.kids)
    emergency = elig.emergency()
    alone = np.array([not c.lives_with_others for c in elig.kids], dtype=bool)
    home, used, weighted = _designate(elig, full, waste)
    capacity, limit = elig.scope.capacity.astype(np.int64), _limit(elig)
    room = np.maximum(np.minimum(capacity - used, limit - weighted), 0)
    waiting = np.ones(n, dtype=bool)
    waiting[list(home)] = False
    waiting &= ~alone  # a child who must live alone and found no home of their own stays without
    rows, places = np.nonzero(full.admissible & waiting[:, None] & (room >= 1)[None, :])
    penalty = full.penalty[rows, places]
    bonus = int(max(int(penalty.max(initial=0)), 1)) * (n + 1) + 1
    r_, p_ = _flow(rows, places, penalty - bonus * emergency[rows].astype(np.int64), n, room)
    home.update(zip(r_.tolist(), p_.tolist(), strict=True))
    return home


def _stay(elig: Eligibility) -> dict[int, int]:
    """Row -> today's home of each settled child the stability rule protects (``Eligibility.protected``)."""
    protected = getattr(elig, "protected", None)
    if protected is None or not protected.any():
        return {}
    at = elig.settled_at
    return {int(r): int(at[r]) for r in np.flatnonzero(protected)}


def bundled_flow(elig: Eligibility, full: FullPairs, fix_exclusive: bool = True) -> dict[int, int]:
    """Most children placed (emergencies first) by one flow over every admissible pair, and among
    such flows the most sibling-group members in the home ``_designate`` chose for their whole group.

    Groups that must be alone in their home (a child who must live alone, or above the fostering
    limit) keep their designated home, which no one else may use; every other child flows into the
    room under the limit with a bonus for their group's home (larger than any total penalty, smaller
    than one emergency child). Children who must live alone and were not designated a home may flow
    only into a home with room for one.
    """
    n = len(elig.kids)
    emergency = elig.emergency().astype(np.int64)
    alone = np.array([not c.lives_with_others for c in elig.kids], dtype=bool)
    designated, _, _ = _designate(elig, full)
    capacity, limit = elig.scope.capacity.astype(np.int64), _limit(elig)
    group_of = {r: g for g in group_rows(elig) for r in g}
    fixed: dict[int, int] = {}
    room = limit.copy()
    for r, p in designated.items():
        g = group_of[r]
        if alone[list(g)].any() or len(g) > limit[p]:
            if fix_exclusive:
                fixed[r] = p
            else:
                designated[r] = -1
    for p in set(fixed.values()):
        room[p] = 0
    room = np.minimum(room, capacity)
    # Settled children the stability rule protects stay where they live (always lawful for them, and
    # their brothers and sisters living with them today stay too); the others flow around them.
    for r, p in _stay(elig).items():
        if r in fixed:
            continue
        fixed[r] = p
        room[p] = 0 if alone[r] else room[p] - 1
    for r, p in fixed.items():
        if alone[r]:
            room[p] = 0
    room = np.maximum(room, 0)
    free = np.ones(n, dtype=bool)
    free[list(fixed)] = False
    ok = full.admissible & free[:, None] & (room >= 1)[None, :]
    occupied = np.zeros(len(room), dtype=bool)
    occupied[list(set(fixed.values()))] = True
    ok &= ~alone[:, None] | ((room == 1) & ~occupied)[None, :]
    rows, places = np.nonzero(ok)
    penalty = full.penalty[rows, places]
    b_home = int(max(int(penalty.max(initial=0)), 1)) * (n + 1) + 1
    b_emergency = b_home * (n + 1) + 1
    des = np.array([designated.get(r, -1) for r in range(n)], dtype=np.int64)
    des[list(fixed)] = -1
    cost = penalty - b_home * (des[rows] == places) - b_emergency * emergency[rows]
    r_, p_ = _flow(rows, places, cost, n, room)
    fixed.update(zip(r_.tolist(), p_.tolist(), strict=True))
    return fixed
