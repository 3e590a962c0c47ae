"""A bound on tiers (1)-(2) of a whole national instance, without its 4 billion child x home pairs.

Why: England (83,600 children x 53,069 homes) is matched in geographic pieces, and the pieces'
bounds hold piece by piece only: a child near a border, or one with no suitable home in their own
piece, might have been placed in the next one. ``flows.tier_bound`` relaxes the placed tiers to a
flow over every admissible pair; here the same flow is built for the whole instance by grouping:

- every admissibility rule but two compares a child's attributes with a home's (settings, age,
  sex, needs, supported accommodation's ages, the fostering limit, living alone), so children
  with the same attributes (a *type*: settings, age, sex, needs, emergency, living alone) are one
  node with their count as supply, and homes of the same attributes one node with their rooms
  summed: a flow between types is a flow between their members and back;
- the three per-pair rules are kept exact: a connected-person carer is a node of its own, reached
  only by the children named for it, and a child with a maximum distance or areas to avoid is a node
  of their own, joined to each home within that distance and outside those areas (then homes are
  nodes of their own below their type).

With ``policy`` the Ofsted rule is kept too: a held-back home is a type of its own that admits
nobody, and a child living in one, or approved for one where approval is enough, is a node of their
own with an arc to it where every other rule allows (a superset of the pairs ``Eligibility``'s
``OFSTED`` mask leaves, so still a relaxation).

The flow's most emergency children and most children (two maximum flows; the sets of children a
flow places form a matroid, so both are reached by one flow) bound tiers (1) and (2) of every lawful
answer over the whole instance (sibling groups and living alone only restrict the flow). Measured
on england-s1 in docs/solvers.md.

Under the stability rule (``policy`` given, ``stability`` other than ``allow_moves``) a protected
settled child is a node of their own with an arc to the home they live in and arcs only to the homes
a move may reach (``protected_moves``: a setting no less preferred, never out of a foster family, and
within the miles their score today leaves room for; none when staying scores too little for any move
to gain what a move costs). Why it is still a bound: every lawful answer A houses each protected
child at home or at a home no worse for them (``Eligibility._stability``, ``patterns._no_worse``),
and each such pair is an arc here (``protected_moves`` proves the reach), so A is still a flow. And A
houses every protected child: A's emergency and protected children together are a set the flow
places, so their number, at most the most such children a flow places (one maximum flow with only
their supply), less the protected children who are not emergencies, bounds A's emergency children.
``tests/test_national.py`` checks both against brute force and against ``flows.tier_bound``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
from ortools.graph.python import max_flow

from placements.areas import upper_tier
from placements.codes import (
    SUPPORTED_MAX_AGE,
    SUPPORTED_MIN_AGE,
    USUAL_FOSTERING_LIMIT,
    Need,
    PlaceSex,
    Setting,
    Status,
    Urgency,
)
from placements.domain import Child, Place
from placements.eligibility import make_scope
from placements.geo import ONS_LA, miles
from placements.instance import Instance, Piece, sub_instance
from placements.policy import Policy, Weights

_SETTINGS = list(Setting)
_NEED_BIT = {need: 1 << i for i, need in enumerate(Need)}


def _bits(needs: frozenset[Need]) -> int:
    out = 0
    for n in needs:
        out |= _NEED_BIT[n]
    return out


def _home_areas(places: tuple[Place, ...]) -> dict[str, np.ndarray]:
    """Per home: its postcode's district and sector and its authority and upper tier (None where unknown)."""
    outward, sector, la, upper = [], [], [], []
    for p in places:
        out, _, inward = (p.postcode or "").partition(" ")
        outward.append(out or None)
        sector.append(f"{out} {inward[0]}" if out and inward else None)
        la.append(p.la_code)
        upper.append(upper_tier(p.la_code))
    return {k: np.array(v, dtype=object) for k, v in (("o", outward), ("s", sector), ("l", la), ("u", upper))}


