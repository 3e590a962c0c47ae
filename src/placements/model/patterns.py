"""Patterns: the columns of the model. One per (sibling group, subset of it, home).

Why patterns rather than one Boolean per (child, home): with a variable per subset the number of
homes a group uses is a plain sum, so "fewest extra homes for split groups" has a strong linear
relaxation and the solver proves it at once, where the child-level model leaves its bound loose
(see ``../shared/reference/performance.md``). Sibling groups rarely exceed five children, and a
home's capacity bounds the subset size, so enumeration stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from placements.eligibility import WELFARE_PARTS, Eligibility


@dataclass(frozen=True)
class Patterns:
    """Array form of the model's columns and the facts the constraints need."""

    group: np.ndarray  # group index per pattern
    place: np.ndarray  # place index per pattern
    size: np.ndarray  # children in the pattern
    emergency: np.ndarray  # emergency children in the pattern
    penalty: np.ndarray  # sum of the members' penalties at this home
    exclusive: np.ndarray  # bool: nothing else may share the home with this pattern
    members: list[tuple[int, ...]]  # scope rows per pattern
    groups: list[tuple[int, ...]]  # scope rows per group
    limit: np.ndarray  # per place: new children allowed alongside non-exclusive patterns
    capacity: np.ndarray  # per place: new children allowed at all
    #: Scope rows that must be placed: settled children the stability rule protects (they keep a home).
    required: tuple[int, ...] = ()

    def __len__(self) -> int:
        return len(self.group)


def group_rows(elig: Eligibility) -> list[tuple[int, ...]]:
    """Sibling groups among the children in scope (singletons are groups of one), in input order."""
    index: dict[str, int] = {}
    groups: list[list[int]] = []
    for r, c in enumerate(elig.kids):
        key = f"g:{c.sibling_group}" if c.sibling_group is not None else f"c:{c.child_id}"
        if key not in index:
            index[key] = len(groups)
            groups.append([])
        groups[index[key]].append(r)
    return [tuple(g) for g in groups]


