"""One tiny named instance per hard rule.

Each case has a child and homes where the only obstacle is the rule under test. We check three
things that are computed independently: the solver does not use the home, the explanation names
the rule, and the validator flags the forced assignment with that rule.
"""

from __future__ import annotations

import pytest

from builders import AS_OF, child, instance, place, policy
from placements.codes import Rule
from placements.match import match
from placements.validate import validate

# name -> (children, places, forced assignment that breaks the rule)
CASES = {
    "SettingNotSuitable": (
        [child("C1", settings="foster")],
        [place("R1", setting="residential", provider="private")],
        Rule.SETTING,
    ),
    "AgeOutsideApproval": ([child("C1", age=15)], [place("F1", age_min=0, age_max=10)], Rule.AGE),
    "SexNotAccepted": ([child("C1", sex="F")], [place("F1", sex="M")], Rule.SEX),
    "NeedNotMet": ([child("C1", needs="exploitation;missing")], [place("F1", meets_needs="missing")], Rule.NEEDS),
    "KinshipCarerForAnotherChild": (
        [child("C1"), child("C2", status="placed")],
        [place("K1", kinship_for="C2")],
        Rule.KINSHIP,
    ),
    "SupportedUnder16": (
        [child("C1", age=15, settings="supported;foster")],
        [place("S1", setting="supported", provider="private", age_min=0, age_max=17)],
        Rule.SUPPORTED_AGE,
    ),
    "BeyondMaxDistance": ([child("C1", max_distance_miles=10)], [place("F1", miles=12)], Rule.MAX_DISTANCE),
    "NoVacancy": ([child("C1")], [place("F1", vacancies=0)], Rule.CAPACITY),
    "FosteringLimitReached": (
        [child("C1")],
        [place("F1", vacancies=2, children_in_placement=3)],
        Rule.FOSTERING_LIMIT,
    ),
    "HomeInAreaToAvoid": ([child("C1", avoid_areas="NG7")], [place("F1", postcode="NG7 2RD")], Rule.AVOID_AREA),
    "MustLiveAloneButHomeHasChildren": (
        [child("C1", lives_with_others="no")],
        [place("F1", vacancies=1, children_in_placement=1)],
        Rule.LIVES_ALONE,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_blocks_the_only_home(name: str) -> None:
    kids, homes, rule = CASES[name]
    inst = instance(kids, homes)
    result = match(inst, policy())
    assert result.assignment == {}
    assert validate(inst, result.assignment, AS_OF) == []
    row = result.unplaced.set_index("child_id").loc["C1"]
    assert row["reason_code"] == "no_eligible_place"
    assert row["binding_rule"] == rule.value
    forced = validate(inst, {"C1": homes[0].place_id}, AS_OF)
    assert [v.rule for v in forced] == [rule], forced


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_relaxed_places_the_child(name: str) -> None:
    """Control: the same child with a home that keeps the rule is placed, so the case tests one rule."""
    kids, _, _ = CASES[name]
    ok = place("OK", miles=1, vacancies=1, meets_needs="exploitation;missing", sex="any")
    if name == "SettingNotSuitable":
        ok = place("OK", miles=1)
    result = match(instance(kids, [ok]), policy())
    assert result.assignment.get("C1") == "OK", result.unplaced.to_dict("records")


def test_distance_explanation_names_nearest_home_that_would_do() -> None:
    inst = instance(
        [child("C1", age=15, needs="exploitation", max_distance_miles=20)],
        [place("P1", miles=34.2, meets_needs="exploitation"), place("P2", miles=50, meets_needs="exploitation")],
    )
    result = match(inst, policy())
    text = result.unplaced.iloc[0]["explanation"]
    assert "approved for age 15" in text and "meeting exploitation" in text and "within 20 miles" in text
    assert "nearest: P1 at 34.2 miles, which meets every other rule but is beyond the child's limit of 20" in text


def test_sibling_group_may_exceed_fostering_limit_alone() -> None:
    kids = [child(f"C{i}", sibling_group="G") for i in range(4)]
    inst = instance(kids, [place("F1", vacancies=4)])
    result = match(inst, policy())
    assert len(result.assignment) == 4
    assert validate(inst, result.assignment, AS_OF) == []


def test_two_groups_may_not_exceed_fostering_limit_together() -> None:
    kids = [
        child("A1", sibling_group="A"),
        child("A2", sibling_group="A"),
        child("B1", sibling_group="B"),
        child("B2", sibling_group="B"),
    ]
    inst = instance(kids, [place("F1", vacancies=4)])
    result = match(inst, policy())
    assert len(result.assignment) == 3  # three of two groups is lawful; 2 + 2 = 4 is not
    assert validate(inst, result.assignment, AS_OF) == []
    assert validate(inst, {k.child_id: "F1" for k in kids}, AS_OF)[0].rule is Rule.FOSTERING_LIMIT


def test_exemption_lifts_fostering_limit() -> None:
    kids = [child("A1", sibling_group="A"), child("A2", sibling_group="A"), child("B1"), child("B2")]
    inst = instance(kids, [place("F1", vacancies=4, sibling_exemption="yes")])
    assert len(match(inst, policy()).assignment) == 4


def test_lone_child_shares_only_with_own_siblings() -> None:
    kids = [child("A1", sibling_group="A", lives_with_others="no"), child("A2", sibling_group="A"), child("B1")]
    inst = instance(kids, [place("F1", vacancies=3)])
    result = match(inst, policy())
    assert set(result.assignment) == {"A1", "A2"}
    assert validate(inst, {"A1": "F1", "A2": "F1", "B1": "F1"}, AS_OF)[0].rule is Rule.LIVES_ALONE


def test_capacity_shared_between_children() -> None:
    inst = instance([child("C1"), child("C2"), child("C3")], [place("F1", vacancies=2)])
    result = match(inst, policy())
    assert len(result.assignment) == 2
    assert result.unplaced.iloc[0]["reason_code"] == "taken_by_others"
    assert validate(inst, {"C1": "F1", "C2": "F1", "C3": "F1"}, AS_OF)[0].rule is Rule.CAPACITY


def test_emergency_child_placed_first() -> None:
    inst = instance([child("C1"), child("C2", urgency="emergency")], [place("F1")])
    assert match(inst, policy()).assignment == {"C2": "F1"}


def test_group_split_only_when_it_places_more_children() -> None:
    kids = [child("A1", sibling_group="A"), child("A2", sibling_group="A")]
    # Two single vacancies: the only way to place both is to split them.
    split = match(instance(kids, [place("F1"), place("F2")]), policy())
    assert len(split.assignment) == 2 and split.summary.sibling_groups_split == 1
    # A home for both, further away and dearer: kept together anyway.
    together = match(
        instance(kids, [place("F1"), place("F2"), place("F3", miles=40, vacancies=2, weekly_cost=900)]), policy()
    )
    assert together.assignment == {"A1": "F3", "A2": "F3"}
    assert together.summary.sibling_groups_split == 0


def test_preferred_setting_and_under12_family_care() -> None:
    inst = instance(
        [child("C1", age=7)],
        [place("R1", setting="residential", provider="private", miles=0.5, weekly_cost=4000), place("F1", miles=30)],
    )
    assert match(inst, policy()).assignment == {"C1": "F1"}


def test_whole_cohort_counts_cohort_children_as_room() -> None:
    kids = [child("C1", status="placed", current_place_id="F1"), child("C2")]
    homes = [place("F1", vacancies=0, children_in_placement=1), place("F2", vacancies=1, miles=50)]
    inst = instance(kids, homes)
    daily = match(inst, policy())
    assert daily.assignment == {"C2": "F2"}
    whole = match(inst, policy(), whole_cohort=True)
    assert set(whole.assignment) == {"C1", "C2"}
    assert validate(inst, whole.assignment, AS_OF, whole_cohort=True) == []


def test_explanation_mentions_living_alone_only_for_children_who_must() -> None:
    inst = instance([child("C1", needs="disability")], [place("F1")])
    text = match(inst, policy()).unplaced.iloc[0]["explanation"]
    assert "no other children" not in text and "meeting disability" in text


def test_out_of_area_is_judged_against_each_childs_own_authority() -> None:
    """In a regional folder a Derby child in a Derby home is in area, a Nottingham child there is not."""
    derby = "E06000015"
    kids = [child("C1"), child("C2", local_authority=derby)]
    homes = [place("F1", la_code=derby), place("F2", miles=30.0, la_code=derby)]
    result = match(instance(kids, homes), policy())
    assert validate(instance(kids, homes), result.assignment, AS_OF) == []
    in_area = dict(zip(result.matches["child_id"], result.matches["in_area"], strict=True))
    assert in_area == {"C1": False, "C2": True}
    assert result.summary.out_of_area == 1


def test_a_county_childs_home_in_one_of_its_districts_is_in_area() -> None:
    """Nottinghamshire (E10000024) is responsible for children placed in Ashfield (E07000170)."""
    kids = [child("C1", local_authority="E10000024")]
    homes = [place("F1", la_code="E07000170")]
    result = match(instance(kids, homes), policy())
    assert result.matches["in_area"].tolist() == [True]
    assert result.summary.out_of_area == 0
