"""Backtests a commissioner can read and repeat (issue 16 item 8) and that speak up (issue 12 item 7).

``placements backtest`` fits the demand model on a window of an SSDA903 history (``--fit-from`` /
``--fit-to``, by default the first three years from the first collection year), forecasts the
months after it, and writes the summary, every month's actual and forecast figures, a chart and the
window it used; groups where the forecast did worse than "no change" are marked.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from placements.analysis.simulate.demand import run_backtest
from placements.analysis.simulate.history import read_history
from placements.cli import app
from placements.io.ssda903.write import write_tables

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _flat(result) -> str:
    return " ".join((result.output or "").split())


@pytest.fixture(scope="module")
def demo_backtest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("bt") / "out"
    result = runner.invoke(app, ["backtest", "--out", str(out)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    return out, _flat(result)


def test_demo_backtest_marks_where_the_forecast_is_worse_than_no_change(demo_backtest: tuple[Path, str]) -> None:
    out, text = demo_backtest
    summary = pd.read_csv(out / "backtest.csv").set_index("group")
    # The figures: the total beats "no change" by 0.6 points (4.4% against 5.0%) ...
    assert (summary.loc["all", "mape_pct"], summary.loc["all", "naive_mape_pct"]) == (4.4, 5.0)
    # ... and the under-1s, foster and residential care do worse than it.
    worse = set(summary.index[summary["worse_than_no_change"]])
    assert worse == {"under 1", "foster", "residential"}
    assert (summary["worse_than_no_change"] == (summary["mape_pct"] > summary["naive_mape_pct"])).all()
    assert "The forecast is worse than 'no change' for: under 1 (37.9% against 30.6%); foster" in text
    assert text.count("WORSE than no change") == 3


def test_demo_backtest_writes_every_month_and_they_agree_with_the_summary(demo_backtest: tuple[Path, str]) -> None:
    out, _ = demo_backtest
    assert sorted(p.name for p in out.iterdir()) == [
        "backtest.csv", "backtest.json", "backtest.png", "backtest_monthly.csv"
    ]  # fmt: skip
    assert (out / "backtest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = pd.read_csv(out / "backtest.csv")
    monthly = pd.read_csv(out / "backtest_monthly.csv", dtype={"date": str})
    assert list(monthly.columns) == ["period", "date", "dimension", "group", "actual", "forecast", "no_change"]
    for r in summary.itertuples():
        m = monthly[(monthly["dimension"] == r.dimension) & (monthly["group"] == r.group)]
        fit, cut, ahead = (m[m["period"] == p] for p in ("fit", "cut", "forecast"))
        assert list(fit["date"])[:2] == ["2021-12-01", "2022-01-01"] and len(fit) == 36
        assert list(cut["date"]) == ["2024-12-01"] and cut["actual"].iloc[0] == r.at_cut
        assert len(ahead) == 23 and ahead["date"].iloc[-1] == "2026-11-01"
        assert (ahead["no_change"] == r.at_cut).all()
        assert ahead["actual"].iloc[-1] == r.actual_end and ahead["forecast"].iloc[-1] == pytest.approx(r.forecast_end)
        # The error in the summary is the mean over the months written (forecasts rounded to 0.1 here).
        a = ahead["actual"].to_numpy()
        ape = np.abs(ahead["forecast"].to_numpy() - a)[a > 0] / a[a > 0]
        assert 100 * ape.mean() == pytest.approx(r.mape_pct, abs=0.15)
        assert 100 * (np.abs(r.at_cut - a[a > 0]) / a[a > 0]).mean() == pytest.approx(r.naive_mape_pct, abs=0.05)
    meta = json.loads((out / "backtest.json").read_text())
    assert (meta["fit_from"], meta["fit_to"], meta["forecast_to"]) == ("2021-12-01", "2024-12-01", "2026-11-01")
    assert meta["history_start"] == "2021-12-01" and meta["forecast_months"] == 23
    assert meta["ages_counted"].startswith("children aged 0-17 looked after on the first of each month")
    assert meta["repeat"].endswith("--fit-from 2021-12 --fit-to 2024-12")
    assert meta["model"]["months"] == 36


def test_the_window_is_choosable_and_the_printed_command_repeats_it(tmp_path: Path) -> None:
    demo = ROOT / "data" / "demo" / "ssda903"
    a, b = tmp_path / "a", tmp_path / "b"
    result = runner.invoke(
        app, ["backtest", str(demo), "--fit-from", "2023-01", "--fit-to", "2025-01", "--out", str(a)]
    )
    assert result.exit_code == 0, result.output
    meta = json.loads((a / "backtest.json").read_text())
    assert (meta["fit_from"], meta["fit_to"], meta["model"]["months"]) == ("2023-01-01", "2025-01-01", 24)
    repeat = meta["repeat"].split()[1:]
    assert repeat[:2] == ["backtest", str(demo)]
    again = runner.invoke(app, [*repeat, "--out", str(b)])
    assert again.exit_code == 0, again.output
    for name in ("backtest.csv", "backtest_monthly.csv", "backtest.png", "backtest.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--fit-from", "2021-13"], "--fit-from: '2021-13' is not a month"),
        (["--fit-to", "2024-12-15"], "the window runs in whole months"),
        (["--fit-from", "2024-01", "--fit-to", "2023-01"], "the window must end after it starts"),
        (["--fit-to", "2026-11"], "leaves no month to forecast (the last cut possible is 2026-10-01)"),
        (["--fit-years", "2", "--fit-to", "2024-01"], "give --fit-to or --fit-years, not both"),
    ],
)
def test_a_window_that_cannot_be_used_is_refused(tmp_path: Path, args: list[str], words: str) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", *args, "--out", str(out)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert words in _flat(result)
    assert not out.exists()


# ---------------------------------------------------------------------------------------------
# The first collection year, and a repaired overlapping episode that once moved it


def _return_history(root: Path) -> Path:
    """Three DfE collection years, 2013-14 to 2015-16, as a return holds them: children who left care
    before 1 April 2013 are not in it. One child's first episode overlaps the next and records a leaving
    (E11) that the reader's repair moves to 1 Sep 2012, seven months before the first year."""
    rng = np.random.default_rng(4)
    first, end = pd.Timestamp("2013-04-01"), pd.Timestamp("2016-04-01")
    episodes, header = [], []
    for k in range(1500):
        day = pd.Timestamp("2008-04-01") + pd.Timedelta(days=int(rng.integers(0, 8 * 365)))
        age = int(rng.integers(0, 17))
        dob = day - pd.Timedelta(days=age * 365 + int(rng.integers(0, 365)))
        leave = day + pd.Timedelta(days=int(rng.geometric(0.03) * 30.4))
        leave = min(leave, dob + pd.DateOffset(years=18))
        if leave < first or day >= end:
            continue  # not looked after during the return's years
        closed = leave < end
        place = str(rng.choice(["U4", "U6", "K2"]))
        episodes.append((f"K{k}", day, "S", place, leave if closed else pd.NaT, "E13" if closed else None))
        header.append((f"K{k}", dob))
    episodes += [
        ("OVER", pd.Timestamp("2012-01-10"), "S", "U4", pd.Timestamp("2013-10-01"), "E11"),
        ("OVER", pd.Timestamp("2012-09-01"), "P", "U6", pd.NaT, None),
    ]
    header.append(("OVER", pd.Timestamp("2005-05-05")))
    ep = pd.DataFrame(episodes, columns=["CHILD", "DECOM", "RNE", "PLACE", "DEC", "REC"])
    head = pd.DataFrame(header, columns=["CHILD", "DOB"]).assign(SEX="1")
    write_tables({"Episodes": ep, "Header": head}, root)
    return root


