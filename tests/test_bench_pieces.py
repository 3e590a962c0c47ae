"""The benchmark on large instances: every method on the engine's geographic pieces, joined; memory
measured over a method's whole process group, with a resident cap that stops it.

The pieces here are the demo's city and county (``test_decompose``'s fixture), two pieces of a
daily match, so each test takes seconds (pool processes start fresh interpreters).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from placements.bench import instances as inst
from placements.bench.methods import run
from placements.bench.pieces import BOUND_SCOPE, join_quality, pieces
from placements.bench.runner import _worker
from placements.decompose import plan_pieces, whole_groups
from placements.instance import Instance
from placements.io.case_folder import read_case_folder

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
PIECE = 400  # children per piece: the demo's 650 split into its city and its county


@pytest.fixture(scope="module")
def two_councils():
    folder = read_case_folder(DEMO)
    kids = tuple(c.model_copy(update={"local_authority": c.home_la}) for c in folder.instance.children)
    return Instance(children=kids, places=folder.instance.places), folder.policy.replace(time_limit_seconds=20)


def test_baselines_in_pieces_add_up_the_pieces_and_are_validated_whole(two_councils) -> None:
    instance, policy = two_councils
    subs = pieces(instance, policy, PIECE)
    assert len(subs) == len(plan_pieces(instance, policy, PIECE)) >= 2
    joined = run("flow", instance, policy, False, None, piece_children=PIECE)
    alone = [run("flow", sub, policy, False, None)["quality"] for sub in subs]
    q = joined["quality"]
    assert q["pieces"] == len(subs) and q["bound_scope"] == BOUND_SCOPE
    for key in ("needing", "placed", "emergency_placed", "objective"):
        assert q[key] == sum(a[key] for a in alone), key
    # Sibling groups are counted over the whole instance (a group matched in two pieces counts once,
    # test_decompose has one), so never fewer split than the pieces' own counts.
    assert q["sibling_groups"] == len(whole_groups(instance, False))
    assert q["sibling_groups_split"] >= sum(a["sibling_groups_split"] for a in alone)
    assert joined["violations"] is not None  # the validator ran, on the whole instance
    greedy = run("greedy-arrival", instance, policy, False, None, piece_children=PIECE)
    assert greedy["violations"] == {}  # today's practice is lawful, piece by piece and joined
    assert greedy["quality"]["status"] == "HEURISTIC" and greedy["quality"]["bound"] is None


def test_engine_in_pieces_gives_each_piece_tiers_and_the_lp_bounds_it_per_piece(two_councils) -> None:
    instance, policy = two_councils
    eng = run("engine", instance, policy, False, None, piece_children=PIECE)
    q = eng["quality"]
    assert eng["violations"] == {}
    assert q["pieces"] >= 2 and q["bound_scope"] == "every admissible pair"  # the whole instance's score bound
    assert q["bound"] is not None and q["bound"] <= q["objective"]
    assert q["tiers_bound"]["placed"] >= q["placed"]
    by_piece = eng["piece_tiers"]
    assert len(by_piece) == q["pieces"]
    for key in ("emergency_placed", "placed"):  # the pieces' own answers; the repair may add to them
        assert sum(t[key] for t in by_piece) <= q[key]
    tiers = {**{k: q[k] for k in ("emergency_placed", "placed", "extra_homes")}, "pieces": by_piece}
    lp = run("lp", instance, policy, False, tiers, piece_children=PIECE)
    assert lp["violations"] is None  # a bound, no assignment
    assert lp["quality"]["placed"] >= sum(t["placed"] for t in by_piece) - 1e-6
    assert lp["quality"]["bound"] is not None


def test_join_quality_sums_weights_distance_and_keeps_a_missing_bound_missing() -> None:
    a = {"status": "HEURISTIC", "placed": 2, "objective": 10, "bound": None, "gap": None, "weekly_cost": 1.5}
    b = {"status": "HEURISTIC", "placed": 3, "objective": 20, "bound": None, "gap": None, "weekly_cost": 2.25}
    j = join_quality([a, b], [(4.0, 2), (12.0, 2)])
    assert j["placed"] == 5 and j["objective"] == 30 and j["bound"] is None and j["gap"] is None
    assert j["mean_miles"] == 4.0 and j["weekly_cost"] == 3.75 and j["pieces"] == 2
    j = join_quality([{**a, "bound": 9}, {**b, "status": "OPTIMAL", "bound": 18}], [])
    assert j["status"] == "MIXED" and j["bound"] == 27 and j["gap"] == 0.1


def _job(method: str) -> dict:
    spec = inst.TIERS["ci"][0]
    lo = inst.load(spec)
    return {
        "folder": str(lo.folder),
        "time_limit": spec.time_limit,
        "whole_cohort": spec.whole_cohort,
        "method": method,
        "repeats": 1,
        "tiers": None,
        "candidates_per_setting": None,
        "piece_children": None,
    }


def test_worker_reports_its_peak_and_its_process_group() -> None:
    out = _worker(_job("flow"), 300, cap_gib=8)
    assert "error" not in out, out
    assert out["peak_rss_mib"] >= out["peak_rss_self_mib"] > 50  # an interpreter with numpy and OR-Tools
    assert out["processes"] >= 1


def test_a_method_over_the_resident_cap_is_stopped_and_says_so() -> None:
    out = _worker(_job("flow"), 300, cap_gib=0.03)  # 30 MiB: the interpreter alone is more
    assert out["error"].startswith("STOPPED at") and "over the 0.03 GiB cap" in out["error"], out