def build_patterns(elig: Eligibility, extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> Patterns:
    """Every lawful (group, subset, home) column.

    Lone children (most of any cohort) get their columns straight from the candidate pairs with
    array operations; only sibling groups enumerate subsets. The order is by group (input order),
    then home, then subset size and members, as the constraints and tie-breaks expect.
    ``extra``: admissible (rows, places, penalties) outside the candidate pairs to add (a start
    found over every admissible pair, so the model can express it).
    """
    pairs = elig.pairs
    pr, pp, pv = pairs["row"].to_numpy(), pairs["place"].to_numpy(), pairs["penalty"].to_numpy()
    if extra is not None and len(extra[0]):
        pr, pp, pv = (
            np.concatenate([a, np.asarray(b, dtype=a.dtype)]) for a, b in zip((pr, pp, pv), extra, strict=True)
        )
        order = np.lexsort((pp, pr))
        pr, pp, pv = pr[order], pp[order], pv[order]
    emergency = elig.emergency().astype(np.int64)
    lone = np.array([not c.lives_with_others for c in elig.kids], dtype=bool)
    capacity = elig.scope.capacity
    limit, top = _room(elig)
    groups = group_rows(elig)
    apart_weight = elig.policy.weights.sibling_apart
    protected = elig.protected
    settled_at = elig.settled_at
    together = elig.together_today
    welfare = _welfare_of(elig, pr, pp)
    group_of = np.zeros(len(elig.kids), dtype=np.int64)
    size_of = np.zeros(len(elig.kids), dtype=np.int64)
    for gi, rows in enumerate(groups):
        group_of[list(rows)] = gi
        size_of[list(rows)] = len(rows)

    # Lone children: one column per candidate pair that the home has room for.
    single = (size_of[pr] == 1) & (top[pp] >= 1) if len(pr) else np.zeros(0, dtype=bool)
    s_rows, s_places = pr[single], pp[single]
    cols = {
        "group": [group_of[s_rows]],
        "place": [s_places],
        "size": [np.ones(len(s_rows), dtype=np.int64)],
        "emergency": [emergency[s_rows]],
        "penalty": [pv[single].astype(np.int64)],
        "exclusive": [lone[s_rows] | (limit[s_places] < 1)],
    }
    members: list[tuple[int, ...]] = [(int(r),) for r in s_rows]

    # Sibling groups: every subset that fits at each home that can take all of its members.
    multi = size_of[pr] > 1 if len(pr) else np.zeros(0, dtype=bool)
    penalty = {(int(r), int(p)): int(v) for r, p, v in zip(pr[multi], pp[multi], pv[multi], strict=True)}
    by_row: dict[int, list[int]] = {}
    for r, p in zip(pr[multi].tolist(), pp[multi].tolist(), strict=True):
        by_row.setdefault(r, []).append(p)
    g_l, p_l, s_l, e_l, pen_l, x_l, m_l = [], [], [], [], [], [], []
    for gi, rows in enumerate(groups):
        if len(rows) == 1:
            continue
        homes: dict[int, list[int]] = {}
        for r in rows:
            for p in by_row.get(r, ()):
                homes.setdefault(p, []).append(r)
        for p in sorted(homes):
            able = homes[p]
            for k in range(1, min(len(able), int(top[p])) + 1):
                for subset in combinations(able, k):
                    if not _no_worse(subset, p, len(rows), protected, settled_at, together, welfare, elig):
                        continue
                    g_l.append(gi)
                    p_l.append(p)
                    s_l.append(k)
                    e_l.append(sum(int(emergency[r]) for r in subset))
                    # Each member pays for every sibling in scope who is not in this home.
                    apart = k * (len(rows) - k) * apart_weight
                    pen_l.append(sum(penalty[(r, p)] for r in subset) + apart)
                    # allowed only as the one group in the home: a lone child, or above the limit
                    x_l.append(any(lone[r] for r in subset) or k > limit[p])
                    m_l.append(subset)
    cols["group"].append(np.array(g_l, dtype=np.int64))
    cols["place"].append(np.array(p_l, dtype=np.int64))
    cols["size"].append(np.array(s_l, dtype=np.int64))
    cols["emergency"].append(np.array(e_l, dtype=np.int64))
    cols["penalty"].append(np.array(pen_l, dtype=np.int64))
    cols["exclusive"].append(np.array(x_l, dtype=bool))
    members.extend(m_l)

    joined = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.argsort(joined["group"], kind="stable")  # singles come sorted by place already
    return Patterns(
        group=joined["group"][order].astype(np.int64),
        place=joined["place"][order].astype(np.int64),
        size=joined["size"][order],
        emergency=joined["emergency"][order],
        penalty=joined["penalty"][order],
        exclusive=joined["exclusive"][order].astype(bool),
        members=[members[i] for i in order.tolist()],
        groups=groups,
        limit=limit.astype(np.int64),
        capacity=capacity.astype(np.int64),
        required=tuple(np.flatnonzero(protected).tolist()),
    )


def _room(elig: Eligibility) -> tuple[np.ndarray, np.ndarray]:
    """Per home: new children allowed when they are not one sibling group alone in it (``limit``), and
    at all (``top``: a whole sibling group may exceed the fostering limit only in a home with no other
    children)."""
    capacity, others = elig.scope.capacity, elig.scope.others
    limit = np.where(elig.fostering_limit_applies, np.minimum(capacity, np.maximum(3 - others, 0)), capacity)
    return limit, np.where(others == 0, capacity, limit)


def expresses(elig: Eligibility, home_of_row: dict[int, int]) -> bool:
    """Whether ``build_patterns``, given the proposal's pairs (admissible ones) among its pairs, holds a column for
    each group's members at each of their homes, and the proposal houses every protected settled child: the
    tests of ``match._lawful`` without the patterns, so that a flow start can be judged as soon as it is found.
    The same tests as the enumeration: room for the subset (``top``) and the stability rule per pattern."""
    if any(r not in home_of_row for r in np.flatnonzero(elig.protected).tolist()):
        return False
    _, top = _room(elig)
    groups = group_rows(elig)
    group_of = {r: g for g, rows in enumerate(groups) for r in rows}
    by_home: dict[tuple[int, int], list[int]] = {}
    for r, p in home_of_row.items():
        by_home.setdefault((group_of[r], p), []).append(r)
    rows = np.array(list(home_of_row), dtype=np.int64)
    welfare = _welfare_of(elig, rows, np.array([home_of_row[r] for r in rows.tolist()], dtype=np.int64))
    protected, settled_at, together = elig.protected, elig.settled_at, elig.together_today
    for (g, p), subset in by_home.items():
        if len(subset) > top[p]:
            return False
        size = len(groups[g])
        if size > 1 and not _no_worse(tuple(sorted(subset)), p, size, protected, settled_at, together, welfare, elig):
            return False
    return True


def _welfare_of(elig: Eligibility, rows: np.ndarray, places: np.ndarray) -> dict[tuple[int, int], int]:
    """(row, place) -> the child's own part of the score there (``WELFARE_PARTS``), for the protected
    children of sibling groups (the only ones ``_no_worse`` asks about): at each of the given pairs
    (the model's pairs, a start's included) and at their home today, priced in one call."""
    prot = elig.protected & (elig.siblings_in_scope > 0)
    if not prot.any():
        return {}
    mine = prot[rows]
    home = np.flatnonzero(prot)
    r = np.concatenate([rows[mine], home])
    p = np.concatenate([places[mine], elig.settled_at[home]])
    total = elig.penalty_parts(r, p)[list(WELFARE_PARTS)].sum(axis=1).to_numpy()
    return {(int(a), int(b)): int(v) for a, b, v in zip(r.tolist(), p.tolist(), total.tolist(), strict=True)}


def _no_worse(
    subset: tuple[int, ...],
    p: int,
    group_size: int,
    protected: np.ndarray,
    settled_at: np.ndarray,
    together: np.ndarray,
    welfare: dict[tuple[int, int], int],
    elig: Eligibility,
) -> bool:
    """The stability rule for a sibling group's pattern (``Eligibility.protected``): each protected member
    lives with at least as many of their brothers and sisters as today, and one who moves gains at least
    ``weights.moves_settled_child``, counting the siblings they would live with (the pair rules, a setting
    no less preferred and no part of the score worse, are in the ``stability`` mask already)."""
    w = elig.policy.weights
    for r in subset:
        if not protected[r]:
            continue
        if len(subset) - 1 < together[r]:
            return False
        home = int(settled_at[r])
        if home == p:
            continue
        apart_now = w.sibling_apart * (group_size - 1 - int(together[r]))
        apart_new = w.sibling_apart * (group_size - len(subset))
        gain = welfare[(r, home)] + apart_now - welfare[(r, p)] - apart_new
        if gain < w.moves_settled_child:
            return False
    return True


@dataclass(frozen=True)
class PatternIndex:
    """Which patterns each constraint of the model ranges over; shared by every back end."""

    by_row: list[list[int]]  # per child in scope: patterns containing them (at most one chosen)
    by_group_place: list[list[int]]  # per (multi-child group, home) with 2+ patterns: at most one chosen
    by_place: dict[int, list[int]]  # per home: patterns there (capacity, limit, exclusivity)
    by_multi_group: dict[int, list[int]]  # per group of 2+ children in scope: its patterns (extra homes)
    required: list[list[int]] = field(default_factory=list)  # per row that must be placed: its patterns
    row_ids: list[int] = field(default_factory=list)  # the child (scope row) of each ``by_row`` entry
    gp_keys: list[tuple[int, int]] = field(default_factory=list)  # the (group, home) of each ``by_group_place`` entry


def index_patterns(pats: Patterns) -> PatternIndex:
    by_row: dict[int, list[int]] = {}
    by_place: dict[int, list[int]] = {}
    by_gp: dict[tuple[int, int], list[int]] = {}
    by_group: dict[int, list[int]] = {}
    for i, (g, p, members) in enumerate(zip(pats.group.tolist(), pats.place.tolist(), pats.members, strict=True)):
        for r in members:
            by_row.setdefault(r, []).append(i)
        by_place.setdefault(p, []).append(i)
        by_gp.setdefault((g, p), []).append(i)
        by_group.setdefault(g, []).append(i)
    multi = {g for g, rows in enumerate(pats.groups) if len(rows) > 1}
    row_ids = [r for r, idx in by_row.items() if len(idx) > 1]
    gp_keys = [key for key, idx in by_gp.items() if key[0] in multi and len(idx) > 1]
    return PatternIndex(
        by_row=[by_row[r] for r in row_ids],
        by_group_place=[by_gp[key] for key in gp_keys],
        by_place=by_place,
        by_multi_group={g: idx for g, idx in by_group.items() if g in multi},
        required=[by_row.get(r, []) for r in pats.required],
        row_ids=row_ids,
        gp_keys=gp_keys,
    )


def place_rows(pats: Patterns, p: int, idx: list[int]) -> list[tuple[dict[int, int], int]]:
    """Linear rows ``sum coef_i * w_i <= rhs`` for one home: capacity, then limit with exclusivity.

    Rows that can never bind are left out. An exclusive pattern (a child who must live without
    other children, or a sibling group above the fostering limit) counts as the whole limit, so
    choosing it leaves no room for any other pattern, and at most one exclusive pattern fits.
    """
    size = pats.size[idx]
    excl = pats.exclusive[idx]
    cap, lim = int(pats.capacity[p]), int(pats.limit[p])
    rows: list[tuple[dict[int, int], int]] = []
    if int(size.sum()) > cap:
        rows.append(({i: int(s) for i, s in zip(idx, size, strict=True)}, cap))
    if excl.any():
        rows.append(({i: (lim if x else int(s)) for i, s, x in zip(idx, size, excl, strict=True)}, lim))
    elif int(size.sum()) > lim:
        rows.append(({i: int(s) for i, s in zip(idx, size, strict=True)}, lim))
    return rows


def fewest_homes(pats: Patterns, by_multi_group: dict[int, list[int]]) -> dict[int, int]:
    """Per multi-child group: the fewest homes that can take every member, competition aside.

    A set-partition over the group's members (at most a handful) by the subsets its patterns
    offer, solved exactly by a bitmask recursion. The model turns it into a valid row (see
    ``MipModel._add_cover_rows``) that stops the LP relaxation from spreading the extra-homes
    budget thinly over many half-split groups.
    Groups that cannot be placed whole anywhere (no partition) are left out.
    """
    out: dict[int, int] = {}
    for g, idx in by_multi_group.items():
        rows = pats.groups[g]
        bit = {r: 1 << k for k, r in enumerate(rows)}
        subsets = sorted({sum(bit[r] for r in pats.members[i]) for i in idx})
        fewest = fewest_parts(subsets, len(rows))
        if fewest is not None:
            out[g] = fewest
    return out


def fewest_parts(subsets: list[int], k: int) -> int | None:
    """The fewest of ``subsets`` (bitmasks over ``k`` members) that partition all ``k``, or None when
    none do: a recursion over bitmasks, each step housing the lowest member still to house."""
    full = (1 << k) - 1
    inf = k + 1
    best = [inf] * (full + 1)
    best[0] = 0
    for mask in range(1, full + 1):
        low = mask & -mask  # the lowest member still to house must be in some subset
        for s in subsets:
            if s & low and s & mask == s and best[mask ^ s] + 1 < best[mask]:
                best[mask] = best[mask ^ s] + 1
    return best[full] if best[full] < inf else None
