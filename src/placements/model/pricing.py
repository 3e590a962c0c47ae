"""Bounds of the real model: pricing every admissible column the solver was not given.

With ``candidates_per_setting = K`` the solver sees each child's K nearest homes per setting. Its
LP and MIP bounds are then bounds of that pruned model only: a child might do better in a home
beyond the K nearest. This module turns the pruned LP's duals into a bound that holds for every
admissible pair (a Lagrangian bound, the pricing step of column generation):

    dualise each home's capacity and limit rows and the rows holding earlier tiers, with the
    multipliers the pruned LP found; what is left splits into one small problem per sibling group
    (a lone child is a group of one): choose disjoint subsets of the group's children, each at one
    home that may lawfully take all of it, at the least priced cost. Every admissible (subset,
    home) column takes part, priced from dense child x home arrays, so the pruned columns are
    priced too, vectorised over homes.

For any multipliers of the right sign the result is a lower bound on the stage's objective over
every lawful answer that holds the earlier tiers (weak duality); with the pruned LP's optimal
duals it equals that LP's value when no pruned column would have improved it, and falls below by
what the pruned columns are worth otherwise. So pruning is a speed device whose cost is measured
(the gap between the two), never an unstated caveat. Relaxations used inside a group (two of its
subsets may share a home; the group-place rows are dropped) only lower the bound, so it stays valid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placements.eligibility import Eligibility
from placements.model.patterns import Patterns, group_rows


@dataclass(frozen=True)
class Multipliers:
    """Non-negative Lagrange multipliers, in the stage's "minimise" direction.

    ``capacity``/``limit``: per home, on ``sum size * w <= capacity`` and ``sum a * w <= limit``
    (``a`` = the limit for an exclusive pattern, else its size); ``emergency``/``placed`` on the
    rows holding tiers (1)-(2) at ``>=`` their levels; ``extra`` on the row holding tier (3) at
    ``<=`` its level.
    """

    capacity: np.ndarray
    limit: np.ndarray
    emergency: float = 0.0
    placed: float = 0.0
    extra: float = 0.0


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
    limit_int = pats.limit.astype(np.int64)
    groups = group_rows(elig)
    apart = float(elig.policy.weights.sibling_apart)
    quality = stage == "quality"
    total = 0.0
    inf = np.inf
    # Lone children: one vectorised pass over every admissible home.
    singles = np.array([g[0] for g in groups if len(g) == 1], dtype=np.int64)
    if len(singles):
        ok = full.admissible[singles]
        coef_lim = np.where(alone[singles, None], lim[None, :], 1.0)
        base = full.penalty[singles].astype(np.float64) if quality else np.zeros((len(singles), m))
        cost = base + cap_l[None, :] + lim_l[None, :] * coef_lim
        cost -= (mult.emergency * emergency[singles] + mult.placed)[:, None]
        cost = np.where(ok, cost, inf)
        total += float(np.minimum(cost.min(axis=1, initial=inf), 0.0).sum())
    # Sibling groups: every subset at every home that may take all of it, then the best partition.
    z_cost = (0.0 if quality else -1.0) - max(mult.extra, 0.0)
    for rows in (g for g in groups if len(g) > 1):
        k = len(rows)
        r = np.array(rows, dtype=np.int64)
        ok = full.admissible[r]  # k x m
        pen = full.penalty[r].astype(np.float64)
        best_of = np.full(1 << k, inf)
        for mask in range(1, 1 << k):
            sel = [i for i in range(k) if mask >> i & 1]
            size = len(sel)
            homes = ok[sel].all(axis=0) & (full.top >= size)
            if not homes.any():
                continue
            excl = bool(alone[r[sel]].any()) | (size > limit_int)
            coef_lim = np.where(excl, lim, float(size))
            cost = cap_l * size + lim_l * coef_lim + max(mult.extra, 0.0)
            cost = cost + (pen[sel].sum(axis=0) + size * (k - size) * apart if quality else 1.0)
            cost = cost - mult.emergency * float(emergency[r[sel]].sum()) - mult.placed * size
            best_of[mask] = float(np.where(homes, cost, inf).min())
        # Best collection of disjoint subsets (members may stay unplaced): a DP over bitmasks.
        best = np.zeros(1 << k)
        for mask in range(1, 1 << k):
            low = mask & -mask
            value = best[mask ^ low]  # the lowest member left without a home
            sub = mask
            while sub:
                if sub & low and best_of[sub] < inf:
                    value = min(value, best[mask ^ sub] + best_of[sub])
                sub = (sub - 1) & mask
            best[mask] = value
        nonempty = min(best[-1] if best[-1] < 0 else inf, float(best_of[1:].min(initial=inf)))
        total += min(0.0, nonempty + z_cost) if nonempty < inf else 0.0
    e_level, p_level, x_level = levels
    const = -float((cap_l * pats.capacity).sum()) - float((lim_l * lim).sum())
    const += max(mult.emergency, 0.0) * e_level + max(mult.placed, 0.0) * p_level - max(mult.extra, 0.0) * x_level
    return total + const