def _in_areas(areas: tuple[str, ...], where: dict[str, np.ndarray] | None) -> np.ndarray:
    """Per home: whether it lies in one of ``areas`` (the ``avoid_area`` rule, ``Child.avoid_areas``)."""
    assert where is not None
    codes = [a for a in areas if ONS_LA.match(a)]
    sectors = [a for a in areas if " " in a]
    districts = [a for a in areas if " " not in a and not ONS_LA.match(a)]
    out: np.ndarray = (
        np.isin(where["o"], districts)
        | np.isin(where["s"], sectors)
        | np.isin(where["l"], codes)
        | np.isin(where["u"], codes)
    )
    return out


#: Homes per batch in ``protected_moves``: each batch is a small instance of its own (homes x the
#: children living there), so the rule masks stay small.
_BATCH_HOMES = 512


def protected_moves(
    instance: Instance, policy: Policy, as_of: dt.date, whole_cohort: bool
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per child in scope (``make_scope``'s order): the home a protected settled child lives in (-1: not
    protected), and the miles from their family home within which any move lies (-1: none can).

    Who is protected, and what staying scores, is decided by ``Eligibility`` itself, on the homes in
    batches: each batch (its homes, every child living there) is an instance of its own
    (``instance.sub_instance``, as the pieces are), and a child's protection depends only on their own
    pair and on the children living in that home (``Eligibility.protected``).

    Why the reach holds: a protected child who moves must gain at least ``weights.moves_settled_child``
    (``W``) on the score's welfare parts, brothers and sisters counted (``stable_pairs``,
    ``patterns._no_worse``, ``validate``): welfare now + ``sibling_apart`` x (siblings they would live
    with beyond today's) - welfare at the new home >= W. Every welfare part is >= 0, so the welfare at
    the new home is at least its distance part, ``rint(min(miles, cap) x per_mile)``; the siblings
    term is at most ``sibling_apart`` x (group size - 1). So a move needs ``rint(min(miles, cap) x
    per_mile) <= B = welfare now - W + sibling_apart x (group size - 1)``: none when ``B < 0``, only
    within ``(B + 0.5) / per_mile`` miles otherwise (no limit when ``B`` reaches the capped distance's
    points, ``per_mile`` is 0, or the family home is unknown: the part is then 0). Two parts of welfare
    now may be higher over the whole instance than in a batch (a connected-person carer, or a brother
    or sister held for, in a home outside it): their weights are added where they might apply.
    Returns (None, None) when nobody is protected (no settled children, or ``allow_moves``).
    """
    from placements.eligibility import WELFARE_PARTS, Eligibility

    scope = make_scope(instance, whole_cohort)
    if policy.stability == "allow_moves" or scope.settled is None or not (scope.settled >= 0).any():
        return None, None
    w = policy.weights
    n = len(scope.children)
    home_today = np.full(n, -1, dtype=np.int64)
    budget = np.full(n, -1, dtype=np.int64)
    row_of = {instance.children[i].child_id: r for r, i in enumerate(scope.children.tolist())}
    living: dict[int, list[int]] = {}  # home -> instance indices of every child living there
    for i, c in enumerate(instance.children):
        if c.current_place_id is not None and c.current_place_id in instance.place_index:
            living.setdefault(instance.place_index[c.current_place_id], []).append(i)
    homes = sorted(set(int(p) for p in scope.settled[scope.settled >= 0].tolist()))
    named = {kid for p in instance.places for kid in p.kinship_for}
    size: dict[str, int] = {}
    for i in scope.children.tolist():
        g = instance.children[i].sibling_group
        if g is not None:
            size[g] = size.get(g, 0) + 1
    for a in range(0, len(homes), _BATCH_HOMES):
        batch = homes[a : a + _BATCH_HOMES]
        kids = np.array(sorted(i for h in batch for i in living[h]), dtype=np.int64)
        sub = sub_instance(instance, Piece(kids, np.array(batch, dtype=np.int64)))
        elig = Eligibility(sub, policy, make_scope(sub, True), as_of)
        rows = np.flatnonzero(elig.protected)
        if len(rows) == 0:
            continue
        at = elig.settled_at[rows]
        welfare = elig.penalty_parts(rows, at)[list(WELFARE_PARTS)].to_numpy().sum(axis=1)
        for r, p, wel in zip(rows.tolist(), at.tolist(), welfare.tolist(), strict=True):
            c = elig.kids[r]
            whole_row = row_of[c.child_id]
            home_today[whole_row] = batch[p]
            budget[whole_row] = move_budget(int(wel), c, named, size, w)
    capped = int(np.rint(w.distance_cap_miles * w.per_mile))
    reach = np.full(n, np.inf)
    on = home_today >= 0
    if w.per_mile > 0:
        reach[on] = np.where(budget[on] >= capped, np.inf, (budget[on] + 0.5) / w.per_mile)
    reach[on & (budget < 0)] = -1.0
    unknown = np.array(
        [
            instance.children[i].home_easting is None or instance.children[i].home_northing is None
            for i in scope.children.tolist()
        ],
        dtype=bool,
    )
    reach[on & unknown & (budget >= 0)] = np.inf
    return home_today, reach


def fostering_room(
    places: tuple[Place, ...] | list[Place], capacity: np.ndarray, others: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per home: new children allowed alongside others (``limit``: the fostering limit, where it applies), and
    the most any lawful answer puts there (``top``: a whole sibling group may fill a home nobody else lives in),
    as ``patterns._room`` has them from an ``Eligibility``."""
    applies = np.array([p.setting is Setting.FOSTER and not p.sibling_exemption for p in places], dtype=bool)
    limit = np.where(applies, np.minimum(capacity, np.maximum(USUAL_FOSTERING_LIMIT - others, 0)), capacity)
    return limit, np.where(others == 0, capacity, limit)


def home_attributes(places: tuple[Place, ...] | list[Place], others: np.ndarray, policy: Policy | None) -> np.ndarray:
    """Per home, what the rules compare a child with (columns: setting, lowest and highest age, sex, needs
    bits, room under the fostering limit, nobody else there, open under the policy's Ofsted rule)."""
    others = np.asarray(others, dtype=np.int64)
    limit_applies = np.array([p.setting is Setting.FOSTER and not p.sibling_exemption for p in places], dtype=bool)
    rule = policy.ofsted if policy is not None else None
    return np.stack(
        [
            np.array([_SETTINGS.index(p.setting) for p in places], dtype=np.int64),
            np.array([p.age_min for p in places], dtype=np.int64),
            np.array([p.age_max for p in places], dtype=np.int64),
            np.array([{PlaceSex.ANY: 0, PlaceSex.MALE: 1, PlaceSex.FEMALE: 2}[p.sex] for p in places], dtype=np.int64),
            np.array([_bits(p.meets_needs) for p in places], dtype=np.int64),
            ~limit_applies | (others + 1 <= USUAL_FOSTERING_LIMIT),
            others == 0,
            np.array([rule is None or not rule.blocks(p.ofsted_rating, approved=False) for p in places], dtype=bool),
        ],
        axis=1,
    ).astype(np.int64)


def _suitable(kids: list[Child], as_of: dt.date) -> np.ndarray:
    """Per child x setting: whether the setting is one of the child's suitable settings."""
    suit = np.zeros((len(kids), len(_SETTINGS)), dtype=bool)
    for i, c in enumerate(kids):
        for s in c.suitable_settings(as_of):
            suit[i, _SETTINGS.index(s)] = True
    return suit


def child_attributes(kids: list[Child], as_of: dt.date, suit: np.ndarray | None = None) -> np.ndarray:
    """Per child, what the rules compare with a home (columns: suitable settings' bits, age, sex, needs bits,
    emergency, must live alone); ``suit`` (child x setting) in place of the child's own suitable settings."""
    suit = _suitable(kids, as_of) if suit is None else suit
    return np.stack(
        [
            suit.astype(np.int64) @ (1 << np.arange(len(_SETTINGS))),
            np.array([c.age_on(as_of) for c in kids], dtype=np.int64),
            np.array([1 if c.sex.value == PlaceSex.MALE.value else 2 for c in kids], dtype=np.int64),
            np.array([_bits(c.needs) for c in kids], dtype=np.int64),
            np.array([c.urgency is Urgency.EMERGENCY for c in kids], dtype=np.int64),
            np.array([not c.lives_with_others for c in kids], dtype=np.int64),
        ],
        axis=1,
    )


def admits(ck: np.ndarray, hk: np.ndarray) -> np.ndarray:
    """Rule by rule, child attributes (rows, ``child_attributes``) x home attributes (columns,
    ``home_attributes``): True where admissible."""
    c_s, c_a, c_x, c_n, _c_e, c_al = (ck[:, k][:, None] for k in range(6))
    hs, hlo, hhi, hx, hn, hlim, hal, hof = (hk[:, k][None, :] for k in range(8))
    supported = hs == _SETTINGS.index(Setting.SUPPORTED)
    admissible: np.ndarray = (
        ((c_s >> hs) & 1).astype(bool)
        & (hlo <= c_a)
        & (c_a <= hhi)
        & ((hx == 0) | (hx == c_x))
        & ((c_n & ~hn) == 0)
        & (~supported | ((c_a >= SUPPORTED_MIN_AGE) & (c_a <= SUPPORTED_MAX_AGE)))
        & hlim.astype(bool)
        & (~c_al.astype(bool) | hal.astype(bool))
        & hof.astype(bool)
    )
    return admissible


def move_budget(welfare_now: float, child: Child, named: set[str], size: dict[str, int], w: Weights) -> float:
    """``protected_moves``'s ``B`` for a protected settled child: their welfare parts where they live, plus
    what a move may also gain (a connected-person carer, ``named``; a brother or sister placed elsewhere;
    brothers and sisters joined, ``size`` per group), less the gain a move must bring."""
    g = child.sibling_group
    slack = (w.not_kinship if child.child_id in named else 0) + (w.apart_from_placed_sibling if g else 0)
    slack += w.sibling_apart * max(size.get(g, 1) - 1, 0) if g else 0
    return welfare_now + slack - w.moves_settled_child


def whole_tier_bound(
    instance: Instance,
    as_of: dt.date,
    whole_cohort: bool,
    policy: Policy | None = None,
    moves: Literal["free", "pinned", "reach"] = "pinned",
) -> tuple[int, int]:
    """(emergency children, children) no lawful answer for the whole instance exceeds (module docstring).

    With ``policy``: its Ofsted rule holds (a home held back is open only to the children living there
    and those approved for it), and, under a stability rule other than ``allow_moves``, the protected
    settled children whom no move can gain enough stay (``moves="pinned"``), or every protected child
    may only stay or make the moves ``protected_moves`` leaves them (``moves="reach"``: one node and
    an arc per home within reach each, several times slower at England's size); ``moves="free"``
    leaves the stability rule out. Without ``policy`` neither rule is known, and every child may
    move anywhere admissible.
    """
    scope = make_scope(instance, whole_cohort)
    places = instance.places
    m = len(places)
    capacity, others = scope.capacity.astype(np.int64), scope.others.astype(np.int64)
    _, top = fostering_room(places, capacity, others)
    kin = np.array([bool(p.kinship_for) for p in places], dtype=bool)
    usable = (top >= 1) & (capacity >= 1)
    # The Ofsted rule (``Eligibility``'s ``OFSTED`` mask): a home held back takes only the children living
    # there (their own home is exempt) and, where approval is enough, the children approved for it.
    rule = policy.ofsted if policy is not None else None
    h_key = home_attributes(places, others, policy)
    h_ofsted_ok = h_key[:, 7].astype(bool)
    grouped = usable & ~kin
    h_types, h_type_of = np.unique(h_key[grouped], axis=0, return_inverse=True)
    h_type_of = np.asarray(h_type_of).ravel()

    kids = [instance.children[i] for i in scope.children]
    n = len(kids)
    suit = _suitable(kids, as_of)
    emergency = np.array([c.urgency is Urgency.EMERGENCY for c in kids], dtype=bool)
    named: dict[str, list[int]] = {}
    for j, p in enumerate(places):
        for kid in p.kinship_for:
            named.setdefault(kid, []).append(j)
    exempt: dict[int, list[int]] = {}  # child row -> homes held back by the Ofsted rule that still take them
    if rule is not None and not h_ofsted_ok.all():
        row_of = {c.child_id: i for i, c in enumerate(kids)}
        for i, c in enumerate(kids):
            j = instance.place_index.get(c.current_place_id, -1) if c.current_place_id is not None else -1
            if c.status is Status.PLACED and j >= 0 and not h_ofsted_ok[j]:
                exempt.setdefault(i, []).append(j)
        for j in np.flatnonzero(~h_ofsted_ok).tolist():
            if not rule.blocks(places[j].ofsted_rating, approved=True):
                for kid in places[j].ofsted_approved_for:
                    if kid in row_of:
                        exempt.setdefault(row_of[kid], []).append(j)
    # Protected settled children (``protected_moves``): their own home, and moves within reach to settings
    # no less preferred (never out of a foster family).
    home_today, reach_miles = (
        protected_moves(instance, policy, as_of, whole_cohort) if policy and moves != "free" else (None, None)
    )
    stays = np.zeros(n, dtype=bool) if home_today is None else home_today >= 0
    if reach_miles is not None and moves == "pinned":  # only those who cannot move are nodes of their own
        stays &= reach_miles < 0
        reach_miles = np.where(stays, reach_miles, np.inf)
    elif home_today is not None and reach_miles is not None:
        for i in np.flatnonzero(stays).tolist():
            prefs = kids[i].suitable_settings(as_of)
            today = places[int(home_today[i])].setting
            allowed = (
                [Setting.FOSTER]
                if today is Setting.FOSTER
                else prefs[: prefs.index(today) + 1]
                if today in prefs
                else prefs
            )
            suit[i] = [x in allowed and x in prefs for x in _SETTINGS]
    max_miles = np.array([np.inf if c.max_distance_miles is None else c.max_distance_miles for c in kids])
    if reach_miles is not None:
        max_miles = np.minimum(max_miles, reach_miles)
    limited = np.isfinite(max_miles)
    avoiding = np.array([bool(c.avoid_areas) for c in kids], dtype=bool)
    in_exempt = np.zeros(n, dtype=bool)
    in_exempt[list(exempt)] = True
    special = limited | avoiding | stays | in_exempt | np.array([c.child_id in named for c in kids], dtype=bool)
    c_key = child_attributes(kids, as_of, suit)
    c_types, _, c_count = np.unique(c_key[~special], axis=0, return_inverse=True, return_counts=True)

    # Nodes: source, sink, child types, special children, home types, individual homes.
    n_ct, n_ht = len(c_types), len(h_types)
    spec_rows = np.flatnonzero(special)
    source, sink = 0, 1
    ct0 = 2
    sc0 = ct0 + n_ct
    ht0 = sc0 + len(spec_rows)
    hh0 = ht0 + n_ht
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    caps: list[np.ndarray] = []

    def arcs(a: np.ndarray, b: np.ndarray, cap: np.ndarray | int) -> None:
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        starts.append(a)
        ends.append(b)
        caps.append(np.broadcast_to(np.asarray(cap, dtype=np.int64), a.shape).copy())

    big = n + 1
    arcs(np.full(n_ct, source), ct0 + np.arange(n_ct), c_count)
    arcs(np.full(len(spec_rows), source), sc0 + np.arange(len(spec_rows)), 1)
    ok = admits(c_types, h_types)
    a, b = np.nonzero(ok)
    arcs(ct0 + a, ht0 + b, big)
    g_homes = np.flatnonzero(grouped)
    arcs(ht0 + h_type_of, hh0 + g_homes, big)  # each home below its type
    arcs(hh0 + np.flatnonzero(usable), np.full(int(usable.sum()), sink), top[usable])
    # Special children: to their type's homes (no distance limit, no areas to avoid) or to each home within reach
    # and outside their areas.
    where = _home_areas(places) if avoiding.any() else None
    s_keys = c_key[spec_rows]
    s_ok = admits(s_keys, h_types)
    p_e = np.array([p.easting for p in places], dtype=float)
    p_n = np.array([p.northing for p in places], dtype=float)
    # Homes within each limited child's reach: only homes whose easting is within the limit are
    # measured (homes sorted by easting, a slice per child), with the DfE formula as everywhere else.
    dist: dict[int, np.ndarray] = {}
    by_e = np.argsort(p_e, kind="stable")
    e_sorted = p_e[by_e]
    metres = 1609.3 * 1.0001  # a mile in metres, with room for the formula's rounding to 0.1 mile
    for k, r in enumerate(spec_rows.tolist()):
        c = kids[r]
        if not limited[r] or c.home_easting is None or c.home_northing is None:
            continue
        reach = (float(max_miles[r]) + 0.05) * metres
        lo, hi = np.searchsorted(e_sorted, [c.home_easting - reach, c.home_easting + reach + 1e-6])
        cand = by_e[lo:hi]
        d = np.asarray(miles(np.array([c.home_easting]), np.array([c.home_northing]), p_e[cand], p_n[cand])).ravel()
        dist[k] = np.sort(cand[~(d > max_miles[r])])
    for k, r in enumerate(spec_rows.tolist()):
        c = kids[r]
        node = sc0 + k
        mine = np.asarray(named.get(c.child_id, []), dtype=np.int64)
        if r in exempt:  # homes the Ofsted rule holds back from everyone else: every other rule still applies
            ex = np.array(sorted(set(exempt[r])), dtype=np.int64)
            hk = h_key[ex].copy()
            hk[:, 7] = 1
            ex = ex[admits(s_keys[k : k + 1], hk)[0] & usable[ex] & (~kin[ex] | np.isin(ex, mine))]
            if c.avoid_areas:
                ex = ex[~_in_areas(c.avoid_areas, where)[ex]]
            if k in dist:
                ex = ex[np.isin(ex, dist[k])]
            arcs(np.full(len(ex), node), hh0 + ex, 1)
        if stays[r]:  # their own home, whatever its type admits (a home's own rules do not apply to staying)
            arcs(np.array([node]), np.array([hh0 + int(home_today[r])]), 1)  # type: ignore[index]
            if max_miles[r] < 0:
                continue
        if not limited[r] and not c.avoid_areas:
            t = np.flatnonzero(s_ok[k])
            arcs(np.full(len(t), node), ht0 + t, 1)
            cols = mine
        else:
            near = dist.get(k, np.arange(m))  # an unknown distance never breaks a limit it cannot measure
            if c.avoid_areas:
                near = near[~_in_areas(c.avoid_areas, where)[near]]
            cols = np.union1d(near[~kin[near]], mine[np.isin(mine, near)])
        cols = cols[usable[cols]] if len(cols) else cols
        if len(cols):
            j = cols[admits(s_keys[k : k + 1], h_key[cols])[0]]
            arcs(np.full(len(j), node), hh0 + j, 1)

    st, en, cap = np.concatenate(starts), np.concatenate(ends), np.concatenate(caps)
    n_source_arcs = n_ct + len(spec_rows)
    is_emergency = np.concatenate([c_types[:, 4].astype(bool), emergency[spec_rows]])

    def most(supply_cap: np.ndarray) -> int:
        """The most children a flow places with these capacities on the source's arcs (push-relabel)."""
        flow = max_flow.SimpleMaxFlow()
        cap_now = cap.copy()
        cap_now[:n_source_arcs] = supply_cap
        flow.add_arcs_with_capacity(st.astype(np.int32), en.astype(np.int32), cap_now)
        if flow.solve(source, sink) != flow.OPTIMAL:  # pragma: no cover - capacities are finite
            raise RuntimeError("the whole-instance flow failed; this is a bug")
        return int(flow.optimal_flow())

    # Two maximum flows, not one min-cost flow (several times faster at England's size): the most
    # emergency children, then the most children. Both are reached by one flow (matroid, above).
    # Every lawful answer houses every protected child: the most emergency and protected children
    # placed together, less the protected who are not emergencies, bounds its emergency children (the
    # sets a flow places form a matroid, so the protected extend to a largest set among these).
    supply = cap[:n_source_arcs]
    is_protected = np.concatenate([np.zeros(n_ct, dtype=bool), stays[spec_rows]])
    wanted = is_emergency | is_protected
    first = most(np.where(wanted, supply, 0)) - int((is_protected & ~is_emergency).sum())
    return max(first, 0), most(supply)
