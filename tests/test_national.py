"""The whole-instance bound under the stability rule (``model/national.py``): protected settled children may only
stay or make the moves ``protected_moves`` leaves them, and the bound still holds for every lawful answer.

Brute force (``test_optimality.brute_force``, feasibility decided by the validator alone, the stability rule
included) is the judge; ``flows.tier_bound`` (the stability rule per pair, within one model) is never above it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import AS_OF, child, instance, place, policy
from placements.codes import OfstedRating
from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.model import flows
from placements.model.national import protected_moves, whole_tier_bound
from placements.policy import Policy
from strategies import tiny_instances
from test_flows_stability import siblings_at_home
from test_optimality import brute_force

ROOT = Path(__file__).resolve().parents[1]

STABILITY = st.sampled_from(["protect", "strict"])
MOVE_COST = st.sampled_from([0, 60, 150, 300, 700])
RATINGS = [None, None, OfstedRating.GOOD, OfstedRating.REQUIRES_IMPROVEMENT, OfstedRating.INADEQUATE]


@st.composite
def with_ofsted(draw: st.DrawFn, base: st.SearchStrategy[Instance]) -> Instance:
    """``base`` with Ofsted judgements drawn for its homes, and now and then a child approved for one."""
    inst = draw(base)
    ids = [c.child_id for c in inst.children]
    places = []
    for p in inst.places:
        approved = draw(st.sets(st.sampled_from(ids), max_size=2)) if ids else set()
        places.append(
            p.model_copy(
                update={"ofsted_rating": draw(st.sampled_from(RATINGS)), "ofsted_approved_for": frozenset(approved)}
            )
        )
    return instance(list(inst.children), places)


def check(inst: Instance, pol: Policy) -> tuple[int, int]:
    """The stability-aware bound holds against brute force, is never looser than the bound without the rule nor
    below ``flows.tier_bound``, and protects exactly whom ``Eligibility`` protects over the whole instance."""
    elig = Eligibility(inst, pol, make_scope(inst, True), AS_OF)
    loose = whole_tier_bound(inst, AS_OF, True)
    best = brute_force(inst, True, pol)
    per_pair = flows.tier_bound(elig)
    pinned = whole_tier_bound(inst, AS_OF, True, pol)
    bound = whole_tier_bound(inst, AS_OF, True, pol, moves="reach")
    for b in (pinned, bound):
        assert b[0] >= best[0] and b[1] >= best[1], (b, best)
        assert b[0] <= loose[0] and b[1] <= loose[1], (b, loose)
        assert per_pair[1] <= b[1], (per_pair, b)
    assert bound[0] <= pinned[0] and bound[1] <= pinned[1], (bound, pinned)
    home, _ = protected_moves(inst, pol, AS_OF, True)
    got = np.zeros(len(elig.kids), dtype=bool) if home is None else home >= 0
    assert (got == elig.protected).all()
    assert home is None or (home[got] == elig.settled_at[got]).all()
    return bound


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(with_ofsted(tiny_instances(max_children=4, max_places=3, settled=True)), STABILITY, MOVE_COST)
def test_bound_holds_with_settled_children(inst: Instance, stability: str, cost: int) -> None:
    check(inst, policy(stability=stability, weights={"moves_settled_child": cost}))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(with_ofsted(siblings_at_home()), STABILITY, MOVE_COST)
def test_bound_holds_for_siblings_living_together(inst: Instance, stability: str, cost: int) -> None:
    check(inst, policy(stability=stability, weights={"moves_settled_child": cost}))


def test_a_settled_child_who_gains_too_little_from_any_move_keeps_their_home() -> None:
    """S (7) lives with foster carer F1, 5 miles from home, which has no other room; F2 is nearer but a move can gain
    S at most 15 points, less than the 150 a move costs. N (7, a girl), an emergency, fits F1 only (F2 takes boys). Without the rule the
    bound lets S move to F2 and N take F1: (1, 2); under it S stays, and N has no home: (0, 1), the optimum."""
    inst = instance(
        [
            child("S", age=7, status="placed", current_place_id="F1"),
            child("N", age=7, sex="F", settings="foster", urgency="emergency"),
        ],
        [place("F1", 5.0, vacancies=0, children_in_placement=1), place("F2", 0.0, vacancies=1, sex="M")],
    )
    pol = policy()
    assert whole_tier_bound(inst, AS_OF, True) == (1, 2)
    assert check(inst, pol) == (0, 1) == brute_force(inst, True, pol)[:2]
    # Allowed to move, S makes room: the bound is the looser one again.
    moves = policy(stability="allow_moves")
    assert whole_tier_bound(inst, AS_OF, True, moves) == (1, 2) == brute_force(inst, True, moves)[:2]


def test_the_demo_under_the_stability_rule() -> None:
    """The demo's whole cohort: never below the engine's proven optimum (8 emergencies, 647 placed), never above the
    bound without the rule, and the same for a daily match (nobody is settled there)."""
    from placements.io.case_folder import read_case_folder

    folder = read_case_folder(ROOT / "data" / "demo")
    inst, pol = folder.instance, folder.policy
    as_of = pol.as_of_date()
    bound, loose = whole_tier_bound(inst, as_of, True, pol), whole_tier_bound(inst, as_of, True)
    assert (8, 647) <= bound <= loose
    assert bound[0] >= 8 and bound[1] >= 647
    assert whole_tier_bound(inst, as_of, False, pol) == whole_tier_bound(inst, as_of, False)
    elig = Eligibility(inst, pol, make_scope(inst, True), as_of)
    home, _ = protected_moves(inst, pol, as_of, True)
    assert home is not None and ((home >= 0) == elig.protected).all()
