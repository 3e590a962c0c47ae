"""The referral form's school and areas to avoid (issue 15): read from children.csv, a hard rule, a score part.

``school_postcode`` scores each home by its distance from the child's school (``weights.per_school_mile``);
``avoid_areas`` (postcode districts, sectors, ONS authority codes) is the rule ``avoid_area``, with no
exemption for the child's home today. Each is checked here by the reader, the engine, the validator and
the explanations, and through the command line.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builders import AS_OF, MILE, child, cli_flat, instance, place, policy
from placements.cli import app
from placements.codes import Rule
from placements.domain import Child
from placements.eligibility import Eligibility, make_scope
from placements.errors import InputError
from placements.geo import avoid_area, parse_avoid_areas
from placements.io.case_folder import read_case_folder
from placements.match import match
from placements.policy import Policy
from placements.privacy.guard import Privacy
from placements.validate import stability_violations, validate

TINY = Path(__file__).parent / "data" / "tiny"
runner = CliRunner()


def _folder(tmp_path: Path, values: dict[str, dict[str, str]]) -> Path:
    """tiny with the given extra children.csv cells: child_id -> column -> value."""
    case = tmp_path / "case"
    shutil.copytree(TINY, case)
    rows = list(csv.DictReader(io.StringIO((TINY / "children.csv").read_text(encoding="utf-8"))))
    columns = list(rows[0]) + sorted({c for v in values.values() for c in v} - set(rows[0]))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({**r, **values.get(r["child_id"], {})})
    (case / "children.csv").write_text(out.getvalue(), encoding="utf-8")
    return case


# ------------------------------------------------------------------------------------------- reading


def test_reads_school_postcode_and_avoid_areas(tmp_path: Path) -> None:
    case = _folder(tmp_path, {"C004": {"school_postcode": "ng5 1aa", "avoid_areas": "ng7 ; NG1  5;e06000018;NG7"}})
    c = {k.child_id: k for k in read_case_folder(case).instance.children}
    assert c["C004"].school_postcode == "NG5 1AA"
    assert c["C004"].school_easting is not None and c["C004"].school_northing is not None
    assert c["C004"].avoid_areas == ("NG7", "NG1 5", "E06000018")  # normalised, each once, in order
    assert c["C001"].school_postcode is None and c["C001"].avoid_areas == () and not c["C001"].has_school_location


@pytest.mark.parametrize(
    ("value", "words"),
    [("NOTAPOSTCODE", "'NOTAPOSTCODE' is not a postcode"), ("ZZ9 9ZZ", "not in the ONS Postcode Directory")],
)
def test_bad_school_postcode_names_file_line_and_column(tmp_path: Path, value: str, words: str) -> None:
    case = _folder(tmp_path, {"C006": {"school_postcode": value}})
    with pytest.raises(InputError) as info:
        read_case_folder(case)
    (p,) = info.value.problems
    assert (Path(p.file).name, p.row, p.column) == ("children.csv", 7, "school_postcode") and words in p.message
    result = runner.invoke(app, ["match", str(case), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "children.csv, line 7, column school_postcode" in cli_flat(result) and words in cli_flat(result)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (
            "NG7;NG7 2RD",
            "'NG7 2RD' is a full postcode, which names a street: give its sector 'NG7 2' or its district 'NG7'",
        ),
        ("E0600018", "'E0600018' is not a postcode district (NG7), sector (NG7 2) or ONS authority code (E06000018)"),
        ("Radford", "'Radford' is not a postcode district"),
    ],
)
def test_bad_avoid_area_names_file_line_column_and_value(tmp_path: Path, value: str, words: str) -> None:
    case = _folder(tmp_path, {"C003": {"avoid_areas": value}})
    with pytest.raises(InputError) as info:
        read_case_folder(case)
    (p,) = info.value.problems
    assert (Path(p.file).name, p.row, p.column) == ("children.csv", 4, "avoid_areas")
    assert words in p.message
    result = runner.invoke(app, ["match", str(case), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "children.csv, line 4, column avoid_areas" in cli_flat(result) and words in cli_flat(result)


def test_avoid_area_shapes() -> None:
    assert [avoid_area(x) for x in ("ng10", " NG1 0 ", "sw1a 1", "w1", "e10000024")] == [
        "NG10",
        "NG1 0",
        "SW1A 1",
        "W1",
        "E10000024",
    ]
    with pytest.raises(ValueError, match="a sector is written with its space: 'EC1A 1'"):
        avoid_area("EC1A1")
    with pytest.raises(ValueError, match="letter and eight digits"):
        avoid_area("E060000181")
    assert parse_avoid_areas("") == () and parse_avoid_areas(" ; ;") == ()


def test_child_json_unchanged_without_the_new_fields() -> None:
    """The bench's fingerprints are of the instance JSON: a child without school or areas writes no new key."""
    plain = child("C1")
    assert not {"school_postcode", "school_easting", "school_northing", "avoid_areas"} & set(plain.model_dump())
    full = child("C1", school_postcode="NG5 1AA", school_easting=1.0, school_northing=2.0, avoid_areas="NG7;NG1 5")
    assert Child.model_validate_json(full.model_dump_json()) == full
    assert "per_school_mile" not in Policy().model_dump_json()
    changed = Policy.model_validate({"weights": {"per_school_mile": 5}})
    assert Policy.model_validate_json(changed.model_dump_json()).weights.per_school_mile == 5


