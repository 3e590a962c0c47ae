"""Bounds of the real model: pricing every admissible column the solver was not given.

With ``candidates_per_setting = K`` the solver sees each child's K nearest homes per setting. Its
LP and MIP bounds are then bounds of that pruned model only: a child might do better in a home
beyond the K nearest. This module turns the pruned LP's duals into a bound that holds for every
admissible pair (a Lagrangian bound, the pricing step of column generation):

    dualise each home's capacity and limit rows, the rows holding earlier tiers and the rows that
    keep protected settled children in a home, with the multipliers an LP found; what is left
    splits into one small problem per sibling group (a lone child is a group of one): choose
    disjoint subsets of the group's children, each at one home that may lawfully take all of it
    (room, and the stability rule: ``stable_homes``), at the least priced cost. Every admissible (subset,
    home) column takes part, priced from dense child x home arrays, so the pruned columns are
    priced too, vectorised over homes.

For any multipliers of the right sign the result is a lower bound on the stage's objective over
every lawful answer that holds the earlier tiers (weak duality); with the pruned LP's optimal
duals it equals that LP's value when no pruned column would have improved it, and falls below by
what the pruned columns are worth otherwise. So pruning is a speed device whose cost is measured
(the gap between the two), never an unstated caveat. Relaxations used inside a group (two of its
subsets may share a home; the group-place rows are dropped) only lower the bound, so it stays valid.

``priced_columns`` is the same pricing with every row's dual, for column generation
(``mip._ColumnGeneration``): the columns it finds are added to the LP, which is solved again, so the
duals the bound is priced from come from an LP that has seen the columns that matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from placements.eligibility import Eligibility
from placements.model.patterns import Patterns, fewest_parts, group_rows


@dataclass(frozen=True)
class Multipliers:
    """Non-negative Lagrange multipliers, in the stage's "minimise" direction.

    ``capacity``/``limit``: per home, on ``sum size * w <= capacity`` and ``sum a * w <= limit``
    (``a`` = the limit for an exclusive pattern, else its size); ``emergency``/``placed`` on the
    rows holding tiers (1)-(2) at ``>=`` their levels; ``extra`` on the row holding tier (3) at
    ``<=`` its level; ``required`` (per child in scope, or None for zeros) on the rows
    ``sum of the child's columns >= 1`` of the settled children the stability rule protects.
    """

    capacity: np.ndarray
    limit: np.ndarray
    emergency: float = 0.0
    placed: float = 0.0
    extra: float = 0.0
    required: np.ndarray | None = None


def top_room(elig: Eligibility) -> np.ndarray:
    """Per home: the most new children any lawful answer puts there (its capacity when nobody else
    lives there, so one sibling group may exceed the fostering limit; else its room under the limit)."""
    capacity, others = elig.scope.capacity, elig.scope.others
    limit = np.where(elig.fostering_limit_applies, np.minimum(capacity, np.maximum(3 - others, 0)), capacity)
    return np.where(others == 0, capacity, limit).astype(np.int64)


@dataclass(frozen=True)
class FullPairs:
    """Every admissible pair of the children in scope, dense (children x homes)."""

    admissible: np.ndarray  # bool; a home with no room for anyone is left out
    penalty: np.ndarray  # int64 score penalty of each pair (0 where not admissible)
    top: np.ndarray  # per home: the most new children any lawful answer puts there


def full_pairs(elig: Eligibility, pruned: bool = True) -> FullPairs:
    """Penalties of every admissible pair (``Eligibility.penalties``, the engine's own score).

    ``pruned``: whether the model's candidate pairs leave any admissible pair out; when not, the
    penalties are the candidate pairs' own (``Eligibility.pairs``), not computed again."""
    top = top_room(elig)
    ok = elig.admissible & (top >= 1)[None, :]
    penalty = np.zeros(ok.shape, dtype=np.int64)
    if pruned:
        rows, cols = np.nonzero(ok)
        if len(rows):
            penalty[rows, cols] = elig.penalties(rows, cols)
    else:  # the model's pairs are every admissible pair: their penalties are computed already
        frame = elig.pairs
        penalty[frame["row"].to_numpy(), frame["place"].to_numpy()] = frame["penalty"].to_numpy()
    return FullPairs(ok, penalty, top)


def lagrangian_bound(
    elig: Eligibility,
    pats: Patterns,
    full: FullPairs,
    stage: str,
    mult: Multipliers,
    levels: tuple[float, float, float],
) -> float:
    """A lower bound on the ``stage`` objective ("homes": extra homes; "quality": the score penalty)
    over every lawful answer whose tiers are at least ``levels`` = (emergency, placed, extra homes)
    (module docstring). ``levels`` enter only through non-zero multipliers."""
    m = full.admissible.shape[1]
    emergency = elig.emergency().astype(np.float64)
    alone = np.array([not c.lives_with_others for c in elig.kids], dtype=bool)
    cap_l, lim_l = np.maximum(mult.capacity, 0.0), np.maximum(mult.limit, 0.0)
    lim = pats.limit.astype(np.float64)
    groups = group_rows(elig)
    quality = stage == "quality"
    total = 0.0
    inf = np.inf
    req = np.zeros(len(elig.kids)) if mult.required is None else np.maximum(mult.required, 0.0)
    # Lone children: one vectorised pass over every admissible home.
    singles = np.array([g[0] for g in groups if len(g) == 1], dtype=np.int64)
    if len(singles):
        ok = full.admissible[singles]
        coef_lim = np.where(alone[singles, None], lim[None, :], 1.0)
        base = full.penalty[singles].astype(np.float64) if quality else np.zeros((len(singles), m))
        cost = base + cap_l[None, :] + lim_l[None, :] * coef_lim
        cost -= (mult.emergency * emergency[singles] + mult.placed + req[singles])[:, None]
        cost = np.where(ok, cost, inf)
        total += float(np.minimum(cost.min(axis=1, initial=inf), 0.0).sum())
    # Sibling groups: every subset at every home that may take all of it, then the best partition.
    z_cost = (0.0 if quality else -1.0) - max(mult.extra, 0.0)
    welfare = protected_welfare(elig, full) if elig.protected.any() else {}
    for rows in (g for g in groups if len(g) > 1):
        k = len(rows)
        r = np.array(rows, dtype=np.int64)
        best_of = subset_costs(elig, full, rows, cap_l, lim_l, max(mult.extra, 0.0), quality, welfare, pats.limit)
        for mask in range(1, 1 << k):  # the tiers' and the protected rows' multipliers, the same at every home
            sel = r[[i for i in range(k) if mask >> i & 1]]
            best_of[mask] -= (
                mult.emergency * float(emergency[sel].sum()) + mult.placed * len(sel) + float(req[sel].sum())
            )
        # Best collection of disjoint subsets (members may stay unplaced): the least over every set placed.
        best_all = float(exact_partitions(best_of).min())
        nonempty = min(best_all if best_all < 0 else inf, float(best_of[1:].min(initial=inf)))
        total += min(0.0, nonempty + z_cost) if nonempty < inf else 0.0
    e_level, p_level, x_level = levels
    const = -float((cap_l * pats.capacity).sum()) - float((lim_l * lim).sum()) + float(req.sum())
    const += max(mult.emergency, 0.0) * e_level + max(mult.placed, 0.0) * p_level - max(mult.extra, 0.0) * x_level
    return total + const


def exact_partitions(best_of: np.ndarray) -> np.ndarray:
    """Per set of a sibling group's members (bitmask): the least cost of placing exactly them, split into
    disjoint subsets each at its own price ``best_of`` (per bitmask, inf where no home may take it); 0 for
    the empty set. A DP over bitmasks: the lowest member of a set is in one of its subsets."""
    placed = np.full(len(best_of), np.inf)
    placed[0] = 0.0
    for mask in range(1, len(best_of)):
        low = mask & -mask
        sub = mask
        value = np.inf
        while sub:
            if sub & low and best_of[sub] < np.inf:
                value = min(value, placed[mask ^ sub] + best_of[sub])
            sub = (sub - 1) & mask
        placed[mask] = value
    return placed


def subset_costs(
    elig: Eligibility,
    full: FullPairs,
    rows: Sequence[int],
    cap_l: np.ndarray,
    lim_l: np.ndarray,
    extra: float,
    quality: bool,
    welfare: Welfare,
    limit: np.ndarray | None = None,
) -> np.ndarray:
    """Per subset (bitmask over ``rows``, one sibling group): its least priced cost over the homes that
    may lawfully take all of it (room, and the stability rule), inf where none may. The cost is the
    score of the subset's children there ("quality": their penalties and ``sibling_apart`` per member
    for each brother or sister not with them; otherwise 1 for the stage "homes"), plus the multipliers
    ``cap_l`` and ``lim_l`` of the home's capacity and limit rows and ``extra`` (tier (3)'s row)."""
    k = len(rows)
    r = np.array(rows, dtype=np.int64)
    alone = np.array([not elig.kids[x].lives_with_others for x in rows], dtype=bool)
    limit_int = elig_limit(elig) if limit is None else limit
    lim = limit_int.astype(np.float64)
    apart = float(elig.policy.weights.sibling_apart)
    ok = full.admissible[r]  # k x m
    pen = full.penalty[r].astype(np.float64)
    best_of = np.full(1 << k, np.inf)
    guard = bool(elig.protected[r].any())
    for mask in range(1, 1 << k):
        sel = [i for i in range(k) if mask >> i & 1]
        size = len(sel)
        homes = ok[sel].all(axis=0) & (full.top >= size)
        if guard and homes.any():
            homes &= stable_homes(elig, tuple(rows[i] for i in sel), k, welfare)
        if not homes.any():
            continue
        excl = bool(alone[sel].any()) | (size > limit_int)
        coef_lim = np.where(excl, lim, float(size))
        cost = cap_l * size + lim_l * coef_lim + extra
        cost = cost + (pen[sel].sum(axis=0) + size * (k - size) * apart if quality else 1.0)
        best_of[mask] = float(np.where(homes, cost, np.inf).min(initial=np.inf))
    return best_of


@dataclass(frozen=True)
class Duals:
    """An LP's duals on the rows a column of the pattern model enters, as OR-Tools reports them
    (``c_j - sum_i a_ij * y_i`` is column j's reduced cost). Rows the model does not hold have dual 0."""

    row: np.ndarray  # per child: its "at most one home" row plus its "keeps a home" row
    capacity: np.ndarray  # per home (coefficient: the pattern's size)
    limit: np.ndarray  # per home (coefficient: the limit for an exclusive pattern, else its size)
    group_place: dict[int, dict[int, float]]  # per group, per home: "one pattern" row (coefficient 1)
    z: dict[int, float]  # per group of 2+: row "z <= sum of its patterns" (coefficient -1)
    cover: dict[int, float]  # per group of 2+: cover row (coefficient size - 1)
    emergency: float  # hold rows: emergency children, children placed, extra homes (coefficient 1 for a group of 2+)
    placed: float
    extra: float


@dataclass(frozen=True)
class Column:
    """A (subset of a sibling group, home) column of the pattern model, as ``build_patterns`` makes it."""

    group: int
    members: tuple[int, ...]
    place: int
    emergency: int
    penalty: int
    exclusive: bool
    value: float  # its reduced cost in the stage's "minimise" direction (< 0: it improves the LP)


def priced_columns(
    elig: Eligibility,
    full: FullPairs,
    stage: str,
    maximise: bool,
    placed_weight: float,
    duals: Duals,
    have_single: np.ndarray,
    have_group: set[tuple[int, int, int]],
    per_group: int,
    tol: float,
    welfare: Welfare,
) -> list[Column]:
    """The columns the model does not hold whose full reduced cost improves the LP by more than ``tol``:
    at most ``per_group`` per sibling group (a lone child is a group of one), the most improving
    first, in the order of groups, then value, subset and home (deterministic).

    Priced over every admissible pair, as ``lagrangian_bound`` does, with every row's dual; a sibling
    group's subset is offered only where ``build_patterns`` would make it (room for it, and the
    stability rule), so the LP grows into the model over every admissible pair and no further.
    ``have_single`` (children x homes) and ``have_group`` ((group, subset bitmask, home)): columns held."""

    m = full.admissible.shape[1]
    sense = -1.0 if maximise else 1.0
    emergency = elig.emergency().astype(np.int64)
    alone = np.array([not c.lives_with_others for c in elig.kids], dtype=bool)
    limit_f, top = elig_limit(elig), full.top
    lim = limit_f.astype(np.float64)
    groups = group_rows(elig)
    apart = int(elig.policy.weights.sibling_apart)
    out: list[Column] = []
    singles = np.array([g[0] for g in groups if len(g) == 1], dtype=np.int64)
    single_group = {g[0]: gi for gi, g in enumerate(groups) if len(g) == 1}
    if len(singles):
        ok = full.admissible[singles] & ~have_single[singles]
        excl = alone[singles, None] | (limit_f < 1)[None, :]
        coef_lim = np.where(excl, lim[None, :], 1.0)
        if stage == "quality":
            cost = full.penalty[singles].astype(np.float64)
        elif stage == "placed":
            cost = np.repeat((1.0 + placed_weight * emergency[singles])[:, None], m, axis=1)
        else:
            cost = np.zeros((len(singles), m))
        ay = duals.row[singles, None] + duals.capacity[None, :] + duals.limit[None, :] * coef_lim
        ay = ay + (duals.emergency * emergency[singles] + duals.placed)[:, None]
        value = np.where(ok, sense * (cost - ay), np.inf)
        order = np.argsort(value, axis=1, kind="stable")[:, :per_group]
        for i, r in enumerate(singles.tolist()):
            for h in order[i].tolist():
                v = float(value[i, h])
                if v >= -tol:
                    break
                pen = int(full.penalty[r, h])
                out.append(Column(single_group[r], (r,), h, int(emergency[r]), pen, bool(excl[i, h]), v))
    for gi, rows in enumerate(groups):
        k = len(rows)
        if k == 1:
            continue
        r = np.array(rows, dtype=np.int64)
        ok_all = full.admissible[r]
        gp = np.zeros(m)
        for p, y in duals.group_place.get(gi, {}).items():
            gp[p] = y
        guard = bool(elig.protected[r].any())
        fixed = duals.extra - duals.z.get(gi, 0.0)
        cover = duals.cover.get(gi, 0.0)
        found: list[tuple[float, int, int]] = []
        for mask in range(1, 1 << k):
            sel = [i for i in range(k) if mask >> i & 1]
            size = len(sel)
            homes = ok_all[sel].all(axis=0) & (top >= size)
            if not homes.any():
                continue
            excl = bool(alone[r[sel]].any()) | (size > limit_f)
            coef_lim = np.where(excl, lim, float(size))
            em = float(emergency[r[sel]].sum())
            if stage == "quality":
                cost = full.penalty[r[sel]].sum(axis=0).astype(np.float64) + size * (k - size) * apart
            elif stage == "placed":
                cost = np.full(m, size + placed_weight * em)
            else:
                cost = np.ones(m)
            ay = float(duals.row[r[sel]].sum()) + gp + duals.capacity * size + duals.limit * coef_lim
            ay = ay + fixed + cover * (size - 1) + duals.emergency * em + duals.placed * size
            if guard:
                homes &= stable_homes(elig, tuple(rows[i] for i in sel), k, welfare)
            value = np.where(homes, sense * (cost - ay), np.inf)
            for h in np.flatnonzero(value < -tol).tolist():
                if (gi, mask, h) not in have_group:
                    found.append((float(value[h]), mask, h))
        for v, mask, h in sorted(found)[:per_group]:
            subset = tuple(rows[i] for i in range(k) if mask >> i & 1)
            size = len(subset)
            pen = int(full.penalty[list(subset), h].sum()) + size * (k - size) * apart
            excl_h = bool(alone[list(subset)].any()) or size > int(limit_f[h])
            out.append(Column(gi, subset, h, int(emergency[list(subset)].sum()), pen, excl_h, v))
    return out


def elig_limit(elig: Eligibility) -> np.ndarray:
    """Per home: new children allowed alongside others (``patterns._room``'s ``limit``)."""
    capacity, others = elig.scope.capacity, elig.scope.others
    return np.where(elig.fostering_limit_applies, np.minimum(capacity, np.maximum(3 - others, 0)), capacity).astype(
        np.int64
    )


#: Per protected member of a sibling group (scope row): its own part of the score at every home
#: (``WELFARE_PARTS``; 0 where not admissible) and at its home today.
Welfare = dict[int, tuple[np.ndarray, float]]


def protected_welfare(elig: Eligibility, full: FullPairs) -> Welfare:
    """``patterns._welfare_of`` at every admissible pair of the protected children of sibling groups
    (the stability rule's question), dense per child, in one call."""
    from placements.eligibility import WELFARE_PARTS

    prot = np.flatnonzero(elig.protected & (elig.siblings_in_scope > 0))
    if not len(prot):
        return {}
    m = full.admissible.shape[1]
    rows, cols = np.nonzero(full.admissible[prot])
    r = np.concatenate([prot[rows], prot])
    p = np.concatenate([cols, elig.settled_at[prot]]).astype(np.int64)
    total = elig.penalty_parts(r, p)[list(WELFARE_PARTS)].sum(axis=1).to_numpy().astype(np.float64)
    out: Welfare = {}
    at = np.zeros((len(prot), m))
    at[rows, cols] = total[: len(rows)]
    for i, c in enumerate(prot.tolist()):
        out[c] = (at[i], float(total[len(rows) + i]))
    return out


def stable_homes(elig: Eligibility, subset: tuple[int, ...], group_size: int, welfare: Welfare) -> np.ndarray:
    """Per home: whether a sibling group's ``subset`` there keeps the stability rule (``patterns._no_worse``,
    vectorised over homes; meaningful where every member is admissible)."""
    m = elig.admissible.shape[1]
    ok = np.ones(m, dtype=bool)
    w = elig.policy.weights
    for r in subset:
        if not elig.protected[r]:
            continue
        if len(subset) - 1 < elig.together_today[r]:
            return np.zeros(m, dtype=bool)
        at, today = welfare[r]
        home = int(elig.settled_at[r])
        apart_now = w.sibling_apart * (group_size - 1 - int(elig.together_today[r]))
        apart_new = w.sibling_apart * (group_size - len(subset))
        gain = today + apart_now - at - apart_new
        good = gain >= w.moves_settled_child
        good[home] = True
        ok &= good
    return ok


def fewest_homes_full(elig: Eligibility, full: FullPairs, welfare: Welfare) -> dict[int, int]:
    """Per sibling group of 2+: the fewest homes that can take every member over every admissible pair
    (``patterns.fewest_homes`` over the columns ``build_patterns`` would make of every admissible pair).
    ``welfare``: ``protected_welfare``."""
    out: dict[int, int] = {}
    for gi, rows in enumerate(group_rows(elig)):
        k = len(rows)
        if k == 1:
            continue
        r = np.array(rows, dtype=np.int64)
        lawful: list[int] = []
        for mask in range(1, 1 << k):
            sel = [i for i in range(k) if mask >> i & 1]
            homes = np.flatnonzero(full.admissible[r[sel]].all(axis=0) & (full.top >= len(sel)))
            if not len(homes):
                continue
            subset = tuple(rows[i] for i in sel)
            if elig.protected[list(subset)].any() and not stable_homes(elig, subset, k, welfare)[homes].any():
                continue
            lawful.append(mask)
        fewest = fewest_parts(lawful, k)
        if fewest is not None:
            out[gi] = fewest
    return out
