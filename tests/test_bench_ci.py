"""The benchmark harness: its baselines, its gate, and the CI tier itself (slow: about a minute).

The fast tests show that each baseline does what its docstring says on tiny instances and that the
gate fails on each kind of regression; the slow one runs ``placements bench --tier ci`` as CI does.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from builders import child, instance, place, policy
from placements.bench import checks
from placements.bench.methods import run
from placements.bench.pairs import admissible_pairs

ROOT = Path(__file__).resolve().parents[1]


def _siblings_and_a_lone_child():
    kids = [child("A", sibling_group="G"), child("B", sibling_group="G"), child("C", age=15, lives_with_others=False)]
    homes = [place("H1", 1.0, vacancies=2), place("H2", 2.0, vacancies=1), place("H3", 3.0, vacancies=1)]
    return instance(kids, homes)


def test_flow_places_the_most_children_and_the_engine_keeps_siblings_together() -> None:
    inst, pol = _siblings_and_a_lone_child(), policy()
    flow = run("flow", inst, pol, False, None)["quality"]
    engine = run("engine", inst, pol, False, None)["quality"]
    assert flow["placed"] == engine["placed"] == 3
    assert engine["sibling_groups_split"] == 0


def test_flow_ignores_siblings_and_the_validator_says_which_rule_breaks() -> None:
    # One home with room for two: the flow fills it with the lone child and a sibling, which the
    # validator must report; the engine leaves the lone child alone there.
    kids = [child("A", sibling_group="G"), child("B", sibling_group="G"), child("C", lives_with_others=False)]
    homes = [place("H1", 1.0, vacancies=2), place("H2", 30.0, vacancies=1)]
    inst, pol = instance(kids, homes), policy()
    flow = run("flow", inst, pol, False, None)
    assert flow["quality"]["placed"] == 3
    assert flow["violations"] == {"lives_alone": 1}
    assert run("engine", inst, pol, False, None)["violations"] == {}


def test_stable_matching_is_stable_for_children_and_homes() -> None:
    pytest.importorskip("matching")
    kids = [child(f"K{i}", age=5 + i, home_easting=i * 1609.3) for i in range(5)]
    homes = [place(f"H{j}", 2.0 * j, vacancies=1) for j in range(4)]
    inst, pol = instance(kids, homes), policy()
    pairs = admissible_pairs(inst, pol, False)
    from placements.bench.stable import stable_rows

    home, _, _ = stable_rows(pairs)
    pen = {(int(r), int(p)): int(v) for r, p, v in zip(pairs.row, pairs.place, pairs.penalty, strict=True)}
    holder = {p: r for r, p in home.items()}
    assert len(home) == 4  # four homes with one place each, every child admissible everywhere
    for (r, p), v in pen.items():  # no child and home would both rather have each other
        child_prefers = r not in home or v < pen[(r, home[r])] or (v == pen[(r, home[r])] and p < home[r])
        home_prefers = p not in holder or (v, r) < (pen[(holder[p], p)], holder[p])
        assert not (child_prefers and home_prefers and home.get(r) != p)


def test_lp_bounds_the_engine() -> None:
    inst, pol = _siblings_and_a_lone_child(), policy()
    eng = run("engine", inst, pol, False, None)["quality"]
    tiers = {k: eng[k] for k in ("emergency_placed", "placed", "extra_homes")}
    lp = run("lp", inst, pol, False, tiers)["quality"]
    assert lp["placed"] >= eng["placed"] - 1e-6
    assert lp["bound"] is not None and lp["bound"] <= eng["objective"]


def _fake_result() -> dict:
    def row(method: str, placed: int, split: int, total: float, objective: int = 100) -> dict:
        q = {
            "status": "OPTIMAL" if method == "engine" else "HEURISTIC",
            "emergency_placed": 2,
            "placed": placed,
            "sibling_groups_split": split,
            "extra_homes": split,
            "under12_in_residential": 0,
            "objective": objective,
        }
        return {"instance": "i1", "method": method, "quality": q, "times": {"total_s": total}, "violations": {}}

    return {
        "tier": "ci",
        "instances": [{"name": "i1", "fingerprint": "abc"}],
        "rows": [
            row("engine", 10, 1, 0.4),
            row("greedy-arrival", 9, 3, 0.01),
            row("greedy-hardest", 10, 2, 0.01),
            row("lp", 10, 0, 0.1),
            row("flow", 10, 4, 0.01),
        ],
    }


def test_gate_passes_its_own_reference_and_fails_on_each_regression() -> None:
    good = _fake_result()
    ref = checks.make_reference(good, 2.0, {})
    assert ref["ratios"] == {"engine/lp": 4.0, "engine/flow": 40.0}
    assert checks.check(good, ref) == []

    def fails_with(change, needle: str) -> None:
        bad = copy.deepcopy(good)
        change({(r["instance"], r["method"]): r for r in bad["rows"]})
        found = checks.check(bad, ref)
        assert any(needle in f for f in found), found

    fails_with(lambda r: r[("i1", "engine")]["quality"].update(placed=9), "fewer than greedy-hardest")
    fails_with(lambda r: r[("i1", "engine")]["quality"].update(sibling_groups_split=4), "more than today's practice")
    fails_with(lambda r: r[("i1", "engine")]["quality"].update(objective=101), "objective 101, reference 100")
    fails_with(lambda r: r[("i1", "engine")]["quality"].update(under12_in_residential=1), "under12_in_residential")
    fails_with(lambda r: r[("i1", "engine")]["quality"].update(status="FEASIBLE"), "reference OPTIMAL")
    fails_with(lambda r: r[("i1", "engine")].update(violations={"capacity": 1}), "broken rules")
    fails_with(lambda r: r[("i1", "engine")]["times"].update(total_s=0.81), "speed ratio engine/lp = 8.1")
    fails_with(lambda r: r[("i1", "lp")]["times"].update(total_s=0.04), "speed ratio engine/lp = 10.0")
    # Within tolerance: 1.9x slower still passes.
    ok = copy.deepcopy(good)
    ok["rows"][0]["times"]["total_s"] = 0.4 * 1.9
    assert checks.check(ok, ref) == []
    moved = copy.deepcopy(good)
    moved["instances"][0]["fingerprint"] = "xyz"
    assert any("instance changed" in f for f in checks.check(moved, ref))


@pytest.mark.slow
def test_ci_tier_passes_the_gate(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "placements"
    # PLACEMENTS_BENCH_SLOW_ENGINE=1 in the environment makes this fail on purpose (benchmarks/README.md).
    done = subprocess.run(
        [str(exe), "bench", "--tier", "ci", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    print(done.stdout[-6000:])
    result = json.loads((tmp_path / "results.json").read_text())
    assert result["failures"] == [], result["failures"]
    assert done.returncode == 0, done.stderr[-2000:]
    assert not [r for r in result["rows"] if "error" in r]
    names = {d["name"] for d in result["instances"]}
    assert names == {"daily-demo", "daily-s2", "daily-s3", "daily-s4", "daily-s5"}
    assert {r["method"] for r in result["rows"]} == {
        "engine",
        "greedy-arrival",
        "greedy-hardest",
        "stable",
        "flow",
        "lp",
    }
    assert (tmp_path / "results.md").read_text().count("| engine |") == 5


def test_bad_options_exit_2_and_write_nothing(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from placements.cli import app

    out = tmp_path / "bench"
    res = CliRunner().invoke(app, ["bench", "--tier", "nope", "--methods", "engine,magic", "--out", str(out)])
    assert res.exit_code == 2
    assert "unknown tier 'nope'" in res.output and "unknown method 'magic'" in res.output
    assert not out.exists()