# ------------------------------------------------------------------------------------------- the rule


def _homes() -> list:
    return [
        place("D1", miles=1, postcode="NG7 2RD", la_code="E06000018"),  # district NG7, sector NG7 2
        place("D2", miles=2, postcode="NG7 3AB", la_code="E06000018"),  # district NG7, sector NG7 3
        place("S1", miles=3, postcode="NG71 2AA", la_code="E06000018"),  # district NG71 (not NG7)
        place("N1", miles=4, postcode=None, la_code="E06000018"),  # no postcode: only the LA code can exclude it
        place("N2", miles=5, postcode=None, la_code=None),  # nothing to exclude it by
        place("C1", miles=6, postcode="NG15 6AA", la_code="E07000170"),  # a Nottinghamshire district
    ]


@pytest.mark.parametrize(
    ("areas", "excluded"),
    [
        ("NG7", {"D1", "D2"}),
        ("NG7 2", {"D1"}),
        ("NG71", {"S1"}),
        ("E06000018", {"D1", "D2", "S1", "N1"}),
        ("E10000024", {"C1"}),  # a county's code covers its districts
        ("E07000170", {"C1"}),
        ("NG7 3;NG15", {"D2", "C1"}),
        ("", set()),
    ],
)
def test_rule_excludes_exactly_the_homes_in_the_areas(areas: str, excluded: set[str]) -> None:
    homes = _homes()
    inst = instance([child("K", avoid_areas=areas)], homes)
    elig = Eligibility(inst, policy(), make_scope(inst, False), AS_OF)
    blocked = {homes[j].place_id for j in range(len(homes)) if not elig.masks[Rule.AVOID_AREA][0, j]}
    assert blocked == excluded
    # The validator, written separately, agrees home by home.
    for h in homes:
        rules = [v.rule for v in validate(inst, {"K": h.place_id}, AS_OF)]
        assert (Rule.AVOID_AREA in rules) == (h.place_id in excluded), (h.place_id, rules)


def test_match_never_proposes_an_avoided_home_and_validator_catches_one() -> None:
    homes = _homes()
    inst = instance([child("K", avoid_areas="NG7;NG71 2")], homes)
    result = match(inst, policy())
    assert result.assignment == {"K": "N1"}  # the nearest home outside the areas
    assert validate(inst, result.assignment, AS_OF, policy=policy()) == []
    forced = validate(inst, {"K": "D2"}, AS_OF, policy=policy())
    assert [(v.rule, v.child_id, v.place_id) for v in forced] == [(Rule.AVOID_AREA, "K", "D2")]
    assert "NG7" in forced[0].message


def test_explanation_names_the_rule_when_it_blocks_every_home() -> None:
    inst = instance([child("K", avoid_areas="NG7")], [place("D1", miles=1, postcode="NG7 2RD")])
    result = match(inst, policy())
    row = result.unplaced.set_index("child_id").loc["K"]
    assert row["binding_rule"] == "avoid_area" and row["named_place_ids"] == "D1"
    assert "outside the areas to avoid for this child" in row["explanation"]
    assert (
        "D1 at 1.0 miles, which meets every other rule but is in an area to avoid for this child" in row["explanation"]
    )
    assert "NG7" not in row["explanation"]  # the areas themselves are not written out


