"""A bound on the score of a whole instance matched in pieces (England), from tables its pieces price.

Why: each piece's score bound holds for that piece only (a child might do better in a home of the
next piece), so the joined answer's score had no bound at all. This is a Lagrangian relaxation of the
score stage of the *whole* instance: a lower bound on the score of every lawful answer for the whole
instance that places at least ``E`` emergency children and ``P`` children (the joined answer's tiers
(1)-(2)), over every admissible pair.

- Each home's capacity and limit rows, and each protected settled child's row "keeps a home", may be
  dualised with any multipliers >= 0 (``score_table``); a match in pieces prices them at 0
  (``piece_table``: its pieces' own score LPs' duals, scaled, gave lower bounds, measured in
  docs/solvers.md). The rows holding tier (3) and the one-pattern-per-home rows are dropped: dropping a
  row only lowers a minimum, so the bound stays valid (and holds whatever the extra homes).
- The two rows "emergency children placed >= E" and "children placed >= P" are dualised with one pair
  of multipliers for the whole instance (``mu_e``, ``mu_p``), chosen here to make the bound highest.
- What is left splits by sibling group (a lone child is a group of one). For a group's members in one
  piece, ``score_table`` lists, for each ``(k, k_e)``, the least priced cost of placing exactly ``k``
  of them, ``k_e`` of them emergencies, in homes of that piece: every admissible (subset, home), the
  score's own penalties and ``sibling_apart`` terms (``pricing.subset_costs``), then the best set of
  disjoint subsets (a DP over bitmasks).
- A home in another piece costs a child at least ``out_of_piece``: the distance parts of the score to
  the nearest home of another piece (from the family home and from school), and the move for a settled
  child whose home is in their own piece; every other part of the score and every multiplier is >= 0.
  A group's table is widened by letting any of its members take such a home, each on their own
  (counting a member twice only lowers the minimum).
- A group whose members are in several pieces is a group per piece; the sibling terms between the parts
  are left out (they are >= 0).

So for any multipliers >= 0, with ``c`` the pieces' constants (minus each multiplier times its row's
right-hand side), ``L(mu_e, mu_p) = c + mu_e E + mu_p P + sum over groups of min over (k, k_e) of
(table - mu_p k - mu_e k_e)`` is at most the score of every such answer (weak duality). ``L`` is
concave; ``whole_score_bound`` searches it and returns the best value it evaluated, so the search
affects only how strong the bound is, never whether it holds. ``tests/test_score_bound.py`` checks it
against brute force on instances cut in pieces.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from placements.codes import Setting
from placements.eligibility import Eligibility, make_scope, setting_ranks
from placements.geo import miles
from placements.instance import Instance
from placements.model.national import admits, child_attributes, fostering_room, home_attributes, move_budget
from placements.model.patterns import group_rows
from placements.model.pricing import (
    FullPairs,
    Multipliers,
    elig_limit,
    exact_partitions,
    protected_welfare,
    subset_costs,
)
from placements.policy import Policy

_SETTINGS_LIST = list(Setting)
_FOSTER = _SETTINGS_LIST.index(Setting.FOSTER)


@dataclass(frozen=True)
class ScoreTable:
    """One piece's part of the relaxation: per sibling group (a lone child is a group of one) of the
    piece, its members' ids, and entries ``(group, k, k_e, value)``: the least priced cost of placing
    exactly ``k`` members, ``k_e`` of them emergencies, in the piece's homes (``(0, 0, 0.0)`` first)."""

    members: tuple[tuple[str, ...], ...]
    group: np.ndarray  # int64 per entry, nondecreasing
    k: np.ndarray  # int64 per entry
    k_e: np.ndarray  # int64 per entry
    value: np.ndarray  # float64 per entry
    constant: float  # minus each home's multipliers times its rows' right-hand sides
    #: Per home of the piece: its room and the children already there, as the piece saw them. The bound
    #: needs them equal to the whole instance's (``decompose`` checks): a child living in a home is in
    #: that home's piece.
    capacity: np.ndarray
    others: np.ndarray
    #: Per home of the piece: the multipliers of its capacity and limit rows.
    cap_l: np.ndarray
    lim_l: np.ndarray
    #: Per protected settled child (id) of the piece: the multiplier of their row "keeps a home", taken
    #: off each entry that places them and added to ``constant``.
    required: dict[str, float]
    #: Per protected settled child (id): their welfare parts where they live (``budgets`` turns them into
    #: ``national.move_budget``'s room for a move, over the whole instance).
    welfare: dict[str, float]


