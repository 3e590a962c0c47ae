"""The demo authority's generator: deterministic, accepted by the case-folder reader, plausible in
its proportions, and provably the source of the shipped ``data/demo``."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from placements.codes import (
    SUPPORTED_MAX_AGE,
    SUPPORTED_MIN_AGE,
    USUAL_FOSTERING_LIMIT,
    Need,
    Provider,
    Setting,
    Status,
    Urgency,
)
from placements.io.case_folder import CaseFolder, read_case_folder
from placements.synth.demo import PROFILES, generate_case_folder
from placements.synth.generate import generate

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
AS_OF = dt.date(2026, 11, 23)
FILES = ("children.csv", "places.csv", "policy.toml")


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return generate_case_folder("nottingham", 1, AS_OF)


@pytest.fixture(scope="module")
def folder(files: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> CaseFolder:
    out = tmp_path_factory.mktemp("demo")
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return read_case_folder(out)


def test_profiles_and_files(files: dict[str, str]) -> None:
    assert {"nottingham", "england-average", "region", "england"} <= set(PROFILES)
    assert sorted(files) == sorted(FILES)
    policy = tomllib.loads(files["policy.toml"])
    assert policy == {"as_of": AS_OF, "la_code": "E06000018"}


def test_same_seed_gives_identical_bytes(files: dict[str, str]) -> None:
    assert generate_case_folder("nottingham", 1, AS_OF) == files


def test_different_seed_differs(files: dict[str, str]) -> None:
    other = generate_case_folder("nottingham", 2, AS_OF)
    assert other["children.csv"] != files["children.csv"]
    assert other["places.csv"] != files["places.csv"]


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown profile"):
        generate_case_folder("atlantis", 1, AS_OF)


def test_rows_sorted_by_id(folder: CaseFolder) -> None:
    ids = [c.child_id for c in folder.instance.children]
    assert ids == sorted(ids) and ids[0] == "C0001"
    pids = [p.place_id for p in folder.instance.places]
    assert pids == sorted(pids)


def test_reader_accepts_it(folder: CaseFolder) -> None:
    assert folder.policy.as_of == AS_OF
    assert folder.policy.la_code == "E06000018"
    ages = [c.age_on(AS_OF) for c in folder.instance.children]
    assert min(ages) == 0 and max(ages) == 17


def test_children_in_proportion(folder: CaseFolder) -> None:
    kids = folder.instance.children
    n = len(kids)
    assert 600 <= n <= 700
    needing = [c for c in kids if c.status is Status.NEEDS_PLACEMENT]
    assert 30 <= len(needing) <= 50
    assert 6 <= sum(c.urgency is Urgency.EMERGENCY for c in needing) <= 10
    assert 0.50 <= sum(c.sex.value == "M" for c in kids) / n <= 0.62
    uasc = [c for c in kids if Need.UASC in c.needs]
    assert 0.07 <= len(uasc) / n <= 0.11
    assert all(c.home_postcode is None for c in uasc)
    assert 0.25 <= sum(c.sibling_group is not None for c in kids) / n <= 0.40
    # Whole sibling groups need a home together, as well as single children.
    together = Counter(c.sibling_group for c in needing if c.sibling_group)
    assert sum(1 for k in together.values() if k >= 2) >= 3
    homes = [c.home_la for c in kids if c.home_la]
    assert 0.78 <= homes.count("E06000018") / len(homes) <= 0.92
    assert 0.01 <= sum(not c.lives_with_others for c in kids) / n <= 0.04
    assert 0.03 <= sum(c.max_distance_miles is not None for c in kids) / n <= 0.08


def test_homes_in_proportion(folder: CaseFolder) -> None:
    places = folder.instance.places
    foster = [p for p in places if p.setting is Setting.FOSTER]
    in_house = [p for p in foster if p.provider is Provider.IN_HOUSE and not p.kinship_for]
    assert 90 <= len(in_house) <= 110
    assert 130 <= sum(p.provider is Provider.IFA for p in foster) <= 170
    assert 35 <= sum(p.setting is Setting.RESIDENTIAL for p in places) <= 45
    assert 12 <= sum(p.setting is Setting.SUPPORTED for p in places) <= 15
    # Kinship foster care is 16.3% of children (DfE): a household for each family of them.
    kinship = [p for p in foster if p.kinship_for]
    assert 0.14 <= sum(len(p.kinship_for) for p in kinship) / 650 <= 0.19
    approved = sum(p.vacancies + p.children_in_placement for p in foster if not p.kinship_for)
    vacant = sum(p.vacancies for p in foster if not p.kinship_for)
    # Ofsted: 16% of approved places vacant and 61% filled (the rest not available): 16 / 77 of those shown.
    assert 0.18 <= vacant / approved <= 0.24
    assert any(p.vacancies == 0 for p in foster)
    for p in places:
        if p.setting is Setting.SUPPORTED:
            assert (p.age_min, p.age_max) == (SUPPORTED_MIN_AGE, SUPPORTED_MAX_AGE)


def test_where_children_live_is_consistent(folder: CaseFolder) -> None:
    inst = folder.instance
    places = {p.place_id: p for p in inst.places}
    placed = [c for c in inst.children if c.status is Status.PLACED]
    nowhere = [c for c in placed if c.current_place_id is None]
    assert 0.12 <= len(nowhere) / len(placed) <= 0.19  # with parents, placed for adoption, other (DfE 14.7%)
    living = Counter(c.current_place_id for c in placed if c.current_place_id)
    for c in placed:
        if c.current_place_id is None:
            continue
        p = places[c.current_place_id]
        assert p.age_min <= c.age_on(AS_OF) <= p.age_max, c.child_id
        assert c.needs <= p.meets_needs, c.child_id
        assert p.setting in c.suitable_settings(AS_OF), c.child_id
        if p.kinship_for:
            assert c.child_id in p.kinship_for
    for p in inst.places:
        if p.setting is Setting.FOSTER and not p.sibling_exemption:
            assert p.children_in_placement <= USUAL_FOSTERING_LIMIT, p.place_id
        assert p.children_in_placement >= living[p.place_id]
        for kid in p.kinship_for:  # named children live there or need a home there
            c = inst.children[inst.child_index[kid]]
            assert c.current_place_id == p.place_id or c.status is Status.NEEDS_PLACEMENT


def test_whole_cohort_room_exceeds_children(folder: CaseFolder) -> None:
    inst = folder.instance
    living = Counter(c.current_place_id for c in inst.children if c.status is Status.PLACED and c.current_place_id)
    room = sum(p.vacancies + living[p.place_id] for p in inst.places)
    assert 1.05 <= room / len(inst.children) <= 1.25


def test_shipped_demo_is_the_generators_output() -> None:
    policy = tomllib.loads((DEMO / "policy.toml").read_text(encoding="utf-8"))
    expected = generate("nottingham", 1, policy["as_of"])
    for name, text in expected.items():
        shipped = (DEMO / name).read_bytes()
        assert shipped == text.encode("utf-8"), (
            f"data/demo/{name} is not the generator's output: rerun "
            "`placements synth --profile nottingham --seed 1 --out data/demo`"
        )
