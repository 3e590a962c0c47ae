"""Sufficiency gaps: three states side by side, hand-checked on tiny instances, and the tables agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builders import AS_OF, child, instance, place, policy
from placements.analysis.gaps import DIMENSIONS, STATES, compute_gaps, ideal_setting, plan_mismatch, reference_costs
from placements.cli import app
from placements.codes import Setting
from placements.match import match

TINY = Path(__file__).parent / "data" / "tiny"


def _young_in_residential():
    """Two under-12s in a children's home (one a sibling of a child needing a home), a 14-year-old needing one."""
    kids = [
        child("A", age=7, status="placed", current_place_id="R1"),
        child("B", age=9, status="placed", current_place_id="R1", sibling_group="S"),
        child("C", age=10, sibling_group="S"),
        child("D", age=14),
    ]
    homes = [
        place("R1", setting="residential", provider="private", vacancies=0, children_in_placement=2, weekly_cost=5000),
        place("F1", vacancies=1, age_min=12, age_max=17, weekly_cost=400),
    ]
    return instance(kids, homes)


@pytest.fixture(scope="module")
def gaps():
    return compute_gaps(_young_in_residential(), policy())


def _state(g, metric: str) -> dict[str, float]:
    row = g.summary_table.set_index("metric").loc[metric]
    return {s: row[s] for s in STATES}


def test_today_is_where_children_live(gaps) -> None:
    assert _state(gaps, "placed")["today"] == 2
    assert _state(gaps, "unplaced")["today"] == 2  # C and D need a home
    assert _state(gaps, "under12_residential")["today"] == 2
    assert _state(gaps, "siblings_apart")["today"] == 2  # B has a home, C has none
    assert _state(gaps, "weekly_cost")["today"] == 10000


def test_best_is_the_whole_cohort_match(gaps) -> None:
    inst, pol = _young_in_residential(), policy()
    s = match(inst, pol, whole_cohort=True).summary.to_dict()
    best = {
        m: _state(gaps, m)["best"] for m in ("placed", "under12_residential", "sibling_groups_split", "over_20_miles")
    }
    assert best == {
        "placed": s["placed"],
        "under12_residential": s["under12_in_residential"],
        "sibling_groups_split": s["sibling_groups_split"],
        "over_20_miles": s["over_20_miles"],
    }
    assert _state(gaps, "weekly_cost")["best"] == s["total_weekly_cost"]
    # R1 holds two, F1 only takes 12-17: the siblings share R1, D goes to F1, A has no home.
    assert s["placed"] == 3 and gaps.headline["unplaceable_with_todays_homes"] == 1


def test_ideal_is_what_children_need(gaps) -> None:
    ideal = {
        m: _state(gaps, m)["ideal"]
        for m in ("placed", "in_family", "under12_residential", "siblings_apart", "over_20_miles")
    }
    assert ideal == {"placed": 4, "in_family": 4, "under12_residential": 0, "siblings_apart": 0, "over_20_miles": 0}
    assert _state(gaps, "weekly_cost")["ideal"] == 4 * 400  # the in-house foster median


def test_missing_names_the_rule(gaps) -> None:
    missing = gaps.missing.set_index("child_id")
    assert set(missing.index) == {"A", "B", "C"}  # D lives with a family in the best state
    assert set(missing["binding_rule"]) == {"age"}
    assert "approved for age 7" in missing.loc["A", "what_is_missing"]
    h = gaps.headline
    assert (
        h["need_a_family_with_one_today"],
        h["could_have_a_family_with_todays_homes"],
        h["need_a_family"],
        h["family_homes_missing_for"],
    ) == (0, 1, 4, 3)
    assert h["missing_by_binding_rule"] == {"age": 3}


def test_capacity_when_homes_exist_but_are_full() -> None:
    kids = [child("A", age=5), child("B", age=6)]
    inst = instance(kids, [place("F1", vacancies=1)])
    g = compute_gaps(inst, policy())
    assert list(g.missing["binding_rule"]) == ["capacity"]
    assert g.headline["unplaceable_with_todays_homes"] == 1


def test_summary_is_the_sum_of_the_children_table(gaps) -> None:
    kids = gaps.children
    table = gaps.summary_table.set_index("metric")
    for s in STATES:
        for m in (
            "placed",
            "in_family",
            "under12_residential",
            "under5_residential",
            "siblings_apart",
            "over_20_miles",
            "out_of_area",
            "plan_mismatch",
            "cost_unknown",
        ):
            assert table.loc[m, s] == kids[f"{s}_{m}"].sum(), (s, m)
        assert table.loc["weekly_cost", s] == pytest.approx(kids[f"{s}_weekly_cost"].sum())
        assert table.loc["annual_cost", s] == pytest.approx(52 * table.loc["weekly_cost", s])


@pytest.mark.parametrize("dimension", ["age_band", "setting", "sibling_group_size", "area"])
def test_breakdowns_add_up(gaps, dimension: str) -> None:
    frame = gaps.by_dimension[dimension]
    total = gaps.summary_table.set_index("metric")
    for m in ("children", "placed", "unplaced", "in_family", "under12_residential", "siblings_apart", "weekly_cost"):
        for s in STATES:
            assert frame.loc[frame["metric"] == m, s].sum() == pytest.approx(total.loc[m, s]), (dimension, m, s)


def test_tables_and_summary_are_plain(gaps) -> None:
    names = set(gaps.tables())
    assert names == {
        "gaps_summary",
        "gaps_missing",
        "gaps_moves",
        "gaps_children",
        *(f"gaps_by_{d}" for d in DIMENSIONS),
    }
    text = json.dumps(gaps.summary())
    assert json.loads(text)["states"]["today"]["under12_residential"] == 2
    assert "date_of_birth" not in gaps.children.columns and "home_postcode" not in gaps.children.columns


