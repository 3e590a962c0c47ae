"""The array forms of eligibility (masks, penalties, the stability mask, the K nearest homes) against plain
Python re-statements of the same rules, pair by pair, on random instances; and slicing changes nothing."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import placements.eligibility as eligibility
from builders import AS_OF, child, instance, place, policy
from placements.codes import OfstedRating, Route, Rule, Setting, Status
from placements.eligibility import NEVER_WORSE, PENALTY_PARTS, WELFARE_PARTS, Eligibility, _nearest, make_scope
from placements.geo import miles
from placements.instance import Instance
from placements.model.patterns import _welfare_of
from strategies import tiny_instances


@st.composite
def judged(draw: st.DrawFn) -> Instance:
    """Tiny instances with settled children, connected-person carers and Ofsted judgements in play."""
    inst = draw(tiny_instances(max_children=6, max_places=4, settled=True))
    ids = [c.child_id for c in inst.children]
    places = tuple(
        p.model_copy(
            update={
                "ofsted_rating": (r := draw(st.sampled_from([None, *OfstedRating]))),
                "ofsted_approved_for": frozenset(draw(st.lists(st.sampled_from(ids), max_size=2)))
                if r
                else frozenset(),
            }
        )
        for p in inst.places
    )
    return inst.replace(places=places)


def _sibling_homes(elig: Eligibility, r: int) -> set[str]:
    """Homes where a brother or sister not being matched lives, or is held for."""
    inst, in_scope = elig.instance, {c.child_id for c in elig.kids}
    homes = set()
    for sib in inst.siblings_of(elig.kids[r].child_id):
        s = inst.children[inst.child_index[sib]]
        if sib in in_scope:
            continue
        if sib in inst.held:
            homes.add(inst.held[sib])
        elif s.status is Status.PLACED and s.current_place_id:
            homes.add(s.current_place_id)
    return homes


def _parts(elig: Eligibility, r: int, j: int) -> dict[str, int]:
    """One pair's penalty parts, re-stated one pair at a time."""
    w, c, p = elig.policy.weights, elig.kids[r], elig.instance.places[j]
    suitable = c.suitable_settings(AS_OF)
    foster = p.setting is Setting.FOSTER
    named = any(c.child_id in q.kinship_for for q in elig.instance.places)
    siblings = _sibling_homes(elig, r)
    dist = elig.distance[r, j]
    school = np.nan
    if c.school_easting is not None and c.school_northing is not None:
        school = float(miles(c.school_easting, c.school_northing, p.easting, p.northing))
    child_la = elig.child_la[r]
    return {
        "setting_rank": (suitable.index(p.setting) if p.setting in suitable else len(suitable)) * w.setting_rank,
        "under12_not_family": int(elig.ages[r] < 12 and not foster) * w.under12_not_family,
        "plan_fit": int(Route.LONG_TERM_FOSTER in c.permanence_plan and not (foster and p.long_term)) * w.plan_fit,
        "not_kinship": int(named and c.child_id not in p.kinship_for) * w.not_kinship,
        "apart_from_placed_sibling": int(bool(siblings) and p.place_id not in siblings) * w.apart_from_placed_sibling,
        "distance": 0 if np.isnan(dist) else int(np.rint(min(dist, w.distance_cap_miles) * w.per_mile)),
        "school_distance": 0
        if np.isnan(school)
        else int(np.rint(min(school, w.distance_cap_miles) * w.per_school_mile)),
        "out_of_area": int(child_la is not None and child_la != elig.place_la[j]) * w.out_of_area,
        "cost": int(np.rint(p.weekly_cost / 100.0 * w.per_100_gbp_week)),
        "moves_settled_child": int(0 <= elig.settled_at[r] != j) * w.moves_settled_child,
    }


def _stability(elig: Eligibility, r: int, j: int, ok: bool) -> bool:
    """The stability mask of one pair, re-stated: every admissible home is priced."""
    home = int(elig.settled_at[r])
    if not elig.protected[r] or j == home:
        return True
    if not ok:
        return False
    now, new = _parts(elig, r, home), _parts(elig, r, j)
    places, suitable = elig.instance.places, elig.kids[r].suitable_settings(AS_OF)
    rank = {s: suitable.index(s) if s in suitable else len(suitable) for s in Setting}
    if rank[places[j].setting] > rank[places[home].setting]:
        return False
    if places[home].setting is Setting.FOSTER and places[j].setting is not Setting.FOSTER:
        return False
    if any(new[x] > now[x] for x in NEVER_WORSE[elig.policy.stability]):
        return False
    gain = sum(now[x] for x in WELFARE_PARTS) - sum(new[x] for x in WELFARE_PARTS)
    return bool(elig.siblings_in_scope[r] > 0 or gain >= elig.policy.weights.moves_settled_child)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=judged(), whole=st.booleans())