def piece_table(elig: Eligibility, full: FullPairs) -> ScoreTable:
    """The piece's ``ScoreTable`` as a match in pieces prices it: with every multiplier 0 (the pieces' own
    score LPs' duals, scaled, gave lower bounds: docs/solvers.md), and the protected children's welfare."""
    from placements.eligibility import WELFARE_PARTS

    rows = np.flatnonzero(elig.protected)
    welfare: dict[str, float] = {}
    if len(rows):
        now = elig.penalty_parts(rows, elig.settled_at[rows])[list(WELFARE_PARTS)].to_numpy().sum(axis=1)
        welfare = {elig.kids[r].child_id: float(v) for r, v in zip(rows.tolist(), now.tolist(), strict=True)}
    m = elig.admissible.shape[1]
    return score_table(elig, full, Multipliers(np.zeros(m), np.zeros(m)), welfare)


def score_table(
    elig: Eligibility, full: FullPairs, mult: Multipliers, welfare_now: dict[str, float] | None = None
) -> ScoreTable:
    """The piece's ``ScoreTable`` from its score LP's multipliers (only ``capacity`` and ``limit`` are used)."""
    cap_l, lim_l = np.maximum(mult.capacity, 0.0), np.maximum(mult.limit, 0.0)
    req = np.zeros(len(elig.kids)) if mult.required is None else np.maximum(mult.required, 0.0)
    req = np.where(elig.protected, req, 0.0)  # only a protected child's row says they keep a home
    limit = elig_limit(elig)
    lim = limit.astype(np.float64)
    emergency = elig.emergency().astype(np.int64)
    alone = np.array([not c.lives_with_others for c in elig.kids], dtype=bool)
    groups = group_rows(elig)
    ids = [c.child_id for c in elig.kids]
    members: list[tuple[str, ...]] = []
    g_out: list[int] = []
    k_out: list[int] = []
    e_out: list[int] = []
    v_out: list[float] = []
    singles = np.array([g[0] for g in groups if len(g) == 1], dtype=np.int64)
    single_best: dict[int, float] = {}
    if len(singles):
        coef = np.where(alone[singles, None], lim[None, :], 1.0)
        cost = full.penalty[singles].astype(np.float64) + cap_l[None, :] + lim_l[None, :] * coef
        best = np.where(full.admissible[singles], cost, np.inf).min(axis=1, initial=np.inf) - req[singles]
        single_best = dict(zip(singles.tolist(), best.tolist(), strict=True))
    welfare = protected_welfare(elig, full) if elig.protected.any() else {}
    for gi, rows in enumerate(groups):
        members.append(tuple(ids[r] for r in rows))
        g_out.append(gi)
        k_out.append(0)
        e_out.append(0)
        v_out.append(0.0)
        if len(rows) == 1:
            b = single_best[rows[0]]
            if np.isfinite(b):
                g_out.append(gi)
                k_out.append(1)
                e_out.append(int(emergency[rows[0]]))
                v_out.append(b)
            continue
        k = len(rows)
        best_of = subset_costs(elig, full, rows, cap_l, lim_l, 0.0, True, welfare, limit)
        for mask in range(1, 1 << k):
            best_of[mask] -= float(req[[rows[i] for i in range(k) if mask >> i & 1]].sum())
        placed = exact_partitions(best_of)  # the least cost of placing exactly these members
        table: dict[tuple[int, int], float] = {}
        for mask in range(1, 1 << k):
            if placed[mask] < np.inf:
                sel = [rows[i] for i in range(k) if mask >> i & 1]
                key = (len(sel), int(emergency[sel].sum()))
                table[key] = min(table.get(key, np.inf), float(placed[mask]))
        for (kk, ke), v in sorted(table.items()):
            g_out.append(gi)
            k_out.append(kk)
            e_out.append(ke)
            v_out.append(v)
    constant = -float((cap_l * elig.scope.capacity).sum()) - float((lim_l * lim).sum()) + float(req.sum())
    return ScoreTable(
        tuple(members),
        np.array(g_out, dtype=np.int64),
        np.array(k_out, dtype=np.int64),
        np.array(e_out, dtype=np.int64),
        np.array(v_out, dtype=np.float64),
        constant,
        np.asarray(elig.scope.capacity, dtype=np.int64).copy(),
        np.asarray(elig.scope.others, dtype=np.int64).copy(),
        cap_l,
        lim_l,
        {ids[r]: float(req[r]) for r in np.flatnonzero(req > 0).tolist()},
        dict(welfare_now or {}),
    )


