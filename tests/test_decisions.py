"""decisions.csv: the placement team's held and rejected pairs, honoured by the engine.

Rejected pairs are never admissible; a held child stays in the held home (not matched again, the
home's room falls by one). The validator checks both, brute force confirms the match is still
optimal with decisions, and explanations name the decision when it is what leaves a child without
a home. Bad decisions.csv files are in ``tests/data/broken/Decision*`` (see test_bad_input.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from builders import AS_OF, child, instance, place, policy
from placements.cli import app
from placements.codes import DecisionCode, Rule
from placements.domain import Decision
from placements.eligibility import Eligibility, make_scope
from placements.errors import InputError
from placements.instance import Instance
from placements.io.case_folder import read_case_folder
from placements.match import match
from placements.validate import check_held, validate
from strategies import tiny_instances
from test_optimality import brute_force

TINY = Path(__file__).parent / "data" / "tiny"


def _d(cid: str, pid: str, code: str) -> Decision:
    return Decision(child_id=cid, place_id=pid, decision=DecisionCode(code))


def test_rejected_pair_is_never_proposed() -> None:
    inst = instance([child("A")], [place("NEAR", miles=1), place("FAR", miles=30)])
    assert match(inst, policy()).assignment == {"A": "NEAR"}
    with_rejection = inst.replace(decisions=(_d("A", "NEAR", "rejected"),))
    result = match(with_rejection, policy())
    assert result.assignment == {"A": "FAR"}
    assert validate(with_rejection, result.assignment, AS_OF) == []
    # The validator names the decision when a proposal ignores it.
    broken = validate(with_rejection, {"A": "NEAR"}, AS_OF)
    assert [v.rule for v in broken] == [Rule.DECISION]


def test_held_child_keeps_the_home_and_its_room_falls() -> None:
    """B is held for the only home with one vacancy: an emergency child cannot take it from B."""
    kids = [child("B"), child("E", urgency="emergency")]
    inst = instance(kids, [place("H", vacancies=1)])
    assert match(inst, policy()).assignment == {"E": "H"}  # without the hold the emergency wins
    held = inst.replace(decisions=(_d("B", "H", "held"),))
    result = match(held, policy())
    assert result.assignment == {}
    assert result.summary.needing_placement == 1  # B is not matched again
    assert result.unplaced["child_id"].tolist() == ["E"]
    assert result.unplaced["binding_rule"].tolist() == ["capacity"]
    assert validate(held, {}, AS_OF) == []
    assert [v.rule for v in validate(held, {"E": "H"}, AS_OF)] == [Rule.CAPACITY]
    assert [v.rule for v in validate(held, {"B": "H"}, AS_OF)] == [Rule.DECISION]


def test_held_child_counts_for_the_fostering_limit() -> None:
    """Two living there plus one held: a foster home without exemption takes no fourth child."""
    inst = instance([child("B"), child("N")], [place("H", vacancies=3, children_in_placement=2), place("F", miles=50)])
    held = inst.replace(decisions=(_d("B", "H", "held"),))
    assert match(held, policy()).assignment == {"N": "F"}
    assert [v.rule for v in validate(held, {"N": "H"}, AS_OF)] == [Rule.FOSTERING_LIMIT]


def test_home_held_for_a_child_who_lives_alone_takes_only_their_siblings() -> None:
    kids = [
        child("L", sibling_group="G", lives_with_others="no"),
        child("S", sibling_group="G"),
        child("X"),
    ]
    homes = [place("H", vacancies=3, miles=1), place("F", miles=40)]
    held = instance(kids, homes).replace(decisions=(_d("L", "H", "held"),))
    result = match(held, policy())
    assert result.assignment == {"S": "H", "X": "F"}
    assert validate(held, result.assignment, AS_OF) == []
    assert Rule.LIVES_ALONE in {v.rule for v in validate(held, {"S": "H", "X": "H"}, AS_OF)}


def test_unlawful_hold_is_refused_by_match() -> None:
    inst = instance([child("A", age=14)], [place("YOUNG", age_max=12)])
    held = inst.replace(decisions=(_d("A", "YOUNG", "held"),))
    assert [v.rule for v in check_held(held, AS_OF)] == [Rule.AGE]
    with pytest.raises(InputError) as info:
        match(held, policy())
    assert "age" in str(info.value)


def test_explanation_names_the_decision() -> None:
    inst = instance([child("A"), child("B")], [place("ONLY", vacancies=2)])
    rejected = inst.replace(decisions=(_d("A", "ONLY", "rejected"),))
    result = match(rejected, policy())
    assert result.assignment == {"B": "ONLY"}
    row = result.unplaced.set_index("child_id").loc["A"]
    assert row["binding_rule"] == Rule.DECISION.value
    assert "rejected" in row["explanation"] and "ONLY" in row["explanation"]


def test_sibling_held_elsewhere_costs_apart_points() -> None:
    """A child whose sibling is held for a home prefers that home, as with a sibling living there."""
    kids = [child("A", sibling_group="G"), child("B", sibling_group="G")]
    homes = [place("NEAR", miles=1), place("SIB", miles=20, vacancies=2)]
    held = instance(kids, homes).replace(decisions=(_d("A", "SIB", "held"),))
    assert match(held, policy()).assignment == {"B": "SIB"}


@st.composite
def instances_with_decisions(draw: st.DrawFn) -> Instance:
    """A tiny instance with random rejected pairs and lawful holds."""
    inst = draw(tiny_instances(max_children=5, max_places=3))
    decisions: list[Decision] = []
    for c in inst.children:
        for p in inst.places:
            if draw(st.integers(0, 4)) == 0:
                decisions.append(_d(c.child_id, p.place_id, "rejected"))
    taken = {(d.child_id, d.place_id) for d in decisions}
    for c in inst.children:
        if c.status.value != "needs_placement" or draw(st.integers(0, 2)) != 0:
            continue
        p = draw(st.sampled_from(inst.places))
        if (c.child_id, p.place_id) in taken:
            continue
        trial = inst.replace(decisions=(*decisions, _d(c.child_id, p.place_id, "held")))
        if not check_held(trial, AS_OF):  # keep only holds that are lawful together
            decisions.append(_d(c.child_id, p.place_id, "held"))
    return inst.replace(decisions=tuple(decisions))


@pytest.mark.parametrize("backend", ["scip", "highs", "cpsat"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=instances_with_decisions())
def test_daily_match_with_decisions_equals_brute_force(backend: str, inst: Instance) -> None:
    result = match(inst, policy(backend=backend))
    assert validate(inst, result.assignment, AS_OF) == []
    assert not set(result.assignment) & set(inst.held)
    assert not {(c, p) for c, p in result.assignment.items()} & inst.rejected
    s = result.summary
    assert s.status == "OPTIMAL"
    got = (s.emergency_placed, s.placed, -s.extra_homes_for_split_groups, -s.objective)
    assert got == brute_force(inst, False)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=instances_with_decisions())
def test_whole_cohort_with_decisions_equals_brute_force(inst: Instance) -> None:
    result = match(inst, policy(), whole_cohort=True)
    assert validate(inst, result.assignment, AS_OF, whole_cohort=True) == []
    s = result.summary
    got = (s.emergency_placed, s.placed, -s.extra_homes_for_split_groups, -s.objective)
    assert got == brute_force(inst, True)


@settings(max_examples=40, deadline=None)
@given(inst=instances_with_decisions())
def test_rejected_pairs_are_not_admissible(inst: Instance) -> None:
    elig = Eligibility(inst, policy(), make_scope(inst, False), AS_OF)
    ids = [p.place_id for p in inst.places]
    for r, c in enumerate(elig.kids):
        for j, pid in enumerate(ids):
            if (c.child_id, pid) in inst.rejected:
                assert not elig.admissible[r, j]
    assert not {c.child_id for c in elig.kids} & set(inst.held)


def test_instance_json_round_trip_keeps_decisions() -> None:
    inst = instance([child("A"), child("B")], [place("H", vacancies=2)]).replace(
        decisions=(_d("A", "H", "held"), _d("B", "H", "rejected"))
    )
    assert Instance.from_json(inst.to_json()) == inst


def test_case_folder_with_decisions_matches_from_the_command_line(tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(TINY, case)
    plain = match(read_case_folder(case).instance, read_case_folder(case).policy)
    chosen_child, chosen_home = min(plain.assignment.items())
    (case / "decisions.csv").write_text(
        f"child_id,place_id,decision\n{chosen_child},{chosen_home},rejected\nC005,P001,held\n", encoding="utf-8"
    )
    folder = read_case_folder(case)
    assert folder.instance.held == {"C005": "P001"}
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["match", str(case), "--out", str(out)])
    assert result.exit_code == 0, result.output
    import pandas as pd

    matches = pd.read_csv(out / "matches.csv", dtype=str)
    pairs = set(zip(matches["child_id"], matches["place_id"], strict=True))
    assert (chosen_child, chosen_home) not in pairs
    assert "C005" not in set(matches["child_id"])
    again = match(folder.instance, folder.policy)
    assert validate(folder.instance, again.assignment, again.as_of) == []


HELD_NOT_ADMISSIBLE = Path(__file__).parent / "data" / "HeldHomeNoLongerAdmissible"


def test_hold_no_longer_lawful_is_named_with_its_line(tmp_path: Path) -> None:
    """tiny with decisions.csv holding C007 (14, harm to others) for P002 (ages 0-12): the reader accepts
    the file's form; the rules refuse the hold, naming decisions.csv line 3, and the command writes nothing."""
    from placements.validate import held_problems

    folder = read_case_folder(HELD_NOT_ADMISSIBLE)
    problems = held_problems(folder)
    assert {(Path(p.file).name, p.row, p.column) for p in problems} == {("decisions.csv", 3, "place_id")}
    assert any("breaks rule 'age'" in p.message for p in problems)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["match", str(HELD_NOT_ADMISSIBLE), "--out", str(out)])
    assert result.exit_code == 2
    assert "decisions.csv, line 3, column place_id" in " ".join((result.output + (result.stderr or "")).split())
    assert not out.exists()
    with pytest.raises(InputError, match=r"decisions\.csv"):
        match(folder.instance, folder.policy)