def test_masks_and_penalties_equal_the_rules_pair_by_pair(inst: Instance, whole: bool) -> None:
    pol = policy()
    elig = Eligibility(inst, pol, make_scope(inst, whole), AS_OF)
    masks, places, kids = elig.masks, inst.places, elig.kids
    ok = np.ones(elig.distance.shape, dtype=bool)
    for code, mask in masks.items():
        if code is not Rule.STABILITY:
            ok &= mask
    rows, cols = np.nonzero(np.ones(elig.distance.shape, dtype=bool))
    parts = elig.penalty_parts(rows, cols)
    assert list(parts.columns) == list(PENALTY_PARTS)
    assert (elig.penalties(rows, cols) == parts.sum(axis=1).to_numpy()).all()
    for r, j, got in zip(rows.tolist(), cols.tolist(), parts.to_dict("records"), strict=True):
        c, p = kids[r], places[j]
        assert got == _parts(elig, r, j)
        assert masks[Rule.KINSHIP][r, j] == (not p.kinship_for or c.child_id in p.kinship_for)
        assert masks[Rule.SEX][r, j] == (p.sex.value in ("any", c.sex.value))
        lives_here = c.status is Status.PLACED and c.current_place_id == p.place_id
        ofsted = not pol.ofsted.blocks(p.ofsted_rating, c.child_id in p.ofsted_approved_for) or lives_here
        assert masks[Rule.OFSTED][r, j] == (ofsted or elig.settled_at[r] == j)
        assert masks[Rule.STABILITY][r, j] == _stability(elig, r, j, bool(ok[r, j]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=judged(), k=st.integers(1, 2))
def test_slices_change_nothing(inst: Instance, k: int) -> None:
    """Masks, the K nearest homes and penalties priced in slices of one pair (or one child) are the same."""
    pol = policy(candidates_per_setting=k)
    whole = Eligibility(inst, pol, make_scope(inst, True), AS_OF)
    masks, candidates = whole.masks, whole.candidates
    rows, cols = np.nonzero(whole.admissible)
    penalties = whole.penalties(rows, cols)
    slice_was = eligibility._SLICE
    eligibility._SLICE = 1
    try:
        sliced = Eligibility(inst, pol, make_scope(inst, True), AS_OF)
        assert all((sliced.masks[code] == mask).all() for code, mask in masks.items())
        assert (sliced.candidates == candidates).all()
        assert (sliced.penalties(rows, cols) == penalties).all()
    finally:
        eligibility._SLICE = slice_was


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=judged())
def test_welfare_of_sibling_patterns_is_the_pairs_own(inst: Instance) -> None:
    elig = Eligibility(inst, policy(), make_scope(inst, True), AS_OF)
    rows, cols = np.nonzero(elig.admissible)
    welfare = _welfare_of(elig, rows, cols)
    for (r, j), value in welfare.items():
        assert value == sum(_parts(elig, r, j)[x] for x in WELFARE_PARTS)
    protected = elig.protected & (elig.siblings_in_scope > 0)
    assert {(r, int(elig.settled_at[r])) for r in np.flatnonzero(protected).tolist()} <= set(welfare)


def test_nearest_is_the_first_k_of_a_stable_sort() -> None:
    """Ties (many equal distances, rows of infinity) are broken by column order, as a stable sort would."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        n, m = rng.integers(1, 8), rng.integers(2, 12)
        dist = rng.integers(0, 4, size=(n, m)).astype(float)
        dist[rng.random((n, m)) < 0.3] = np.inf
        k = int(rng.integers(1, m))
        expected = np.zeros((n, m), dtype=bool)
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        expected[np.repeat(np.arange(n), k), order.ravel()] = True
        assert (_nearest(dist, k) == expected).all()


def test_a_settled_child_never_leaves_a_foster_family_for_a_preferred_setting() -> None:
    """A 13-year-old who would rather live in a children's home, settled with foster carers 40 miles from
    their family: the children's home next door gains them more than a move costs, but is out of a family."""
    kids = [child("C", age=13, status="placed", current_place_id="F", settings="residential;foster")]
    homes = [
        place("F", 40.0, vacancies=0, children_in_placement=1),
        place("R", 0.0, setting="residential", provider="private", vacancies=1),
    ]
    inst = instance(kids, homes)
    elig = Eligibility(inst, policy(), make_scope(inst, True), AS_OF)
    assert elig.protected[0]
    assert all(mask[0, 1] for code, mask in elig.masks.items() if code is not Rule.STABILITY)
    gain = sum(_parts(elig, 0, 0)[x] - _parts(elig, 0, 1)[x] for x in WELFARE_PARTS)
    assert gain >= elig.policy.weights.moves_settled_child
    assert not elig.masks[Rule.STABILITY][0, 1]