class OutOfPiece:
    """Per child (id) of a piece: a lower bound on their priced cost at any home of another piece (module
    docstring), the sum of separate lower bounds of its parts, each over every home of another piece:

    - the distance parts, to the nearest such home of any kind (a k-d tree; the DfE formula rounds to
      0.1 mile and is monotone, so a farther home is never fewer miles away; the distance is still
      lowered by 0.05 mile; where a home of another piece has no place on the map, these parts are 0);
    - the least home ``price`` (``costs``: its piece's multipliers and the score's cost part) plus
      ``setting_rank`` and ``under12_not_family`` over the homes of another piece whose attributes admit
      the child (``national.admits``, without the Ofsted rule and the per-pair rules, which only remove
      homes); inf when there is none;
    - the move, for a settled child whose home is in their own piece; and none at all (inf) for a protected
      settled child whom even the distance part alone leaves no room for the gain a move must bring
      (``budget``: per protected child, ``national.protected_moves``'s ``B``).

    Everything but the prices is found once (``__init__``), so several multipliers' prices cost little.
    """

    def __init__(
        self,
        instance: Instance,
        policy: Policy,
        whole_cohort: bool,
        piece_of_child: dict[str, int],
        piece_of_home: np.ndarray,
    ):
        from scipy.spatial import cKDTree  # imported here: 0.18 s, which a daily match should not pay

        w = policy.weights
        as_of = policy.as_of_date()
        scope = make_scope(instance, whole_cohort)
        self.capacity, self.others = scope.capacity, scope.others  # the whole instance's, for ``decompose``'s check
        places = instance.places
        e = np.array([np.nan if p.easting is None else p.easting for p in places], dtype=float)
        n = np.array([np.nan if p.northing is None else p.northing for p in places], dtype=float)
        known = np.isfinite(e) & np.isfinite(n)
        h_key = home_attributes(places, scope.others, None)
        _, room = fostering_room(places, scope.capacity, scope.others)
        self.usable = (room >= 1) & (scope.capacity >= 1) & (piece_of_home >= 0)
        self.h_types, h_type_of = np.unique(h_key, axis=0, return_inverse=True)
        self.h_type_of = np.asarray(h_type_of).ravel()
        self.piece_of_home = piece_of_home
        self.n_pieces = int(piece_of_home.max(initial=-1)) + 1
        self.kids = [c for c in instance.children if c.child_id in piece_of_child]
        # Children by what the kinds of home see of them (their attributes and the rank of each setting in
        # their list), and per such type x kind of home: the parts of the score the kind decides (the
        # setting's rank, an under-12 outside a foster family); inf where the kind does not admit them.
        c_key = np.concatenate([child_attributes(self.kids, as_of), setting_ranks(self.kids, as_of)], axis=1)
        c_types, c_type_of = np.unique(c_key, axis=0, return_inverse=True)
        self.c_type_of = np.asarray(c_type_of).ravel()
        h_setting = self.h_types[:, 0]
        ok = admits(c_types[:, :6], self.h_types)
        young = (c_types[:, 1] < 12)[:, None] & (h_setting != _FOSTER)[None, :]
        steps = c_types[:, 6:][:, h_setting]
        self.kind_part = np.where(ok, steps * float(w.setting_rank) + young * float(w.under12_not_family), np.inf)
        self.piece = np.array([piece_of_child[c.child_id] for c in self.kids], dtype=np.int64)
        coords = {
            key: np.array([np.nan if getattr(c, key) is None else getattr(c, key) for c in self.kids], dtype=float)
            for key in ("home_easting", "home_northing", "school_easting", "school_northing")
        }
        today = np.array(
            [instance.place_index.get(c.current_place_id, -1) if c.current_place_id else -1 for c in self.kids],
            dtype=np.int64,
        )
        self.fixed = np.zeros(len(self.kids))
        self.family = np.zeros(len(self.kids))  # the distance part from the family home alone
        for k in sorted(set(self.piece.tolist())):
            rows = np.flatnonzero(self.piece == k)
            elsewhere = piece_of_home != k
            points = np.stack([e[elsewhere & known], n[elsewhere & known]], axis=1)
            mapped = not (elsewhere & ~known).any() and len(points) > 0
            tree = cKDTree(points) if mapped else None
            parts = []
            for x, y, per in (
                ("home_easting", "home_northing", w.per_mile),
                ("school_easting", "school_northing", w.per_school_mile),
            ):
                xy = np.stack([coords[x][rows], coords[y][rows]], axis=1)
                part = np.zeros(len(rows))
                at = np.flatnonzero(np.isfinite(xy).all(axis=1))
                if tree is not None and len(at):
                    metres, _ = tree.query(xy[at], k=1)
                    # The DfE formula (``geo.miles``) rounds to 0.1 mile; 0.05 less for the rounding.
                    flat = np.zeros(len(at))
                    d = np.maximum(miles(flat, flat, np.asarray(metres, dtype=float), flat) - 0.05, 0.0)
                    part[at] = np.rint(np.minimum(d, w.distance_cap_miles) * per)
                parts.append(part)
            self.family[rows] = parts[0]
            moves = (today[rows] >= 0) & (piece_of_home[np.maximum(today[rows], 0)] == k)
            # A settled child whose home is in the piece would move.
            self.fixed[rows] = parts[0] + parts[1] + moves * float(w.moves_settled_child)

    def costs(self, price: np.ndarray, budget: dict[str, float]) -> dict[str, float]:
        """Per child id: the bound with these home prices (per home of the instance; inf: in no piece);
        inf for a protected child (``budget``, ``budgets``) whom the distance from their family alone
        leaves no room for the gain a move must bring."""
        room = np.array([budget.get(c.child_id, np.inf) for c in self.kids])
        fixed = np.where(self.family > room, np.inf, self.fixed)
        cheapest = np.full((len(self.h_types), max(self.n_pieces, 1)), np.inf)
        on = np.flatnonzero(self.usable)
        np.minimum.at(cheapest, (self.h_type_of[on], self.piece_of_home[on]), price[on])
        out: dict[str, float] = {}
        for k in sorted(set(self.piece.tolist())):
            rows = np.flatnonzero(self.piece == k)
            elsewhere = np.delete(cheapest, k, axis=1).min(axis=1, initial=np.inf)
            types, back = np.unique(self.c_type_of[rows], return_inverse=True)
            least = (self.kind_part[types] + elsewhere[None, :]).min(axis=1, initial=np.inf)[np.asarray(back).ravel()]
            for i, v in zip(rows.tolist(), (least + fixed[rows]).tolist(), strict=True):
                out[self.kids[i].child_id] = v
        return out


