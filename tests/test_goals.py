"""Simulations that speak up: figures moving the wrong way against the authority's goals (issue 12 item 7).

Goals are data (``placements/data/goals.toml``, a case folder's ``goals.toml`` or ``--goals``); every
scenario's figures are judged over the horizon and, for scenarios after the first, against the first.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from placements.analysis.simulate.goals import Goal, default_goals_path, goals_frame, load_goals
from placements.analysis.simulate.results import comparison_frame, result_files
from placements.analysis.simulate.run import METRICS
from placements.cli import app
from placements.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny"
runner = CliRunner()


def _bands(series: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    rows = []
    for (scenario, metric), values in series.items():
        for month, v in enumerate(values, start=1):
            rows.append([scenario, month, f"2027-{month:02d}-01", metric, v - 2, v, v + 3])
    return pd.DataFrame(rows, columns=["scenario", "month", "date", "metric", "p10", "p50", "p90"])


def _runs(series: dict[tuple[str, int], dict[str, list[float]]]) -> pd.DataFrame:
    """A runs table: (scenario, run) -> metric -> monthly values (every other metric 0)."""
    rows = []
    for (scenario, run), metrics in series.items():
        months = len(next(iter(metrics.values())))
        for m in range(months):
            row = {"scenario": scenario, "run": run, "month": m + 1, "date": f"2027-{m + 1:02d}-01"}
            row.update({k: 0.0 for k in METRICS})
            row.update({k: v[m] for k, v in metrics.items()})
            rows.append(row)
    return pd.DataFrame(rows)


GOALS = [
    Goal(figure="under12_residential", want="fewer", label="under-12s in residential care"),
    Goal(figure="foster_households", want="more", label="fostering households"),
    Goal(figure="unplaced", want="fewer", label="children waiting for a home"),
]


def test_a_figure_rising_against_a_fewer_goal_is_the_wrong_way() -> None:
    bands = _bands(
        {
            ("base", "under12_residential"): [5, 9, 15],
            ("base", "foster_households"): [100, 100.5, 101],  # within 2% of 100: steady
            ("base", "unplaced"): [6, 4, 2],
        }
    )
    comparison = pd.DataFrame(columns=["scenario", "metric", "p10", "p50", "p90", "change_vs_base"])
    frame = goals_frame(bands, comparison, ["base"], GOALS, 3).set_index("figure")
    assert frame.loc["under12_residential", "verdict"] == "wrong way"
    assert frame.loc["under12_residential", "sentence"] == (
        "base: under-12s in residential care rise from 5 in month 1 to 15 in month 3 (p10-p90 13-18); the goal is fewer"
    )
    assert frame.loc["foster_households", "verdict"] == "steady"
    assert frame.loc["unplaced", "verdict"] == "right way"
    assert (frame["compared_with"] == "month 1").all()


def test_a_scenario_worse_than_the_base_is_the_wrong_way_and_tolerance_is_respected() -> None:
    runs = _runs(
        {
            ("base", 0): {"under12_residential": [5, 6], "foster_households": [100, 100]},
            ("base", 1): {"under12_residential": [5, 7], "foster_households": [100, 101]},
            ("plan", 0): {"under12_residential": [5, 9], "foster_households": [100, 99]},
            ("plan", 1): {"under12_residential": [5, 10], "foster_households": [100, 100]},
        }
    )
    comparison = comparison_frame(runs, ["base", "plan"])
    bands = _bands({("base", "under12_residential"): [5, 6.5], ("plan", "under12_residential"): [5, 9.5]})
    frame = goals_frame(bands, comparison, ["base", "plan"], GOALS[:2], 2)
    vs = frame[frame["compared_with"] == "base"].set_index("figure")
    assert vs.loc["under12_residential", "change"] == 3  # median of the paired differences (3, 3)
    assert vs.loc["under12_residential", "verdict"] == "wrong way"
    assert vs.loc["under12_residential", "sentence"].startswith("plan: 3 more under-12s in residential care than base")
    assert vs.loc["foster_households", "verdict"] == "steady"  # one fewer: within the tolerance of 1
    strict = [GOALS[1].model_copy(update={"tolerance": 0.0, "tolerance_pct": 0.0})]
    vs = goals_frame(bands, comparison, ["base", "plan"], strict, 2).set_index("compared_with")
    assert vs.loc["base", "verdict"] == "wrong way"


def test_shipped_goals_load_and_name_real_figures() -> None:
    goals = load_goals(default_goals_path())
    assert {g.figure for g in goals} >= {"under12_residential", "unplaced", "out_of_area", "siblings_apart"}
    assert all(g.figure in METRICS for g in goals)


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ('[[goals]]\nfigure = "kids"\nwant = "fewer"\nlabel = "x"', "goals.0.figure", "'kids' is not a figure"),
        ('[[goals]]\nfigure = "unplaced"\nwant = "less"\nlabel = "x"', "goals.0.want", "'fewer' or 'more'"),
        ('[[goals]]\nfigure = "unplaced"\nwant = "fewer"\nlabel = "x"\ntolerence = 2', "goals.0.tolerence",
         "did you mean 'tolerance'?"),
    ],
)  # fmt: skip
def test_a_bad_goals_file_names_file_and_key(tmp_path: Path, text: str, key: str, words: str) -> None:
    bad = tmp_path / "goals.toml"
    bad.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_goals(bad)
    (p,) = info.value.problems
    assert (p.file, p.column) == (str(bad), key) and words in p.message, p


def test_results_folders_judge_by_the_goals_in_meta_and_replot_the_same() -> None:
    runs = _runs({("base", 0): {"under12_residential": [5, 15], "unplaced": [1, 1]}})
    meta = {"start": "2026-11-23", "dates": ["2026-12-23", "2027-01-23"], "runs": 1, "horizon_months": 2,
            "demand_source": "test", "metrics": list(METRICS), "scenarios": [{"name": "base"}],
            "goals": [g.model_dump() for g in GOALS]}  # fmt: skip
    files = result_files(meta, runs)
    goals = pd.read_csv(pd.io.common.StringIO(files["goals.csv"]))
    assert list(goals.loc[goals["verdict"] == "wrong way", "figure"]) == ["under12_residential"]
    assert "Moving the wrong way against the authority's goals" in files["report.html"]
    assert "under-12s in residential care rise from 5 in month 1 to 15 in month 2" in files["report.html"]
    again = result_files(meta, runs, with_runs=False)
    assert again["goals.csv"] == files["goals.csv"] and again["report.html"] == files["report.html"]


def test_cli_reads_the_case_folders_goals_and_prints_the_wrong_way(tmp_path: Path) -> None:
    """Both directions of one figure with no tolerance: whichever way it moves, one goal is crossed."""
    case = tmp_path / "case"
    shutil.copytree(TINY, case)
    (case / "goals.toml").write_text(
        "\n".join(
            f'[[goals]]\nfigure = "weekly_cost"\nwant = "{w}"\nlabel = "weekly cost ({w})"\ntolerance = 0\n'
            "tolerance_pct = 0\n"
            for w in ("fewer", "more")
        ),
        encoding="utf-8",
    )
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\nhorizon_months = 3\nruns = 2\nseed = 3\n', encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["simulate", str(scenario), "--case", str(case), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    goals = pd.read_csv(out / "goals.csv")
    assert list(goals["label"]) == ["weekly cost (fewer)", "weekly cost (more)"]
    assert sorted(goals["verdict"]) == ["right way", "wrong way"]
    wrong = goals.loc[goals["verdict"] == "wrong way", "sentence"].iloc[0]
    text = " ".join(result.output.split())
    assert "Moving the wrong way against the authority's goals (goals.csv): - " + wrong in text
    assert json.loads((out / "meta.json").read_text())["goals"][0]["figure"] == "weekly_cost"
    # --goals replaces the case folder's; a bad one is refused before anything is simulated.
    bad = tmp_path / "bad.toml"
    bad.write_text('[[goals]]\nfigure = "kids"\nwant = "fewer"\nlabel = "x"\n', encoding="utf-8")
    refused = runner.invoke(app, ["simulate", str(scenario), "--case", str(case), "--goals", str(bad), "--out",
                                  str(tmp_path / "o2")])  # fmt: skip
    assert refused.exit_code == 2 and "'kids' is not a figure" in refused.output
    assert not (tmp_path / "o2").exists()
