"""The stability rule: a settled child keeps a home, is never moved to a home worse for them, and moves
only when the move gains them at least what moving costs (``Policy.stability``, ``weights.moves_settled_child``).

Each case is small enough to check by hand; the engine's answer under ``protect`` is lawful for the
validator, and the answer the engine gives when moves are allowed is a violation the validator names.
Brute force over every assignment is in ``test_optimality.py``.
"""

from __future__ import annotations

import pytest

from builders import AS_OF, child, instance, place, policy
from placements.codes import Rule
from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.match import match
from placements.result import MatchResult
from placements.validate import protected_children, stability_violations, validate


def whole(inst: Instance, **kw: object) -> MatchResult:
    pol = policy(**kw)
    res = match(inst, pol, whole_cohort=True)
    assert validate(inst, res.assignment, AS_OF, True, pol) == []
    assert res.summary.tiers_1_3_optimal
    return res


def messages(inst: Instance, assignment: dict[str, str], **kw: object) -> list[str]:
    return [v.message for v in stability_violations(inst, assignment, AS_OF, True, policy(**kw), {})]


def foster_child_and_a_newcomer() -> Instance:
    """S (7) lives with foster carer F1, which has no other room; N (7) needs a foster family and only F1
    would do; a children's home R1 has a place S's default settings would allow."""
    return instance(
        [
            child("S", age=7, status="placed", current_place_id="F1"),
            child("N", age=7, settings="foster"),
        ],
        [
            place("F1", vacancies=0, children_in_placement=1),
            place("R1", setting="residential", provider="private", weekly_cost=4000),
        ],
    )


def test_a_foster_child_is_not_moved_to_a_childrens_home_to_make_room() -> None:
    inst = foster_child_and_a_newcomer()
    allowed = whole(inst, stability="allow_moves")
    assert allowed.assignment == {"S": "R1", "N": "F1"}  # two placed: what the old whole cohort did
    assert "moved from foster to residential" in messages(inst, allowed.assignment)
    kept = whole(inst)
    assert kept.assignment == {"S": "F1"} and kept.summary.placed == 1


def test_a_settled_child_keeps_a_home() -> None:
    """S must live without other children in R1 (three places); three newcomers fit only R1."""
    kids = [child("S", age=14, status="placed", current_place_id="R1", lives_with_others="no")]
    kids += [child(f"N{i}", age=14, settings="residential") for i in range(3)]
    homes = [place("R1", setting="residential", provider="private", vacancies=2, children_in_placement=1)]
    inst = instance(kids, homes)
    allowed = whole(inst, stability="allow_moves")
    assert "S" not in allowed.assignment and allowed.summary.placed == 3
    assert "a settled child left without a home" in messages(inst, allowed.assignment)
    assert whole(inst).assignment == {"S": "R1"}


def test_siblings_living_together_are_not_parted() -> None:
    """A and B share F1 (two places); C can live only in F1, B could also go to F2."""
    kids = [
        child("A", age=6, status="placed", current_place_id="F1", sibling_group="G"),
        child("B", age=8, status="placed", current_place_id="F1", sibling_group="G"),
        child("C", age=6, settings="foster", sex="F"),
    ]
    homes = [
        place("F1", vacancies=0, children_in_placement=2, age_max=8),
        place("F2", miles=1, age_min=8, age_max=8, sex="M"),
    ]
    inst = instance(kids, homes)
    allowed = whole(inst, stability="allow_moves")
    assert allowed.summary.placed == 3 and allowed.assignment["B"] == "F2"
    assert any("lives with 0 siblings, 1 today" in m for m in messages(inst, allowed.assignment))
    assert whole(inst).assignment == {"A": "F1", "B": "F1"}


def test_a_move_good_for_the_child_is_made_and_a_small_gain_is_not_worth_it() -> None:
    """U (7) lives in a children's home; a foster family as near has room: 400 + 150 points better."""
    inst = instance(
        [child("U", age=7, status="placed", current_place_id="R1")],
        [
            place(
                "R1", setting="residential", provider="private", vacancies=0, children_in_placement=1, weekly_cost=4000
            ),
            place("F1"),
        ],
    )
    moved = whole(inst)
    assert moved.assignment == {"U": "F1"}
    assert moved.matches.set_index("child_id").loc["U", "moves_settled_child"] == 150
    # At 551 points a move costs more than it gains U (the GBP 3,600 a week it saves is not U's gain).
    assert whole(inst, weights={"moves_settled_child": 551}).assignment == {"U": "R1"}
    assert whole(inst, weights={"moves_settled_child": 551}, stability="allow_moves").assignment == {"U": "F1"}
    assert "a move gaining the child 550 points, less than its cost" in messages(
        inst, {"U": "F1"}, weights={"moves_settled_child": 551}
    )


def test_distance_trades_against_the_childs_own_gains_unless_strict() -> None:
    """A foster family for U (7), 40 miles further from home than the children's home: U gains 550 points from a
    family and loses 120 in distance. Under ``protect`` the move is made for U; ``strict`` lets nothing get worse."""
    inst = instance(
        [child("U", age=7, status="placed", current_place_id="R1")],
        [
            place("R1", miles=1, setting="residential", provider="private", vacancies=0, children_in_placement=1),
            place("F1", miles=41),
        ],
    )
    assert whole(inst).assignment == {"U": "F1"}
    assert whole(inst, stability="strict").assignment == {"U": "R1"}
    assert "worse for the child: distance" in messages(inst, {"U": "F1"}, stability="strict")
    assert messages(inst, {"U": "F1"}) == []