def budgets(instance: Instance, policy: Policy, tables: list[ScoreTable]) -> dict[str, float]:
    """Per protected settled child (id): the room their welfare where they live leaves for a move
    (``national.move_budget``, as ``protected_moves`` finds it, over the children the pieces match)."""
    kids = {cid for t in tables for m in t.members for cid in m}
    size: dict[str, int] = {}
    for c in instance.children:
        if c.child_id in kids and c.sibling_group is not None:
            size[c.sibling_group] = size.get(c.sibling_group, 0) + 1
    named = {kid for p in instance.places for kid in p.kinship_for}
    child = {c.child_id: c for c in instance.children}
    w = policy.weights
    return {cid: move_budget(v, child[cid], named, size, w) for t in tables for cid, v in t.welfare.items()}


def home_prices(
    instance: Instance, policy: Policy, pieces_places: list[np.ndarray], tables: list[ScoreTable]
) -> np.ndarray:
    """Per home of the instance: its piece's capacity and limit multipliers plus the score's cost part
    (``OutOfPiece.costs``'s ``price``); inf for a home in no piece."""
    w = policy.weights
    price = np.full(len(instance.places), np.inf)
    for places, t in zip(pieces_places, tables, strict=True):
        price[places] = t.cap_l + t.lim_l
    cost = np.array([np.rint(p.weekly_cost / 100.0 * w.per_100_gbp_week) for p in instance.places], dtype=float)
    out: np.ndarray = price + cost
    return out


