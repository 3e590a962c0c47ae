"""The authority's Ofsted rule: never Inadequate; Requires improvement only for approved children.

Tiny named cases check the solver, the explanation and the validator independently; brute force on
enumerable instances with judgements and approvals drawn at random checks the model's optimum
against the validator (as ``test_optimality`` does without judgements).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import AS_OF, child, instance, place, policy
from placements.codes import OfstedRating, Rule
from placements.eligibility import Eligibility, make_scope
from placements.match import match
from placements.validate import validate
from strategies import tiny_instances
from test_optimality import achieved, brute_force


def home(pid: str, rating: str, **kw: object) -> object:
    return place(pid, setting="residential", provider="private", weekly_cost=4000, ofsted_rating=rating, **kw)


def test_inadequate_home_is_never_proposed_and_the_reason_says_so() -> None:
    inst = instance([child("C1", age=14)], [home("R1", "Inadequate")])
    result = match(inst, policy())
    assert result.assignment == {}
    row = result.unplaced.iloc[0]
    assert row["binding_rule"] == Rule.OFSTED.value
    assert "Ofsted judgement the authority accepts" in row["explanation"] and "judged inadequate" in row["explanation"]
    assert [v.rule for v in validate(inst, {"C1": "R1"}, AS_OF)] == [Rule.OFSTED]


def test_requires_improvement_only_for_the_child_a_manager_approved() -> None:
    kids = [child("C1", age=14), child("C2", age=14)]
    inst = instance(kids, [home("R1", "Requires improvement to be good", vacancies=2, ofsted_approved_for="C2")])
    result = match(inst, policy())
    assert result.assignment == {"C2": "R1"}
    assert validate(inst, result.assignment, AS_OF) == []
    assert [v.rule for v in validate(inst, {"C1": "R1"}, AS_OF)] == [Rule.OFSTED]
    shortlist = result.shortlist.set_index("child_id")
    assert shortlist.loc["C2", "ofsted_rating"] == "requires_improvement"
    assert bool(shortlist.loc["C2", "ofsted_approved"]) is True
    assert "C1" not in shortlist.index


def test_good_and_unrated_homes_are_not_held_back() -> None:
    inst = instance([child("C1", age=14), child("C2", age=14)], [home("R1", "Good"), home("R2", "")])
    assert set(match(inst, policy()).assignment) == {"C1", "C2"}


def test_policy_may_accept_requires_improvement_and_refuse_more() -> None:
    kids = [child("C1", age=14)]
    inst = instance(kids, [home("R1", "requires_improvement")])
    relaxed = policy(ofsted={"never": ["inadequate"], "needs_approval": []})
    assert match(inst, relaxed).assignment == {"C1": "R1"}
    assert validate(inst, {"C1": "R1"}, AS_OF, policy=relaxed) == []
    strict = policy(ofsted={"never": ["inadequate", "requires_improvement"], "needs_approval": []})
    approved = instance(kids, [home("R1", "requires_improvement", ofsted_approved_for="C1")])
    assert match(approved, strict).assignment == {}  # "never" is never lifted by an approval
    assert [v.rule for v in validate(approved, {"C1": "R1"}, AS_OF, policy=strict)] == [Rule.OFSTED]


def test_a_child_living_in_an_inadequate_home_is_not_moved_by_the_rule() -> None:
    """Whole cohort: the child's own home stays admissible; a newcomer may not be placed there."""
    kids = [child("C1", age=14, status="placed", current_place_id="R1"), child("C2", age=14)]
    inst = instance(kids, [home("R1", "inadequate", vacancies=1, children_in_placement=1)])
    whole = match(inst, policy(), whole_cohort=True)
    assert whole.assignment == {"C1": "R1"}
    assert validate(inst, whole.assignment, AS_OF, whole_cohort=True) == []
    assert [v.rule for v in validate(inst, {"C2": "R1"}, AS_OF, whole_cohort=True)] == [Rule.OFSTED]


def test_unknown_policy_judgement_is_an_error() -> None:
    with pytest.raises(ValueError):
        policy(ofsted={"never": ["poor"]})


@st.composite
def judged_instances(draw: st.DrawFn):
    inst = draw(tiny_instances(max_children=4, max_places=3))
    ratings = [None, *OfstedRating]
    ids = [c.child_id for c in inst.children]
    places = tuple(
        p.model_copy(
            update={
                "ofsted_rating": (r := draw(st.sampled_from(ratings))),
                "ofsted_approved_for": frozenset(draw(st.lists(st.sampled_from(ids), max_size=2)))
                if r
                else frozenset(),
            }
        )
        for p in inst.places
    )
    return inst.replace(places=places)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=judged_instances(), whole=st.booleans())
def test_judgements_brute_force(inst, whole) -> None:
    """The model's optimum equals the best assignment the validator accepts, with judgements in play."""
    assert achieved(inst, whole) == brute_force(inst, whole)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=judged_instances())
def test_eligibility_and_validator_agree_pair_by_pair(inst) -> None:
    elig = Eligibility(inst, policy(), make_scope(inst, True), AS_OF)
    mask = elig.masks[Rule.OFSTED]
    for r, c in enumerate(elig.kids):
        for j, p in enumerate(inst.places):
            broken = any(v.rule is Rule.OFSTED for v in validate(inst, {c.child_id: p.place_id}, AS_OF, True))
            assert mask[r, j] == (not broken), (c.child_id, p.place_id, p.ofsted_rating)