def test_ideal_setting_follows_the_plan() -> None:
    assert ideal_setting(child("X", settings="residential;foster", permanence_plan="long_term_foster"), AS_OF) == (
        Setting.FOSTER,
        True,
    )
    assert ideal_setting(child("X", settings="residential;foster"), AS_OF) == (Setting.RESIDENTIAL, True)
    # A dual plan no setting can deliver: the first choice, flagged.
    assert ideal_setting(child("X", permanence_plan="long_term_foster;residential"), AS_OF) == (Setting.FOSTER, False)


def test_plan_mismatch() -> None:
    ltf = child("X", permanence_plan="long_term_foster")
    assert plan_mismatch(ltf, place("F", long_term="no"))
    assert not plan_mismatch(ltf, place("F", long_term="yes"))
    assert plan_mismatch(ltf, place("R", setting="residential", provider="private"))
    assert not plan_mismatch(child("Y"), place("R", setting="residential", provider="private"))
    assert not plan_mismatch(ltf, None)


def test_reference_costs_prefer_the_authoritys_own_homes() -> None:
    inst = instance(
        [child("A")],
        [
            place("F1", weekly_cost=400),
            place("F2", provider="ifa", weekly_cost=900),
            place("R1", setting="residential", provider="private", weekly_cost=5000),
        ],
    )
    costs = reference_costs(inst)
    assert costs[Setting.FOSTER] == 400 and costs[Setting.RESIDENTIAL] == 5000 and costs[Setting.SUPPORTED] == 620


def test_cli_writes_every_table(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["gaps", str(TINY), "--out", str(out)])
    assert r.exit_code == 0, r.output
    written = {p.name for p in out.iterdir()}
    assert "gaps_summary.json" in written and "gaps_children.csv" in written and "gaps_by_age_band.csv" in written
    summary = json.loads((out / "gaps_summary.json").read_text())
    import pandas as pd

    table = pd.read_csv(out / "gaps_summary.csv").set_index("metric")
    assert summary["states"]["best"]["placed"] == table.loc["placed", "best"]


def test_cli_bad_input_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    broken = Path(__file__).parent / "data" / "broken" / "DuplicateChildId"
    r = CliRunner().invoke(app, ["gaps", str(broken), "--out", str(out)])
    assert r.exit_code == 2
    assert "duplicate child_id" in r.output
    assert not out.exists()


def test_children_outside_the_register_stay_there() -> None:
    """A child living with parents (blank current_place_id) needs no register home, and their kinship carer is
    open to nobody else."""
    kids = [child("H", age=6, status="placed"), child("N", age=6)]
    homes = [place("K", kinship_for="H"), place("F1")]
    g = compute_gaps(instance(kids, homes), policy())
    rows = g.children.set_index("child_id")
    assert rows.loc["H", "best_place_id"] == "" and rows.loc["H", "best_placed"]
    assert rows.loc["H", "ideal_setting"] == "other" and rows.loc["H", "today_cost_unknown"]
    assert rows.loc["N", "best_place_id"] == "F1"
    assert g.headline["children_outside_register"] == 1 and g.headline["need_a_family"] == 1
    assert g.solver["children_matched"] == 1
    assert len(g.missing) == 0


def test_best_with_and_without_moves_and_every_move_explained() -> None:
    """U (7) lives in a children's home and a foster family has room; N (14) needs a children's home. Without
    moving anyone U stays; with moves U goes to the family, which is better for U by more than a move costs."""
    kids = [child("U", age=7, status="placed", current_place_id="R1"), child("N", age=14, settings="residential")]
    homes = [
        place("R1", setting="residential", provider="private", vacancies=1, children_in_placement=1, weekly_cost=4000),
        place("F1"),
    ]
    g = compute_gaps(instance(kids, homes), policy())
    rows = g.children.set_index("child_id")
    assert rows.loc["U", "no_moves_place_id"] == "R1" and rows.loc["N", "no_moves_place_id"] == "R1"
    assert rows.loc["U", "best_place_id"] == "F1"
    h = g.headline
    assert h["settled_children"] == 1 and h["need_a_family"] == 1
    assert h["could_have_a_family_without_moves"] == 0 and h["family_homes_missing_without_moves"] == 1
    assert h["could_have_a_family_with_todays_homes"] == 1 and h["family_homes_missing_for"] == 0
    assert list(g.moves["child_id"]) == ["U"] and h["settled_children_moving"] == 1
    assert g.moves.iloc[0]["reason"].startswith("to a foster family from a children's home")
    assert bool(g.moves.iloc[0]["better_for_the_child"]) and h["moves_worse_for_the_child"] == 0
    assert "1 settled child of 1 would move: 1 from a children's home to a foster family" in h["sentence"]
    summary = g.summary_table.set_index("metric")
    assert summary.loc["under12_residential", "no_moves"] == 1 and summary.loc["under12_residential", "best"] == 0
    # Never more children with a family than need one, in any state and any age band.
    band = g.by_dimension["age_band"].set_index(["age_band", "metric"])
    for s in STATES:
        for label in {i[0] for i in band.index}:
            assert band.loc[(label, "family_as_needed"), s] <= band.loc[(label, "family_as_needed"), "ideal"]
    assert summary.loc["family_as_needed", "ideal"] - summary.loc["family_as_needed", "best"] == len(g.missing)