def test_current_home_is_not_exempt() -> None:
    """A placed child whose home lies in an area they must avoid is not protected there: the whole-cohort match
    moves them, and the validator flags keeping them where they are (unlike the Ofsted rule's exemption)."""
    kids = [child("K", status="placed", current_place_id="D1", avoid_areas="NG7 2")]
    homes = [place("D1", miles=1, postcode="NG7 2RD", vacancies=0, children_in_placement=1), place("F2", miles=9)]
    inst = instance(kids, homes)
    pol = policy()
    result = match(inst, pol, whole_cohort=True)
    assert result.assignment == {"K": "F2"}
    assert validate(inst, result.assignment, AS_OF, whole_cohort=True, policy=pol) == []
    stay = validate(inst, {"K": "D1"}, AS_OF, whole_cohort=True, policy=pol)
    assert [v.rule for v in stay] == [Rule.AVOID_AREA]


# ------------------------------------------------------------------------------------------- the score


def _school_case(**kw) -> list:
    # Two homes equally far from the family home (at the origin), on either side; the school is 5 miles west.
    return [
        child("K", **kw),
    ], [
        place("EAST", miles=5, northing=0.0),
        place("WEST", miles=-5, northing=0.0, weekly_cost=420),
    ]


def test_school_distance_changes_the_chosen_home() -> None:
    kids, homes = _school_case()
    assert match(instance(kids, homes), policy()).assignment == {"K": "EAST"}  # cheaper, no school known
    kids, homes = _school_case(school_postcode="X", school_easting=-5 * MILE, school_northing=0.0)
    inst = instance(kids, homes)
    result = match(inst, policy())
    assert result.assignment == {"K": "WEST"}  # 10 miles nearer school outweighs GBP 20 a week
    assert validate(inst, result.assignment, AS_OF, policy=policy()) == []
    row = result.matches.set_index("child_id").loc["K"]
    assert row["school_distance"] == 0
    short = result.shortlist.set_index("place_id")
    assert short.loc["EAST", "school_distance"] == 30  # 10 miles x 3 points
    # Weight 0: schools recorded, not scored.
    zero = policy(weights={"per_school_mile": 0})
    assert match(inst, zero).assignment == {"K": "EAST"}


def test_no_school_postcode_costs_nothing() -> None:
    kids, homes = _school_case()
    inst = instance(kids, homes)
    elig = Eligibility(inst, policy(), make_scope(inst, False), AS_OF)
    assert (elig.pairs["school_distance"] == 0).all()


def test_stability_school_distance_trades_under_protect_not_strict() -> None:
    """A settled child moving to their kinship carer further from school: allowed under protect (school distance
    trades, as family distance does), refused under strict (no part of the child's score may be worse)."""
    kids = [
        child(
            "K",
            status="placed",
            current_place_id="NEAR",
            school_postcode="X",
            school_easting=1 * MILE,
            school_northing=0.0,
        )
    ]
    # Both homes a mile from the family; the kinship carer is two miles further from school (6 points), and being
    # with them gains the child 400 (weights.not_kinship raised so the move is worth more than it costs).
    homes = [
        place("NEAR", miles=1, vacancies=0, children_in_placement=1),
        place("KIN", miles=-1, kinship_for="K"),
    ]
    inst = instance(kids, homes)
    for stability, worse in (("protect", False), ("strict", True)):
        pol = policy(stability=stability, weights={"not_kinship": 400})
        found = stability_violations(inst, {"K": "KIN"}, AS_OF, True, pol, {})
        assert any("school_distance" in v.message for v in found) == worse, (stability, found)
        result = match(inst, pol, whole_cohort=True)
        assert result.assignment == {"K": "KIN" if not worse else "NEAR"}
        assert validate(inst, result.assignment, AS_OF, whole_cohort=True, policy=pol) == []


# ------------------------------------------------------------------------------------------- privacy


def test_output_guard_treats_school_postcodes_as_home_postcodes() -> None:
    inst = instance([child("K", school_postcode="NG5 1AA", school_easting=0.0, school_northing=0.0)], [place("F")])
    guard = Privacy(inst)
    assert guard.findings({"x.csv": "child,school\nK,NG5 1AA\n"}) == ["x.csv: holds a full postcode of the input"]
    assert guard.findings({"x.csv": "child,school\nK,NG5 1\n"}) == []