def test_default_window_starts_at_the_first_collection_year_not_at_a_repaired_leaving(tmp_path: Path) -> None:
    src = _return_history(tmp_path / "903")
    hist = read_history(src)
    rec = hist.episodes["REC"].astype("string")
    # The reader's repair leaves a leaving dated 1 Sep 2012: the first leaving date as it stands.
    assert hist.episodes.loc[rec.notna() & (rec != "X1"), "DEC"].min() == pd.Timestamp("2012-09-01")
    first, _ = hist.span()
    assert pd.Timestamp("2013-04-01") <= first <= pd.Timestamp("2013-04-10")
    assert hist.start() == pd.Timestamp("2013-04-01")
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", str(src), "--fit-years", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "backtest.json").read_text())
    assert (meta["history_start"], meta["fit_from"], meta["fit_to"]) == ("2013-04-01", "2013-04-01", "2015-04-01")
    # Fitting from the repaired date instead (as before) undercounts exits for seven months, and is warned about.
    early = runner.invoke(app, ["backtest", str(src), "--fit-from", "2012-09", "--fit-to", "2015-04", "--out",
                                str(tmp_path / "early")])  # fmt: skip
    assert early.exit_code == 0
    assert "is before the history's first collection year (2013-04-01)" in " ".join(early.output.split())


def test_children_without_a_date_of_birth_are_said_to_be_left_out(tmp_path: Path) -> None:
    src = _return_history(tmp_path / "903")
    hist = read_history(src)
    header = hist.header.copy()
    header.loc[header.index[:5], "DOB"] = pd.NaT
    run = run_backtest(hist.episodes, header, None, pd.Timestamp("2013-04-01").date(),
                       pd.Timestamp("2015-04-01").date(), pd.Timestamp("2016-03-31").date())  # fmt: skip
    assert run.children_without_dob == 5
    full = run_backtest(hist.episodes, hist.header, None, pd.Timestamp("2013-04-01").date(),
                        pd.Timestamp("2015-04-01").date(), pd.Timestamp("2016-03-31").date())  # fmt: skip
    assert full.children_without_dob == 0
