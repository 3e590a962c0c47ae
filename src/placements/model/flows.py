"""Flows for the placed tiers: a bound on them over every admissible pair, and lawful starts that meet it.

Why: tiers (1)-(2) (emergency children placed, then children placed) are a bipartite b-matching
once the rules that involve more than one child are relaxed, and OR-Tools' min-cost flow solves
that in a fraction of a second where the pattern model's MIP needs minutes at region scale.

- ``tier_bound``: each home may take at most ``top`` new children (its capacity when no other
  child lives there, else its room under the fostering limit), every admissible pair an arc that
  some lawful answer may use (``stable_pairs``, ``pinned_pairs``: under the stability rule, a
  protected child left with one home is there in every lawful answer). Every lawful answer is such
  a flow (sibling groups, the limit's exception and children who must live alone only restrict
  it), so the most emergency children and the most children a flow places
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

from placements.eligibility import WELFARE_PARTS, Eligibility
from placements.model.greedy import house_groups, patterns_by_group
from placements.model.patterns import Patterns, group_rows
from placements.model.pricing import FullPairs
from placements.model.pricing import top_room as pricing_top_room


def _flow(
    rows: np.ndarray, places: np.ndarray, cost: np.ndarray, n: int, room: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Most children placed, then lowest cost: (rows, places) of the arcs used.

    Children are nodes 0..n-1, homes n..n+m-1. ``cost`` per arc (integers).
    """
    r, p, _ = _flow_amounts(rows, places, cost, np.ones(n, dtype=np.int64), room)
    return r, p