def test_never_away_from_a_kinship_carer() -> None:
    """K lives with their connected-person carer 60 miles away; a foster family near home would gain K 177
    points of distance, more than the 120 of kinship and the 150 of a move together, yet K stays."""
    inst = instance(
        [child("K", age=9, status="placed", current_place_id="KIN")],
        [place("KIN", miles=60, vacancies=0, children_in_placement=1, kinship_for="K"), place("F1", miles=1)],
    )
    assert whole(inst, weights={"moves_settled_child": 0}, stability="allow_moves").assignment == {"K": "F1"}
    assert whole(inst, weights={"moves_settled_child": 0}).assignment == {"K": "KIN"}
    assert "worse for the child: not_kinship" in messages(inst, {"K": "F1"}, weights={"moves_settled_child": 0})


def test_a_child_whose_home_breaks_a_rule_today_is_not_protected() -> None:
    """S (10) lives with a carer approved for ages 0-8: staying is not lawful, so S may move anywhere lawful."""
    inst = instance(
        [child("S", age=10, status="placed", current_place_id="F1")],
        [place("F1", vacancies=0, children_in_placement=1, age_max=8), place("R1", setting="residential")],
    )
    assert protected_children(inst, AS_OF, True, {}) == {}
    elig = Eligibility(inst, policy(), make_scope(inst, True), AS_OF)
    assert not elig.protected.any()
    assert whole(inst).assignment == {"S": "R1"}


def test_the_engine_and_the_validator_agree_on_who_is_protected() -> None:
    """Two unrelated children share a carer with a child from elsewhere: four fostered, over the limit."""
    kids = [child("A", status="placed", current_place_id="F1"), child("B", status="placed", current_place_id="F1")]
    kids.append(child("C", status="placed", current_place_id="F2"))
    homes = [place("F1", vacancies=0, children_in_placement=4), place("F2", vacancies=0, children_in_placement=1)]
    inst = instance(kids, homes)
    elig = Eligibility(inst, policy(), make_scope(inst, True), AS_OF)
    engine = {elig.kids[r].child_id for r in range(len(elig.kids)) if elig.protected[r]}
    assert engine == set(protected_children(inst, AS_OF, True, {})) == {"C"}


@pytest.mark.parametrize("backend", ["scip", "highs", "cpsat"])
def test_every_back_end_keeps_settled_children(backend: str) -> None:
    inst = foster_child_and_a_newcomer()
    assert whole(inst, backend=backend).assignment == {"S": "F1"}


def test_the_rule_is_named_in_violations() -> None:
    inst = foster_child_and_a_newcomer()
    found = validate(inst, {"S": "R1", "N": "F1"}, AS_OF, True, policy())
    assert {v.rule for v in found} == {Rule.STABILITY}
    assert validate(inst, {"S": "R1", "N": "F1"}, AS_OF, True) == []  # without a policy: the hard rules only


def test_a_child_is_not_left_behind_by_a_sibling_who_moves() -> None:
    """A (6) and B (8) share a children's home; a foster family has room for one child. Moving B there would gain B
    more than it costs and free a place for N, who needs a home only R1 can give, but would leave A without B."""
    inst = instance(
        [
            child("A", age=6, status="placed", current_place_id="R1", sibling_group="G"),
            child("B", age=8, status="placed", current_place_id="R1", sibling_group="G"),
            child("N", age=14, settings="residential"),
        ],
        [
            place("R1", setting="residential", provider="private", vacancies=0, children_in_placement=2),
            place("F1", age_max=8),
        ],
    )
    allowed = whole(inst, stability="allow_moves")
    assert allowed.summary.placed == 3 and allowed.assignment["N"] == "R1"
    assert any("lives with 0 siblings, 1 today" in m for m in messages(inst, allowed.assignment))
    assert whole(inst).assignment == {"A": "R1", "B": "R1"}


def test_never_out_of_a_foster_family_and_never_to_a_less_preferred_setting() -> None:
    """T (14) lives with a foster carer 60 miles from home but their social worker lists a children's home first,
    and one is a mile from home; Y (16) lives in supported accommodation 60 miles away, and a children's home (last
    of Y's settings) is a mile from home.
    With the setting's own points switched off, only the rule's setting guard keeps them where they are."""
    inst = instance(
        [
            child("T", age=14, status="placed", current_place_id="F1", settings="residential;foster"),
            child("Y", age=16, status="placed", current_place_id="S1"),
        ],
        [
            place("F1", miles=60, vacancies=0, children_in_placement=1),
            place("R1", miles=1, setting="residential", provider="private", age_min=14, age_max=14),
            place("S1", miles=60, setting="supported", provider="private", vacancies=0, children_in_placement=1),
            place("R2", miles=1, setting="residential", provider="private", age_min=16),
        ],
    )
    weights = {"setting_rank": 0}
    assert whole(inst, weights=weights, stability="allow_moves").assignment == {"T": "R1", "Y": "R2"}
    kept = whole(inst, weights=weights)
    assert kept.assignment == {"T": "F1", "Y": "S1"}
    said = messages(inst, {"T": "R1", "Y": "R2"}, weights=weights)
    assert "moved from foster to residential" in said and "moved from supported to residential" in said
