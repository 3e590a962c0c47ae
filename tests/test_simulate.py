"""Scenario simulation: scenario files, the demand model and its backtest, runs, engines, outputs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from builders import AS_OF, child, instance, place, policy
from placements.analysis.simulate.demand import (
    BANDS,
    SETTINGS,
    DemandModel,
    backtest,
    fit_demand,
    prepare,
    project,
    stock_matrix,
)
from placements.analysis.simulate.engines import run_tasks
from placements.analysis.simulate.results import comparison_frame, result_files, runs_frame
from placements.analysis.simulate.run import METRIC_INDEX, METRICS, WHERE, World, add_months, make_context, simulate_run
from placements.analysis.simulate.scenario import Scenario, load_scenario, load_scenarios
from placements.cli import app
from placements.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))


# ------------------------------------------------------------------------------------------------
# Scenario files


def test_shipped_scenarios_load() -> None:
    ours = [p for p in SHIPPED if p.name != "recruit-profiles.toml"]
    names = {s.name for s in load_scenarios(ours)}
    assert {"baseline", "hub-recruitment", "more-teenagers", "asylum-surge", "carers-retiring"} <= names
    hub = load_scenario(ROOT / "scenarios" / "hub-recruitment.toml")
    assert sum(c.households_per_month for c in hub.supply.campaigns) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("horizon_month = 12", "horizon_month", "allowed keys: name, description, horizon_months"),
        ("[demand]\nage_band_multiplier = { teens = 1.2 }", "demand.age_band_multiplier.teens", "'under 1'"),
        ("[supply]\nforster_leaving_per_year = 0.1", "supply.forster_leaving_per_year", "foster_leaving_per_year"),
        ("horizon_months = 0", "horizon_months", "greater than or equal to 1"),
        ('[profiles.x]\nprovider = "council"', "profiles.x.provider", "'in_house' or 'ifa'"),
        ('[[supply.campaigns]]\nprofile = "nobody"\nhouseholds_per_month = 1', None, "allowed: none defined"),
        ('[policy]\nbackend = "gurobi"', "policy.backend", "'scip', 'highs' or 'cpsat'"),
        ("horizon_months = ", None, "not valid TOML"),
    ],
)
def test_malformed_scenario_names_file_key_and_allowed_values(
    tmp_path: Path, text: str, key: str | None, words: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(bad)
    p = info.value.problems[0]
    assert p.file == str(bad)
    if key is not None:
        assert p.column == key
    assert words in p.message


def test_cli_rejects_a_malformed_scenario_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "typo.toml"
    bad.write_text("[supply]\nfoster_leaving_per_yr = 0.2\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["simulate", str(ROOT / "scenarios" / "baseline.toml"), str(bad), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "typo.toml" in result.output and "supply.foster_leaving_per_yr" in result.output
    assert not out.exists()


# ------------------------------------------------------------------------------------------------
# Demand model


def _ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


def test_fit_counts_entries_exits_and_moves_exactly() -> None:
    """Three children in 2023: rates are events over child-months at month starts."""
    header = pd.DataFrame({"CHILD": ["A", "B", "C"], "DOB": [_ts("2018-01-15"), _ts("2012-02-01"), _ts("2007-01-01")]})
    episodes = pd.DataFrame(
        {
            "CHILD": ["A", "B", "B", "C"],
            "DECOM": [_ts("2023-03-10"), _ts("2020-05-01"), _ts("2023-06-01"), _ts("2023-05-05")],
            "RNE": ["S", "S", "P", "S"],
            "PLACE": ["U6", "K2", "U4", "K3"],
            "DEC": [_ts("2023-08-01"), _ts("2023-06-01"), pd.NaT, pd.NaT],
            "REC": ["E13", "X1", None, None],
        }
    )
    uasc = pd.DataFrame({"CHILD": ["C"]})
    m = fit_demand(episodes, header, uasc, dt.date(2023, 1, 1), dt.date(2024, 1, 1))
    assert m.months == 12
    assert m.entries[5] == pytest.approx(1 / 12) and sum(m.entries) == pytest.approx(1 / 12)
    assert m.uasc_entries[16] == pytest.approx(1 / 12)
    f, r, s = SETTINGS.index("foster"), SETTINGS.index("residential"), SETTINGS.index("supported")
    b5, b10 = BANDS.index("5-9"), BANDS.index("10-15")
    # A is in foster care on 1 Apr, May, Jun, Jul (not 1 Aug, the day it left): one exit in 4 child-months.
    assert m.exit_hazard[f][b5] == pytest.approx(1 / 4)
    # B is in a children's home on 1 Jan..1 May (5 months), then moves to foster care.
    assert m.move_hazard[r][b10] == pytest.approx(1 / 5)
    assert m.move_to[r][b10][f] == pytest.approx(1.0)
    assert m.exit_hazard[s][BANDS.index("16+")] == 0.0


def _history(rng: np.random.Generator, years: int = 5, per_month: float = 20.0, exit_h: float = 0.03):
    """A stationary history: Poisson entrants, constant exit hazard, a move hazard, by day."""
    start = pd.Timestamp("2019-04-01")
    rows, heads, child_no = [], [], 0
    months = years * 12
    for m in range(-24, months):
        month0 = start + pd.DateOffset(months=m)
        for _ in range(rng.poisson(per_month)):
            child_no += 1
            cid = f"K{child_no}"
            age = int(rng.integers(0, 18))
            day = month0 + pd.Timedelta(days=int(rng.integers(0, 28)))
            dob = day - pd.Timedelta(days=int(age * 365.25 + rng.integers(0, 365)))
            heads.append((cid, dob))
            place = str(rng.choice(["U4", "U6", "K2", "P1"], p=[0.5, 0.3, 0.1, 0.1]))
            stay = int(rng.geometric(exit_h) * 30.4)
            end = min(day + pd.Timedelta(days=stay), dob + pd.DateOffset(years=18))
            rec = "E13" if end < dob + pd.DateOffset(years=18) else "E5"
            rows.append((cid, day, "S", place, end if end < start + pd.DateOffset(months=months) else pd.NaT,
                         rec if end < start + pd.DateOffset(months=months) else None))  # fmt: skip
    episodes = pd.DataFrame(rows, columns=["CHILD", "DECOM", "RNE", "PLACE", "DEC", "REC"])
    header = pd.DataFrame(heads, columns=["CHILD", "DOB"])
    return episodes, header, start


def test_fit_recovers_the_rates_of_a_known_process() -> None:
    episodes, header, start = _history(np.random.default_rng(7))
    m = fit_demand(episodes, header, None, start, start + pd.DateOffset(years=3))
    assert sum(m.entries) == pytest.approx(20.0, rel=0.1)
    hazard = np.array(m.exit_hazard)[SETTINGS.index("foster")]
    # 3% a month before 18 (exits at 18 are not a hazard); the under-1 band holds too few
    # child-months (about 100) to be tested this tightly.
    assert np.all(np.abs(hazard[2:4] - 0.03) < 0.006)
    assert np.all(np.array(m.move_hazard) == 0.0)


def test_projection_ages_children_and_ages_them_out() -> None:
    model = DemandModel(
        source="test", fitted_from="2020-01-01", fitted_to="2021-01-01", months=12, entries=[0.0] * 18,
        uasc_entries=[0.0] * 18, entry_setting=[[1, 0, 0, 0]] * 5, exit_hazard=[[0.0] * 5] * 4,
        move_hazard=[[0.0] * 5] * 4, move_to=[[[1, 0, 0, 0]] * 5] * 4,
    )  # fmt: skip
    stock = np.zeros((18, 4))
    stock[17, 0] = 12.0
    stock[3, 1] = 12.0
    out = project(model, stock, 12)
    assert out[0, 17, 0] == pytest.approx(11.0)  # a twelfth turn 18 each month
    # Nobody leaves the children's home; its children are a year older on average after a year.
    assert out[-1, :, 1].sum() == pytest.approx(12.0)
    assert (np.arange(18) * out[-1, :, 1]).sum() / 12.0 == pytest.approx(4.0)
    assert out[-1, 17, 0] == pytest.approx(12 * (11 / 12) ** 12)


def test_backtest_error_is_small_on_a_stationary_history() -> None:
    episodes, header, start = _history(np.random.default_rng(3))
    cut = (start + pd.DateOffset(years=3)).date()
    frame = backtest(episodes, header, None, start.date(), cut, (start + pd.DateOffset(years=5)).date())
    total = frame[frame["dimension"] == "total"].iloc[0]
    assert total["mape_pct"] < 8
    assert set(frame["group"]) >= set(BANDS) | set(SETTINGS)
    ep = prepare(episodes, header)
    assert stock_matrix(ep, pd.Timestamp(cut)).sum() == pytest.approx(total["at_cut"])


# ------------------------------------------------------------------------------------------------
# Runs on a small town


def _town():
    kids, places = [], []
    for k in range(30):
        age = (k * 7) % 18
        needs = "uasc" if k % 10 == 9 else ("emotional_behavioural" if k % 3 == 0 else "")
        group = f"G{k // 3}" if k < 9 else None
        kids.append(child(f"C{k}", age=age if needs != "uasc" else 16, status="placed", current_place_id=f"P{k}",
                          needs=needs, sibling_group=group))  # fmt: skip
        places.append(place(f"P{k}", miles=k % 12, vacancies=k % 2, children_in_placement=1 + (k % 5 == 0),
                            setting="foster" if k < 22 else ("residential" if k < 27 else "supported"),
                            age_min=16 if k >= 27 else 0, meets_needs="emotional_behavioural;uasc",
                            la_code="E06000018" if k % 3 else "E06000015"))  # fmt: skip
    kids.append(child("W1", age=9))
    return instance(kids, places), policy(time_limit_seconds=5)


def _demand() -> DemandModel:
    per_age = [0.3] * 18
    return DemandModel(
        source="test", fitted_from="2025-01-01", fitted_to="2026-01-01", months=12, entries=per_age,
        uasc_entries=[0.0] * 16 + [0.2, 0.2], entry_setting=[[0.7, 0.1, 0.1, 0.1]] * 5,
        exit_hazard=[[0.03] * 5] * 4, move_hazard=[[0.02] * 5] * 4, move_to=[[[0.7, 0.2, 0.0, 0.1]] * 5] * 4,
    )  # fmt: skip


def _context(months: int = 3, **changes):
    inst, pol = _town()
    base = Scenario(name="base", horizon_months=months, runs=2, seed=5)
    plan = Scenario.model_validate(
        {"name": "plan", "horizon_months": months, "runs": 2, "seed": 5,
         "profiles": {"young": {"approved_places": 2, "age_max": 11, "meets_needs": ["emotional_behavioural"]}},
         "supply": {"campaigns": [{"profile": "young", "households_per_month": 4}]}, **changes}
    )  # fmt: skip
    return make_context(inst, pol, _demand(), [base, plan])


def test_a_run_is_a_function_of_seed_and_run_only() -> None:
    ctx = _context()
    a, b, c = simulate_run(ctx, 0, 0), simulate_run(ctx, 0, 0), simulate_run(ctx, 0, 1)
    assert a.shape == (3, len(METRICS))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_every_month_adds_up_and_the_register_stays_lawful() -> None:
    ctx = _context(months=4)
    world = World(ctx, ctx.scenarios[0], 5, 0, ctx.tpl)
    for _ in range(4):
        row = world.step()
        total = row[METRIC_INDEX["looked_after"]]
        assert sum(row[METRIC_INDEX[w]] for w in WHERE) == total
        assert sum(row[METRIC_INDEX[f"age_{b}"]] for b in ("under_1", "1_4", "5_9", "10_15", "16_plus")) == total
        inst, _ = world._instance()  # cross-checked: occupancy never above what homes hold
        assert all(p.vacancies >= 0 for p in inst.places)
        assert all(world.homes[k.place].open for k in world.kids if k.place is not None)
        assert all(k.child.age_on(world.day) <= 17 for k in world.kids)


def test_a_recruitment_campaign_adds_households() -> None:
    ctx = _context(months=3)
    base, plan = simulate_run(ctx, 0, 0), simulate_run(ctx, 1, 0)
    k = METRIC_INDEX["foster_households"]
    assert plan[-1, k] - base[-1, k] >= 5
    assert plan[:, METRIC_INDEX["households_joined"]].sum() > base[:, METRIC_INDEX["households_joined"]].sum()
    # Keyed draws: the plan changes supply only, so the same children come into care in both runs.
    assert np.array_equal(plan[:, METRIC_INDEX["entrants"]], base[:, METRIC_INDEX["entrants"]])


def test_local_pool_agrees_with_serial() -> None:
    ctx = _context(months=2)
    tasks = [(s, r) for r in range(2) for s in range(2)]
    serial = run_tasks(ctx, tasks, "serial")
    pooled = run_tasks(ctx, tasks, "local", workers=2)
    assert sorted(serial) == sorted(pooled)
    assert all(np.array_equal(serial[t], pooled[t]) for t in tasks)


def test_ray_agrees_with_local_exactly() -> None:
    ray = pytest.importorskip("ray")

    ctx = _context(months=2)
    tasks = [(s, r) for r in range(2) for s in range(2)]
    serial = run_tasks(ctx, tasks, "serial")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        on_ray = run_tasks(ctx, tasks, "ray")
    finally:
        ray.shutdown()
    differ = [(t, METRICS[k], int(m)) for t in tasks for m, k in zip(*np.nonzero(serial[t] != on_ray[t]), strict=True)]
    assert differ == []


def test_results_are_byte_identical_and_replottable() -> None:
    ctx = _context(months=2)
    tasks = [(s, r) for r in range(3) for s in range(2)]
    meta = {
        "start": AS_OF.isoformat(), "dates": [add_months(AS_OF, m).isoformat() for m in (1, 2)], "runs": 3,
        "horizon_months": 2, "demand_source": "test", "metrics": list(METRICS),
        "scenarios": [{"name": s.name} for s in ctx.scenarios],
    }  # fmt: skip
    first = result_files(meta, runs_frame(meta, run_tasks(ctx, tasks, "serial")))
    second = result_files(meta, runs_frame(meta, run_tasks(ctx, tasks, "serial")))
    assert first == second
    assert first["chart-under12_residential.png"][:8] == b"\x89PNG\r\n\x1a\n"
    again = result_files(
        meta, pd.read_csv(pd.io.common.StringIO(first["runs.csv"]), dtype={"date": str}), with_runs=False
    )
    assert all(again[name] == first[name] for name in again)
    comp = comparison_frame(runs_frame(meta, run_tasks(ctx, tasks, "serial")), ["base", "plan"])
    row = comp[(comp["scenario"] == "plan") & (comp["metric"] == "foster_households")].iloc[0]
    assert row["change_vs_base"] > 0


def test_history_read_back_from_dfe_csv_fits_the_same(tmp_path: Path) -> None:
    from placements.analysis.simulate.history import read_history
    from placements.io.ssda903.write import write_tables

    episodes, header, start = _history(np.random.default_rng(11), years=2)
    write_tables({"Episodes": episodes, "Header": header.assign(SEX="1")}, tmp_path / "ssda903")
    hist = read_history(tmp_path / "ssda903")
    window = (start, start + pd.DateOffset(years=1))
    assert fit_demand(hist.episodes, hist.header, hist.uasc, *window) == fit_demand(episodes, header, None, *window)
    first, _ = hist.span()
    assert first == episodes.loc[episodes["REC"].notna(), "DEC"].min()


@pytest.mark.slow
def test_cli_simulates_the_demo_and_replots_identically(tmp_path: Path) -> None:
    quick = tmp_path / "quick.toml"
    quick.write_text('name = "quick"\nhorizon_months = 1\nruns = 1\n', encoding="utf-8")
    runner = CliRunner()
    outs = []
    for k in range(2):
        out = tmp_path / f"out{k}"
        result = runner.invoke(app, ["simulate", str(quick), "--case", str(ROOT / "data" / "demo"), "--out", str(out)])
        assert result.exit_code == 0, result.output
        outs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outs[0] == outs[1]
    assert {"runs.csv", "bands.csv", "comparison.csv", "meta.json", "report.html", "chart-unplaced.png"} <= set(outs[0])
    for name in ("bands.csv", "comparison.csv", "chart-unplaced.png", "report.html"):
        (tmp_path / "out0" / name).unlink()
    result = runner.invoke(app, ["simulate-plot", str(tmp_path / "out0")])
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_bytes() for p in sorted((tmp_path / "out0").iterdir())} == outs[0]
