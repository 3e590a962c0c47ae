"""Flows for the placed tiers: the bound holds, the starts are lawful, and a start meeting the bound is optimal.

Brute force (``test_optimality.brute_force``, feasibility decided by the validator alone) is the judge.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings

from builders import AS_OF, child, instance, place, policy
from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.model import flows
from placements.model.patterns import build_patterns
from placements.validate import validate
from strategies import tiny_instances
from test_optimality import brute_force

ROOT = Path(__file__).resolve().parents[1]


#: The flows know the pair rules and capacities only; the stability rule for settled children (which
#: ``match`` enforces by keeping only flow starts the model can express) is off here.
MOVES = {"stability": "allow_moves"}


def _elig(inst: Instance, whole: bool) -> Eligibility:
    return Eligibility(inst, policy(**MOVES), make_scope(inst, whole), AS_OF)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances(max_children=5, max_places=3))
def test_tier_bound_bounds_the_optimum_and_starts_are_lawful(inst: Instance) -> None:
    for whole in (False, True):
        elig = _elig(inst, whole)
        pats = build_patterns(elig)
        bound = flows.tier_bound(elig)
        best = brute_force(inst, whole, policy(**MOVES))
        assert bound >= best[:2]  # lexicographic: (emergency, placed)
        for home in (flows.children_first(elig), flows.groups_first(pats, elig.emergency(), len(elig.kids))):
            assignment = {elig.kids[r].child_id: inst.places[p].place_id for r, p in home.items()}
            assert validate(inst, assignment, AS_OF, whole, policy(**MOVES)) == []
            got = (sum(1 for r in home if elig.emergency()[r]), len(home))
            assert got <= best[:2]
            if got == bound:  # a start meeting the bound is optimal in tiers (1)-(2)
                assert got == best[:2]


def test_child_who_must_live_alone_gets_a_home_of_their_own() -> None:
    kids = [child("A", lives_with_others=False), child("B"), child("C")]
    homes = [place("H2", 1.0, vacancies=2), place("H1", 5.0, vacancies=1)]
    inst = instance(kids, homes)
    elig = _elig(inst, False)
    home = flows.children_first(elig)
    assignment = {elig.kids[r].child_id: inst.places[p].place_id for r, p in home.items()}
    assert validate(inst, assignment, AS_OF) == []
    assert assignment == {"A": "H1", "B": "H2", "C": "H2"}
    assert flows.tier_bound(elig) == (0, 3)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances(max_children=8, max_places=5))
def test_whole_instance_bound_by_types_equals_the_pairwise_flow(inst: Instance) -> None:
    """Grouping children and homes by attributes changes nothing: the same bound as the flow over pairs."""
    from placements.model.national import whole_tier_bound

    for whole in (False, True):
        elig = _elig(inst, whole)
        assert whole_tier_bound(inst, AS_OF, whole) == flows.tier_bound(elig)


def test_whole_instance_bound_on_the_demo_with_kinship_and_distance_limits() -> None:
    from placements.io.case_folder import read_case_folder
    from placements.model.national import whole_tier_bound

    folder = read_case_folder(ROOT / "data" / "demo")
    inst, pol = folder.instance, folder.policy
    assert any(p.kinship_for for p in inst.places) and any(c.max_distance_miles for c in inst.children)
    for whole in (False, True):
        pol = pol.replace(stability="allow_moves")
        elig = Eligibility(inst, pol, make_scope(inst, whole), pol.as_of_date())
        assert whole_tier_bound(inst, pol.as_of_date(), whole) == flows.tier_bound(elig)
