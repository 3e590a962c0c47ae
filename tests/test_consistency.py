"""One set of figures: on three authorities, every headline recomputed from the CSVs the commands write.

The demo authority and two synthetic ones (``england-average`` seed 1 and ``nottingham`` seed 2, each at 0.3 of
its size) go through what ``placements report`` does (the whole-cohort match once, the recruitment options, the
conflict rules), and the files are read back as a user would: the per-child table ``gaps_children.csv`` adds up to
``gaps_summary.csv``; every breakdown (age band, setting, sibling-group size, area; need by membership) adds up to
the totals; no state gives more children a family than need one, in total or in any age band; the missing family
homes are the same children in the summary, the age-band table and ``gaps_missing.csv``; the moves agree; the
recruitment options agree with their households and are never a cost or a saving when not reached; and every row of
``key_figures.csv`` equals the table it is read from. Any disagreement fails.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path

import pandas as pd
import pytest

from placements.analysis.gaps import DIMENSIONS, STATES
from placements.analysis.recruit.plan import recruitment_options
from placements.analysis.recruit.profiles import candidate_places, load_profiles
from placements.io.case_folder import CaseFolder, read_case_folder
from placements.privacy.guard import Privacy
from placements.reports.conflicts.config import load_conflicts_config
from placements.reports.conflicts.registry import active_rules, run_rules
from placements.reports.html.build import report_data, report_files
from placements.resources import default_profiles
from placements.synth.generate import generate_case_folder

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 23)
AUTHORITIES = ["demo", "england-average-s1", "nottingham-s2"]
#: Counts of children that add up over any partition of the children (not groups: a split sibling group is
#: counted once per subset it has members in).
ADDITIVE = ("children", "placed", "unplaced", "in_family", "family_as_needed", "under12_residential",
            "under5_residential", "siblings_apart", "over_20_miles", "out_of_area", "plan_mismatch", "cost_unknown",
            "weekly_cost", "annual_cost")  # fmt: skip


def _case(name: str, tmp: Path) -> CaseFolder:
    if name == "demo":
        folder = ROOT / "data" / "demo"
    else:
        profile, seed = name.rsplit("-s", 1)
        folder = tmp / name
        folder.mkdir()
        for file, text in generate_case_folder(profile, int(seed), AS_OF, 0.3).items():
            (folder / file).write_text(text, encoding="utf-8")
    case = read_case_folder(folder)
    return CaseFolder(case.instance, case.policy.replace(time_limit_seconds=20))


@pytest.fixture(scope="module", params=AUTHORITIES)
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """Every CSV the report and gaps write for one authority, read back as text."""
    tmp = tmp_path_factory.mktemp(request.param)
    case = _case(request.param, tmp)
    folder = ROOT / "data" / "demo" if request.param == "demo" else tmp / request.param
    settings = load_conflicts_config(folder)
    rules = active_rules(settings.disabled, settings.extra)
    day = case.policy.as_of_date()
    findings = run_rules(case.instance, day, settings.disabled, settings.extra)
    profiles = load_profiles(default_profiles())
    plans = recruitment_options(
        case.instance, case.policy, profiles, candidate_places(profiles, case.instance), time_limit=5, iterations=2
    )
    rd, gaps = report_data(case, findings, [(r.code, r.severity) for r in rules], plans)
    files = report_files(rd, Privacy(case.instance, None), case.policy.la_code)
    files.update(gaps.files())
    out = {
        name.removesuffix(".csv"): pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])
        for name, text in files.items()
        if name.endswith(".csv")
    }
    out["_solve"] = pd.DataFrame([gaps.solver])
    return out


def test_the_children_table_adds_up_to_the_summary(written: dict[str, pd.DataFrame]) -> None:
    kids, summary = written["gaps_children"], written["gaps_summary"].set_index("metric")
    for s in STATES:
        assert summary.loc["children", s] == len(kids)
        assert summary.loc["placed", s] == kids[f"{s}_placed"].sum(), s
        for m in ADDITIVE[3:-2]:
            assert summary.loc[m, s] == kids[f"{s}_{m}"].sum(), (s, m)
        assert summary.loc["weekly_cost", s] == pytest.approx(kids[f"{s}_weekly_cost"].sum()), s


@pytest.mark.parametrize("dimension", [d for d in DIMENSIONS if d != "need"])
def test_every_breakdown_adds_up_to_the_totals(written: dict[str, pd.DataFrame], dimension: str) -> None:
    table, summary = written[f"gaps_by_{dimension}"], written["gaps_summary"].set_index("metric")
    for m in ADDITIVE:
        for s in STATES:
            assert table.loc[table["metric"] == m, s].sum() == pytest.approx(summary.loc[m, s]), (dimension, m, s)


def test_need_groups_count_each_child_with_that_need(written: dict[str, pd.DataFrame]) -> None:
    table, kids = written["gaps_by_need"], written["gaps_children"]
    needs = kids["needs"].fillna("").str.split(";")
    for need, g in table[table["metric"] == "children"].groupby("need"):
        having = needs.map(lambda ns, need=need: need in ns if need != "none" else ns == [""])
        assert g["today"].iloc[0] == having.sum(), need


def test_no_state_gives_more_children_a_family_than_need_one(written: dict[str, pd.DataFrame]) -> None:
    age, summary = written["gaps_age_band"], written["gaps_summary"].set_index("metric")
    need = summary.loc["family_as_needed", "ideal"]
    for s in STATES:
        assert summary.loc["family_as_needed", s] <= need
        assert summary.loc["family_as_needed", s] <= summary.loc["in_family", s]
    for col in ("with_a_family_today", "with_a_family_nobody_moving", "with_a_family_with_moves"):
        assert (age[col] <= age["need_a_family"]).all(), col
    assert summary.loc["placed", "ideal"] == summary.loc["children", "ideal"]
    solve = written["_solve"].iloc[0]
    if solve["tiers_1_3_optimal"]:  # the best state may move settled children; it can never place fewer
        assert summary.loc["placed", "best"] >= summary.loc["placed", "no_moves"]


def test_the_missing_family_homes_are_the_same_children_everywhere(written: dict[str, pd.DataFrame]) -> None:
    age, missing = written["gaps_age_band"], written["gaps_missing"]
    summary = written["gaps_summary"].set_index("metric")
    total = summary.loc["family_as_needed", "ideal"] - summary.loc["family_as_needed", "best"]
    assert len(missing) == total == age["family_homes_missing"].sum()
    by_band = missing.groupby("age_band").size()
    for r in age.itertuples():
        assert r.family_homes_missing == by_band.get(r.age_band, 0), r.age_band
        assert r.need_a_family - r.with_a_family_with_moves == r.family_homes_missing
        assert r.need_a_family - r.with_a_family_nobody_moving == r.family_homes_missing_nobody_moving
    kids = written["gaps_children"].set_index("child_id")
    assert kids.loc[missing["child_id"], "ideal_in_family"].all()
    assert not kids.loc[missing["child_id"], "best_in_family"].any()


def test_the_placement_mix_is_the_summary(written: dict[str, pd.DataFrame]) -> None:
    mix, summary = written["placement_mix"], written["gaps_summary"].set_index("metric")
    assert list(mix["state"]) == ["today", "best, nobody moves", "best, with moves", "ideal"]
    for (_, r), s in zip(mix.iterrows(), STATES, strict=True):
        assert r[["foster", "supported", "residential", "other", "no home"]].sum() == summary.loc["children", s]
        assert r["foster"] == summary.loc["in_family", s] and r["no home"] == summary.loc["unplaced", s]


def test_moves_agree_and_none_harms_a_child(written: dict[str, pd.DataFrame]) -> None:
    moves, by_setting = written["gaps_moves"], written["moves_by_setting"]
    kids = written["gaps_children"].set_index("child_id")
    assert len(moves) == by_setting["children"].sum()
    if len(moves):
        assert (kids.loc[moves["child_id"], "today_place_id"].to_numpy() == moves["from_place_id"].to_numpy()).all()
        assert (kids.loc[moves["child_id"], "best_place_id"].to_numpy() != moves["from_place_id"].to_numpy()).all()
        assert moves["better_for_the_child"].all()
        assert not ((moves["from_setting"] == "foster") & (moves["to_setting"] != "foster")).any()
    moved = (kids["today_place_id"].notna()) & (kids["today_place_id"] != kids["best_place_id"])
    assert moved.sum() == len(moves)


def _value(v: object) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def test_recruitment_options_agree_and_claim_nothing_they_do_not_reach(written: dict[str, pd.DataFrame]) -> None:
    options, households = written["recruit_options"], written["recruit_households"]
    for r in options.itertuples():
        mine = households[households["option"] == r.option]
        if r.status in ("reached", "budget"):
            assert r.households == mine["households"].sum(), r.option
            assert r.first_year_cost == pytest.approx(mine["first_year_cost"].sum()), r.option
            assert r.one_off_cost == pytest.approx(mine["one_off_cost"].sum()), r.option
            assert r.moves_family_to_residential == 0, r.option
        else:
            assert len(mine) == 0, r.option
            for col in ("households", "one_off_cost", "first_year_cost", "annual_saving", "children_moving"):
                assert _value(getattr(r, col)) is None, (r.option, col)


def test_key_figures_equal_the_tables(written: dict[str, pd.DataFrame]) -> None:
    kf = written["key_figures"]
    shown = [_value(v) for v in kf["value"]]
    summary = written["gaps_summary"].set_index("metric")
    age, options = written["gaps_age_band"], written["recruit_options"].set_index("option")
    conflicts = written["conflicts_by_rule"]
    expected = [
        summary.loc["children", "today"],
        age["need_a_family"].sum(),
        age["with_a_family_today"].sum(),
        age["with_a_family_nobody_moving"].sum(),
        age["with_a_family_with_moves"].sum(),
        len(written["gaps_missing"]),
        len(written["gaps_moves"]),
        summary.loc["unplaced", "best"],
        summary.loc["under12_residential", "today"],
        summary.loc["under12_residential", "best"],
        summary.loc["siblings_apart", "today"],
        summary.loc["siblings_apart", "best"],
        summary.loc["weekly_cost", "today"],
        summary.loc["weekly_cost", "best"],
        summary.loc["weekly_cost", "ideal"],
        conflicts["findings"].sum(),
        len(written["conflicts_high"]),
    ]
    for option, r in options.iterrows():
        expected += [_value(r[c]) for c in ("households", "first_year_cost", "annual_saving", "children_moving")]
        assert option in " ".join(options.index)
    assert len(shown) == len(expected)
    for k, (got, want) in enumerate(zip(shown, expected, strict=True)):
        want = _value(want)
        assert (got is None and want is None) or got == pytest.approx(want), (kf.iloc[k]["figure"], got, want)
    assert not kf["figure"].str.contains("_").any()  # plain words