def whole_score_bound(
    tables: list[ScoreTable],
    emergency: dict[str, bool],
    out_cost: dict[str, float],
    levels: tuple[int, int],
    rounds: int = 16,
) -> tuple[float, float, float]:
    """(bound, mu_e, mu_p): the best ``L(mu_e, mu_p)`` evaluated (module docstring) for answers placing at
    least ``levels`` = (emergency children, children). ``emergency``: per child id, whether an emergency;
    ``out_cost``: ``out_of_piece``. A golden-section search on ``mu_e`` around a bisection on ``mu_p``'s
    supergradient; any point evaluated is a bound, the highest is returned."""
    e_level, p_level = levels
    constant = sum(t.constant for t in tables)
    lone_w: list[float] = []
    lone_e: list[int] = []
    g_ids: list[int] = []
    g_k: list[int] = []
    g_e: list[int] = []
    g_v: list[float] = []
    n_groups = 0
    for t in tables:
        if not len(t.group):
            continue
        starts = np.flatnonzero(np.r_[True, t.group[1:] != t.group[:-1]]).tolist() + [len(t.group)]
        for a, b in itertools.pairwise(starts):
            ids = t.members[int(t.group[a])]
            inside = {(int(t.k[j]), int(t.k_e[j])): float(t.value[j]) for j in range(a, b)}
            flags = [bool(emergency[c]) for c in ids]
            away = [out_cost.get(c, np.inf) - t.required.get(c, 0.0) for c in ids]
            if len(ids) == 1:
                e1 = int(flags[0])
                lone_w.append(min(inside.get((1, e1), np.inf), away[0]))
                lone_e.append(e1)
                continue
            combined = _widened(inside, away, flags)
            for (kk, ke), v in sorted(combined.items()):
                g_ids.append(n_groups)
                g_k.append(kk)
                g_e.append(ke)
                g_v.append(v)
            n_groups += 1
    w = np.array(lone_w, dtype=np.float64)
    we = np.array(lone_e, dtype=np.float64)
    gid = np.array(g_ids, dtype=np.int64)
    gk = np.array(g_k, dtype=np.float64)
    ge = np.array(g_e, dtype=np.float64)
    gv = np.array(g_v, dtype=np.float64)
    first_of = np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]]) if len(gid) else np.zeros(0, dtype=np.int64)
    finite = np.concatenate([w[np.isfinite(w)], gv[np.isfinite(gv)]])
    top = float(finite.max(initial=0.0)) + 1.0

    def value(mu_e: float, mu_p: float) -> tuple[float, float, float]:
        """L and its supergradient (d/d mu_e, d/d mu_p) at one point."""
        lone = w - mu_p - mu_e * we
        on = lone < 0
        total = constant + mu_e * e_level + mu_p * p_level + float(lone[on].sum())
        d_e, d_p = float(e_level - we[on].sum()), float(p_level - on.sum())
        if len(gid):
            v = gv - mu_p * gk - mu_e * ge
            low = np.minimum.reduceat(v, first_of)
            total += float(low.sum())
            hit = np.flatnonzero(v <= low[gid])
            first = hit[np.r_[True, gid[hit][1:] != gid[hit][:-1]]]  # one minimiser per group
            d_e -= float(ge[first].sum())
            d_p -= float(gk[first].sum())
        return total, d_e, d_p

    best = [value(0.0, 0.0)[0], 0.0, 0.0]

    def inner(mu_e: float) -> float:
        lo, hi = 0.0, top
        out = -np.inf
        for _ in range(rounds + 14):
            mid = 0.5 * (lo + hi)
            val, _, d_p = value(mu_e, mid)
            out = max(out, val)
            if val > best[0]:
                best[:] = [val, mu_e, mid]
            if d_p > 0:
                lo = mid
            else:
                hi = mid
        return out

    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    left, right = 0.0, top
    x1, x2 = right - ratio * (right - left), left + ratio * (right - left)
    f1, f2 = inner(x1), inner(x2)
    inner(0.0)
    for _ in range(rounds):
        if f1 >= f2:
            right, x2, f2 = x2, x1, f1
            x1 = right - ratio * (right - left)
            f1 = inner(x1)
        else:
            left, x1, f1 = x1, x2, f2
            x2 = left + ratio * (right - left)
            f2 = inner(x2)
    return best[0], best[1], best[2]


def _widened(inside: dict[tuple[int, int], float], out: list[float], flags: list[bool]) -> dict[tuple[int, int], float]:
    """A group's table with members also placed in other pieces at ``out`` each, on their own: the least
    ``inside`` entry plus the cheapest such members for each count (a member may be counted in both,
    which only lowers the minimum), at most the group's size and emergencies in all."""
    size, n_e = len(flags), sum(flags)
    em = sorted(v for v, f in zip(out, flags, strict=True) if f and np.isfinite(v))
    other = sorted(v for v, f in zip(out, flags, strict=True) if not f and np.isfinite(v))
    cum_e, cum_o = np.r_[0.0, np.cumsum(em)], np.r_[0.0, np.cumsum(other)]
    result = dict(inside)
    for (k1, e1), v1 in inside.items():
        for e2 in range(len(cum_e)):
            for o2 in range(len(cum_o)):
                kk, ke = k1 + e2 + o2, e1 + e2
                if (e2 or o2) and kk <= size and ke <= n_e:
                    v = v1 + float(cum_e[e2] + cum_o[o2])
                    if v < result.get((kk, ke), np.inf):
                        result[(kk, ke)] = v
    return result