def _flow_amounts(
    rows: np.ndarray, places: np.ndarray, cost: np.ndarray, supply: np.ndarray, room: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_flow`` with ``supply[k]`` children at node k (a unit of brothers and sisters who move
    together is one node): (rows, places, children) of the arcs used, each arc's capacity its
    node's supply."""
    n, m = len(supply), len(room)
    if len(rows) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    source, sink = n + m, n + m + 1
    total = int(supply.sum())
    starts = np.concatenate([np.full(n, source), rows, n + np.arange(m)]).astype(np.int32)
    ends = np.concatenate([np.arange(n), n + places, np.full(m, sink)]).astype(np.int32)
    caps = np.concatenate([supply, supply[rows], np.maximum(room, 0)]).astype(np.int64)
    costs = np.concatenate([np.zeros(n), cost, np.zeros(m)]).astype(np.int64)
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(starts, ends, caps, costs)
    smcf.set_nodes_supplies(np.array([source, sink], dtype=np.int32), np.array([total, -total], dtype=np.int64))
    if smcf.solve_max_flow_with_min_cost() != smcf.OPTIMAL:  # pragma: no cover - always feasible (zero flow)
        raise RuntimeError("min-cost flow failed; this is a bug")
    amount = smcf.flows(arcs[n : n + len(rows)])
    used = amount > 0
    return rows[used], places[used], amount[used].astype(np.int64)


def _protected(elig: Eligibility) -> np.ndarray:
    """Per child in scope: a settled child the stability rule protects (must keep a home)."""
    protected = getattr(elig, "protected", None)
    if protected is None:
        return np.zeros(len(elig.kids), dtype=bool)
    return np.asarray(protected, dtype=bool)


def stable_pairs(elig: Eligibility, ok: np.ndarray) -> np.ndarray:
    """``ok`` (children in scope x homes) less the pairs no lawful pattern can use under the
    stability rule for a protected child matched with brothers or sisters.

    The pair mask (``Rule.STABILITY``) leaves such a child's moves to be judged per pattern
    (``patterns._no_worse``): in a home other than today's they must live with at least as many of
    their brothers and sisters as today (``together_today``) and gain at least
    ``weights.moves_settled_child``, counting the siblings they would live with. A pattern at home
    ``p`` holds at most ``min(room at p, 1 + siblings admissible at p)`` of the group, and the gain
    only grows with the siblings housed alongside, so a pair whose largest possible pattern fails
    either test is in no lawful answer. Dropping it keeps every bound built on ``ok`` valid; the
    tests on the other protected members of the pattern are not applied (a relaxation).
    """
    protected = _protected(elig)
    rows = np.flatnonzero(protected & (elig.siblings_in_scope > 0))
    if len(rows) == 0:
        return ok
    ok = ok.copy()
    at, together = elig.settled_at, elig.together_today
    top = pricing_top_room(elig)
    w = elig.policy.weights
    group_of = {r: g for g in group_rows(elig) for r in g}
    admissible = elig.admissible
    pr: list[np.ndarray] = []
    pc: list[np.ndarray] = []
    kmax: list[np.ndarray] = []
    for r in rows.tolist():
        cols = np.flatnonzero(ok[r])
        cols = cols[cols != at[r]]
        if len(cols) == 0:
            continue
        sibs = [x for x in group_of[r] if x != r]
        k = np.minimum(top[cols], 1 + admissible[sibs][:, cols].sum(axis=0))
        fits = k - 1 >= together[r]
        ok[r, cols[~fits]] = False
        pr.append(np.full(int(fits.sum()), r, dtype=np.int64))
        pc.append(cols[fits])
        kmax.append(k[fits])
    if not pr:
        return ok
    r_, c_, k_ = np.concatenate(pr), np.concatenate(pc), np.concatenate(kmax)
    if len(r_) == 0:
        return ok
    parts = list(WELFARE_PARTS)
    welfare_new = elig.penalty_parts(r_, c_)[parts].to_numpy().sum(axis=1)
    welfare_now = elig.penalty_parts(rows, at[rows])[parts].to_numpy().sum(axis=1)
    now_of = dict(zip(rows.tolist(), welfare_now.tolist(), strict=True))
    size = 1 + elig.siblings_in_scope[r_]
    apart_now = w.sibling_apart * (size - 1 - together[r_])
    apart_new = w.sibling_apart * (size - k_)
    gain = np.array([now_of[x] for x in r_.tolist()]) + apart_now - welfare_new - apart_new
    bad = gain < w.moves_settled_child
    ok[r_[bad], c_[bad]] = False
    return ok


def pinned_pairs(elig: Eligibility, ok: np.ndarray, top: np.ndarray) -> np.ndarray:
    """``ok`` (children in scope x homes) less the pairs no lawful answer can use beside the protected
    children who have one pair left.

    Every lawful answer houses each protected child at one of their pairs in ``ok`` (which must hold every
    pair a lawful answer may use, as ``stable_pairs``'s does). One with a single pair left is there in
    every lawful answer: pinned. So a home whose pinned children fill its ``top`` is closed to everyone
    else; a pinned child who must live alone closes their home to every child outside their sibling
    group; and a child who must live alone cannot join a pinned child of another group (the validator's
    ``LIVES_ALONE``: brothers and sisters only). Each pair dropped may leave another protected child one
    pair, so this repeats until nobody is pinned anew. The flow relaxes both rules (a child who must live
    alone takes one place, not the home), which this restores where the pinned children decide it.
    """
    protected = _protected(elig)
    ok = ok & (top >= 1)[None, :]
    n = len(protected)
    group = np.arange(n)
    for g in group_rows(elig):
        group[list(g)] = g[0]
    alone = np.array([not c.lives_with_others for c in elig.kids], dtype=bool)
    pinned = np.full(n, -1, dtype=np.int64)
    while True:
        new = np.flatnonzero(protected & (pinned < 0) & (ok.sum(axis=1) == 1))
        if len(new) == 0:
            return ok
        pinned[new] = ok[new].argmax(axis=1)
        free = pinned < 0
        for p in np.unique(pinned[new]).tolist():
            here = np.flatnonzero(pinned == p)
            if len(here) >= top[p]:
                ok[free, p] = False
                continue
            groups = np.unique(group[here])  # two groups: everyone is a stranger to one of them
            strangers = free & (group != groups[0]) if len(groups) == 1 else free
            if alone[here].any():
                ok[strangers, p] = False
            ok[strangers & alone, p] = False


def tier_bound(elig: Eligibility) -> tuple[int, int]:
    """(emergency children, children) a relaxed flow places over every admissible pair: a bound on
    tiers (1) and (2) of any lawful answer (module docstring).

    Under the stability rule every protected settled child keeps a home (``Eligibility.protected``;
    the admissible pairs already leave out homes worse for them, ``stable_pairs`` the moves no
    lawful sibling pattern allows, and ``pinned_pairs`` the pairs that no lawful answer can use beside
    the protected children left with one home). So the flow returned is a largest one that, among those, houses
    the most protected children first (a cost of ``n + 1`` each), then the most emergency children
    (1 each). Why this bounds every lawful answer A: the children a flow can place form a matroid,
    so A's children extend to a largest flow B, which houses every protected child (A does) and at
    least A's emergency children; the flow returned costs no more than B, and since one protected
    child outweighs every emergency child it houses all of them too and at least B's emergency
    children. The bound is (most emergency children with every protected child housed, most
    children), never below a lawful answer. Without the rule (or with nobody protected) it is the
    plain flow bound.
    """
    room = pricing_top_room(elig)
    rows, places = np.nonzero(pinned_pairs(elig, stable_pairs(elig, elig.admissible), room))
    emergency = elig.emergency()
    protected = _protected(elig)
    n = len(elig.kids)
    cost = -emergency[rows].astype(np.int64) - (n + 1) * protected[rows].astype(np.int64)
    r, _ = _flow(rows, places, cost, n, room)
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
    by_group = patterns_by_group(pats)
    special = [g for g, rows in enumerate(pats.groups) if len(rows) > 1 or any(pats.exclusive[i] for i in by_group[g])]
    order = sorted(
        special,
        key=lambda g: (-max(int(emergency[r]) for r in pats.groups[g]), -len(pats.groups[g]), len(by_group[g]), g),
    )
    used = np.zeros(len(pats.capacity), dtype=np.int64)
    weighted = np.zeros(len(pats.capacity), dtype=np.int64)
    home: dict[int, int] = {}
    for best in house_groups(pats, order, by_group, used, weighted):
        for r in pats.members[best]:
            home[r] = int(pats.place[best])
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


def _unit_homes(
    elig: Eligibility, full: FullPairs, units: list[tuple[tuple[int, ...], int]], limit: np.ndarray
) -> list[np.ndarray]:
    """Per unit (protected brothers and sisters living together today, and that home): every home
    that may lawfully take the whole unit as one pattern, today's first.

    Away from home: each member admissible there (which holds the pair rules of stability), the unit
    within the home's room under the fostering limit, and each member gaining at least
    ``weights.moves_settled_child`` with only the unit's siblings alongside (``patterns._no_worse``;
    more siblings alongside would only add to the gain).
    """
    w = elig.policy.weights
    parts = list(WELFARE_PARTS)
    away: list[np.ndarray] = []
    for members, home in units:
        ok = full.admissible[list(members)].all(axis=0) & (limit >= len(members))
        ok[home] = False
        away.append(np.flatnonzero(ok))
    # Two calls of ``penalty_parts`` for all units (one per unit costs seconds at region scale): each member at each
    # home away, row-major per unit (member by member), and each member at home today.
    rows_k = [np.repeat(np.array(m_, dtype=np.int64), len(c)) for (m_, _), c in zip(units, away, strict=True)]
    cols_k = [np.tile(c, len(m_)) for (m_, _), c in zip(units, away, strict=True)]
    empty = np.zeros(0, dtype=np.int64)
    new_all = _welfare(elig, np.concatenate([empty, *rows_k]), np.concatenate([empty, *cols_k]), parts)
    now_rows = np.concatenate([empty, *(np.array(m_, dtype=np.int64) for m_, _ in units)])
    now_cols = np.concatenate([empty, *(np.full(len(m_), h, dtype=np.int64) for m_, h in units)])
    now_all = _welfare(elig, now_rows, now_cols, parts)
    out: list[np.ndarray] = []
    at_new = at_now = 0
    for (members, home), cols in zip(units, away, strict=True):
        size = len(members)
        now = now_all[at_now : at_now + size]
        at_now += size
        if len(cols):
            new = new_all[at_new : at_new + size * len(cols)].reshape(size, len(cols))
            at_new += size * len(cols)
            group = 1 + int(elig.siblings_in_scope[members[0]])
            apart_now = w.sibling_apart * (group - 1 - (size - 1))
            apart_new = w.sibling_apart * (group - size)
            gain = now[:, None] + apart_now - new - apart_new
            cols = cols[(gain >= w.moves_settled_child).all(axis=0)]
        out.append(np.concatenate([[home], cols]).astype(np.int64))
    return out


def _welfare(elig: Eligibility, rows: np.ndarray, cols: np.ndarray, parts: list[str]) -> np.ndarray:
    """The child's own parts of the score (``WELFARE_PARTS``) per (row, place) pair."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(elig.penalty_parts(rows, cols)[parts].to_numpy().sum(axis=1), dtype=np.int64)


def bundled_flow(elig: Eligibility, full: FullPairs, fix_exclusive: bool = True) -> dict[int, int]:
    """Most children placed (emergencies first) by one flow over every admissible pair, and among
    such flows the most sibling-group members in the home ``_designate`` chose for their whole group.

    Groups that must be alone in their home (a child who must live alone, or above the fostering
    limit) keep their designated home, which no one else may use; every other child flows into the
    room under the limit with a bonus for their group's home (larger than any total penalty, smaller
    than one emergency child). Children who must live alone and were not designated a home may flow
    only into a home with room for one.

    Protected settled children keep a home (the stability rule), with a bonus above every other term
    so that all of them are housed whenever a flow can house them (``tier_bound``). One who must live
    alone in a home with room for one, without brothers or sisters matched with them, flows like any
    child who must live alone (into an empty home with room for one, their own among them), so that
    their home may go to another such child; any other stays where they live. Protected brothers and sisters living together today move as one
    unit (one node whose supply is their number) to their home today or to a home that may lawfully
    take them all (``_unit_homes``); a unit the flow splits stays at home and the flow runs again
    (at most once per unit; a unit split even at home is left without a home, so ``match`` drops the
    start). Every other protected child flows like the rest, to any admissible home (the pair mask
    holds the rule for them).
    """
    n = len(elig.kids)
    emergency = elig.emergency().astype(np.int64)
    alone = np.array([not c.lives_with_others for c in elig.kids], dtype=bool)
    designated, _, _ = _designate(elig, full)
    capacity, limit = elig.scope.capacity.astype(np.int64), _limit(elig)
    group_of = {r: g for g in group_rows(elig) for r in g}
    fixed: dict[int, int] = {}
    room = limit.copy()
    stay = _stay(elig)
    kept = set(stay.values())  # homes protected children live in today: never given to a group alone
    for r, p in designated.items():
        g = group_of[r]
        if alone[list(g)].any() or len(g) > limit[p]:
            if fix_exclusive and p not in kept:
                fixed[r] = p
            else:
                designated[r] = -1
    for p in set(fixed.values()):
        room[p] = 0
    room = np.minimum(room, capacity)
    keep_home = np.zeros(n, dtype=bool)
    unit_of: dict[tuple[tuple[int, ...], int], list[int]] = {}
    for r, p in stay.items():
        if r in fixed:
            continue
        if alone[r] and (room[p] > 1 or elig.siblings_in_scope[r] > 0):
            fixed[r] = p
            room[p] = 0
        elif elig.siblings_in_scope[r] > 0:
            unit_of.setdefault((group_of[r], p), []).append(r)
        else:
            keep_home[r] = True
    units: list[tuple[tuple[int, ...], int]] = []
    for (_, p), members in unit_of.items():
        if len(members) > room[p]:  # above the room under the limit (one sibling group alone): stays
            for r in members:
                fixed[r] = p
            room[p] -= len(members)
        else:
            units.append((tuple(members), p))
    for r, p in fixed.items():
        if alone[r]:
            room[p] = 0
    room = np.maximum(room, 0)
    free = np.ones(n, dtype=bool)
    free[list(fixed)] = False
    for unit, _ in units:
        free[list(unit)] = False
    ok = full.admissible & free[:, None] & (room >= 1)[None, :]
    occupied = np.zeros(len(room), dtype=bool)
    occupied[list(set(fixed.values()))] = True
    ok &= ~alone[:, None] | ((room == 1) & ~occupied)[None, :]
    rows, places = np.nonzero(ok)
    penalty = full.penalty[rows, places]
    # Above every total penalty, the units' arcs (their members' penalties) included.
    b_home = int(max(int(full.penalty.max(initial=0)), 1)) * (n + 1) + 1
    b_emergency = b_home * (n + 1) + 1
    b_keep = b_emergency * (int(emergency.sum()) + 1) + 1
    des = np.array([designated.get(r, -1) for r in range(n)], dtype=np.int64)
    des[list(fixed)] = -1
    cost = penalty - b_home * (des[rows] == places) - b_emergency * emergency[rows] - b_keep * keep_home[rows]
    homes = _unit_homes(elig, full, units, room)
    sizes = np.array([len(m_) for m_, _ in units], dtype=np.int64)
    supply = np.concatenate([np.ones(n, dtype=np.int64), sizes]).astype(np.int64)
    split: set[int] = set()
    # Each round either keeps at home a unit the flow split (or left out) that could still move, or ends:
    # at most one round per unit and one more.
    for _ in range(len(units) + 1):
        # Unit k is node n + k; its arcs carry up to its size, each child on them at the unit's mean penalty.
        u_rows = [np.full(len(h), n + k, dtype=np.int64) for k, h in enumerate(homes)]
        u_cost = []
        for (unit, _), h in zip(units, homes, strict=True):
            mean = full.penalty[list(unit)][:, h].mean(axis=0) if len(h) else np.zeros(0)
            u_cost.append(np.rint(mean).astype(np.int64) - b_keep - b_emergency * int(emergency[list(unit)].max()))
        all_rows = np.concatenate([rows, *u_rows]) if units else rows
        all_places = np.concatenate([places, *homes]) if units else places
        all_cost = np.concatenate([cost, *u_cost]) if units else cost
        r_, p_, amount = _flow_amounts(all_rows, all_places, all_cost, supply, room)
        whole = np.zeros(len(units), dtype=np.int64)  # per unit: the most children on one of its arcs
        on_unit = r_ >= n
        np.maximum.at(whole, r_[on_unit] - n, amount[on_unit])
        split = {int(k) for k in np.flatnonzero(whole < sizes)}
        moving = {k for k in split if len(homes[k]) > 1}
        if not moving:
            break
        for k in moving:  # a unit the flow split, or left out, may only stay at home
            homes[k] = homes[k][:1]
    home: dict[int, int] = dict(fixed)
    for k_, p in zip(r_.tolist(), p_.tolist(), strict=True):
        if k_ < n:
            home[k_] = p
        elif k_ - n not in split:  # a unit still split is left without a home (not a lawful start)
            for r in units[k_ - n][0]:
                home[r] = p
    return home
