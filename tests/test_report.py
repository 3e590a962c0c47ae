"""``placements report``: the HTML page, its CSVs and its summary agree, and the page works in a real browser.

The browser test opens the page in headless Chromium (the OS package, driven by Playwright) with the
network cut off, checks every chart drew, reads every table and every number drawn on a chart and
compares them with the CSVs written beside the page, and saves a screenshot to out/report.png.
It skips only when no Chromium can be found, and fails instead when PLACEMENTS_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from placements.cli import app

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KEY = "report-test-key-0123456789"


def small_case(folder: Path, n_children: int = 80) -> Path:
    """The first ``n_children`` of the demo authority with all its homes: a small synthetic authority."""
    folder.mkdir(parents=True, exist_ok=True)
    kids = pd.read_csv(DEMO / "children.csv", dtype=str, keep_default_na=False).iloc[:n_children]
    homes = pd.read_csv(DEMO / "places.csv", dtype=str, keep_default_na=False)
    keep = set(kids["child_id"])
    homes["kinship_for"] = homes["kinship_for"].map(lambda v: ";".join(x for x in v.split(";") if x in keep))
    kids.to_csv(folder / "children.csv", index=False)
    homes.to_csv(folder / "places.csv", index=False)
    shutil.copy(DEMO / "policy.toml", folder / "policy.toml")
    return folder


def _build(case: Path, out: Path, *extra: str) -> Path:
    res = CliRunner().invoke(
        app, ["report", str(case), "--out", str(out / "report.html"), "--time-limit", "20", *extra]
    )
    assert res.exit_code == 0, res.output
    return out


def simulation(case: Path, out: Path) -> Path:
    """A small simulation of ``case``: two scenarios, three months, two runs each (seconds)."""
    base = out.parent / "scenarios"
    base.mkdir(parents=True, exist_ok=True)
    (base / "a.toml").write_text('name = "base"\nhorizon_months = 3\nruns = 2\n', encoding="utf-8")
    (base / "b.toml").write_text(
        'name = "teens"\nhorizon_months = 3\nruns = 2\n[demand]\nentry_multiplier = 1.5\n', encoding="utf-8"
    )
    res = CliRunner().invoke(
        app, ["simulate", str(base / "a.toml"), str(base / "b.toml"), "--case", str(case), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("report")
    case = small_case(base / "case")
    return _build(case, base / "out", "--simulation", str(simulation(case, base / "sim")))


def _csv(out: Path, name: str) -> list[list[str]]:
    with (out / name).open(newline="") as fh:
        return list(csv.reader(fh))


def _frame(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name, keep_default_na=False)


def test_files_beside_the_page(report: Path) -> None:
    html = (report / "report.html").read_text()
    summary = json.loads((report / "report_summary.json").read_text())
    for name in summary["tables"].values():
        assert (report / name).is_file()
        assert f'data-csv="{name}"' in html
    bare = re.sub(r'xmlns(:\w+)?="[^"]*"', "", html)  # SVG namespace names are not fetched
    for banned in ("<script", "<link ", "<img", "http://", "https://", "@import", "url(http"):
        assert banned not in bare
    assert html.count("<svg") >= 3


def key_figures(out: Path) -> dict[str, object]:
    """The key figures by their key (report_summary.json), each checked to be the row of key_figures.csv."""
    summary = json.loads((out / "report_summary.json").read_text())
    rows = _csv(out, "key_figures.csv")
    assert rows[0] == ["figure", "value", "unit", "note"]
    assert len(rows) - 1 == len(summary["key_figures"])
    for row, f in zip(rows[1:], summary["key_figures"], strict=True):
        assert row[0] == f["figure"] and row[2] == f["unit"] and row[3] == f["note"]
        assert (row[1] == "" and f["value"] is None) or float(row[1]) == float(f["value"])
        assert "_" not in f["figure"], f["figure"]  # plain words, never a code name
    return {f["key"]: f["value"] for f in summary["key_figures"]}


def test_summary_csvs_and_page_agree(report: Path) -> None:
    """Same run: the summary's key figures are the key-figure CSV, and the chart tables follow from the gaps."""
    k = key_figures(report)
    mix = _frame(report, "placement_mix.csv").set_index("state")
    gaps = _frame(report, "gaps_summary.csv").set_index("metric")
    age = _frame(report, "gaps_age_band.csv")
    by_rule = _frame(report, "conflicts_by_rule.csv")
    words = {"today": "today", "no_moves": "best, nobody moves", "best": "best, with moves", "ideal": "ideal"}
    needing = {
        "today": "with_a_family_today",
        "no_moves": "with_a_family_nobody_moving",
        "best": "with_a_family_with_moves",
    }
    for state, label in words.items():
        assert mix.loc[label, "foster"] == gaps.loc["in_family", state]
        assert mix.loc[label, ["foster", "supported", "residential", "other", "no home"]].sum() == k["children"]
        assert mix.loc[label, "no home"] == gaps.loc["unplaced", state]
        column = needing.get(state, "need_a_family")
        assert age[column].sum() == gaps.loc["family_as_needed", state]
    assert k["need_a_family"] == age["need_a_family"].sum() == gaps.loc["family_as_needed", "ideal"]
    assert k["need_a_family_with_one_today"] == age["with_a_family_today"].sum()
    assert k["could_have_a_family_with_todays_homes"] == age["with_a_family_with_moves"].sum()
    assert k["family_homes_missing_for"] == len(_frame(report, "gaps_missing.csv")) == age["family_homes_missing"].sum()
    assert k["settled_children_moving"] == len(_frame(report, "gaps_moves.csv"))
    assert k["weekly_cost_best"] == gaps.loc["weekly_cost", "best"]
    assert k["conflicts"] == by_rule["findings"].sum()
    assert k["conflicts_high"] == len(_frame(report, "conflicts_high.csv"))
    options = _frame(report, "recruit_options.csv").set_index("option")
    for option, r in options.iterrows():
        shown = k[f"first_year_cost_{option}"]
        if r["status"] in ("reached", "budget"):
            assert shown == r["first_year_cost"] and k[f"annual_saving_{option}"] == r["annual_saving"]
        else:  # not reached, not proven: no cost and no saving, anywhere
            assert shown is None and k[f"annual_saving_{option}"] is None and r["first_year_cost"] == ""


def test_the_simulation_section(report: Path) -> None:
    """--simulation DIR: the comparison's tables beside the page, a chart per figure, the goals' wrong-way sentences."""
    html = (report / "report.html").read_text()
    comparison = _frame(report, "simulation_comparison.csv")
    assert set(comparison["scenario"]) == {"base", "teens"}
    assert 'id="chart-simulation-under12-residential"' in html
    goals = _frame(report, "simulation_goals.csv")
    wrong = list(goals.loc[goals["verdict"] == "wrong way", "sentence"])
    if wrong:  # listed at the top of the section, in the simulation's own words
        alert = html[html.index('<div class="alert">') :]
        alert = alert[: alert.index("</div>")]
        assert "Moving the wrong way against the authority" in alert
        assert all(s.replace("'", "&#39;") in alert for s in wrong)
    else:
        assert "No figure moves against the authority&#39;s goals" in html and '<div class="alert">' not in html


def test_figures_moving_the_wrong_way_head_the_section(tmp_path: Path) -> None:
    """A folder whose goals.csv finds under-12s in children's homes rising (5 to 15, as issue 12 saw) lists it first."""
    from placements.reports.html.build import _simulation_sections
    from placements.reports.html.simulation import read_simulation

    folder = tmp_path / "sim"
    folder.mkdir()
    (folder / "meta.json").write_text(
        json.dumps({"scenarios": [{"name": "baseline"}], "runs": 10, "horizon_months": 24, "start": "2026-11-23"})
    )
    rows = [("baseline", m, f"2026-{m:02d}", "under12_residential", 4 + m / 3, 5 + m * 10 / 24, 6 + m / 2)
            for m in range(1, 25)]  # fmt: skip
    pd.DataFrame(rows, columns=["scenario", "month", "date", "metric", "p10", "p50", "p90"]).to_csv(
        folder / "bands.csv", index=False
    )
    pd.DataFrame(
        [("baseline", "under12_residential", 12, 15, 18, 0)],
        columns=["scenario", "metric", "p10", "p50", "p90", "change_vs_baseline"],
    ).to_csv(folder / "comparison.csv", index=False)
    said = "baseline: under-12s in residential care rise from 5 in month 1 to 15 in month 24; the goal is fewer"
    pd.DataFrame(
        [("baseline", "under12_residential", "under-12s in residential care", "fewer", "wrong way", said),
         ("baseline", "unplaced", "children waiting for a home", "fewer", "steady", "baseline: steady")],
        columns=["scenario", "figure", "label", "want", "verdict", "sentence"],
    ).to_csv(folder / "goals.csv", index=False)  # fmt: skip
    sections = _simulation_sections(read_simulation(folder))
    assert sections[0].items == (said,) and "wrong way" in sections[0].items_title
    chart = next(s for s in sections if s.chart_id == "chart-simulation-under12-residential")
    assert "5.4 in month 1, 15 in month 24" in chart.reading
    (folder / "bands.csv").write_text("scenario,month\nbaseline,1\n")
    from placements.errors import InputError

    with pytest.raises(InputError) as info:
        read_simulation(folder)
    assert any(p.column == "p50" and p.file.endswith("bands.csv") for p in info.value.problems)


def test_a_folder_that_is_not_a_simulation_is_refused(tmp_path: Path) -> None:
    case = small_case(tmp_path / "case", 20)
    res = CliRunner().invoke(
        app,
        ["report", str(case), "--out", str(tmp_path / "r" / "report.html"), "--no-recruit", "--simulation", str(case)],
    )
    assert res.exit_code == 2 and "bands.csv" in res.output and "not a simulation" in res.output
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_same_run_same_bytes(report: Path, tmp_path: Path) -> None:
    again = _build(small_case(tmp_path / "case"), tmp_path / "out", "--simulation", str(report.parent / "sim"))
    for f in sorted(report.iterdir()):
        assert (again / f.name).read_bytes() == f.read_bytes(), f.name


def test_bad_out_and_missing_key_write_nothing(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["report", str(DEMO), "--out", str(tmp_path / "r" / "report.txt")])
    assert res.exit_code == 2 and "not an .html file" in res.output
    res = CliRunner().invoke(
        app, ["report", str(DEMO), "--out", str(tmp_path / "r" / "report.html"), "--pseudonymise"], env={}
    )
    assert res.exit_code == 2 and "--key-file" in res.output
    bad = tmp_path / "profiles.toml"
    bad.write_text("[profile.x]\nage_min = 3\nage_max = 1\n")
    res = CliRunner().invoke(
        app, ["report", str(DEMO), "--out", str(tmp_path / "r" / "report.html"), "--profiles", str(bad)]
    )
    assert res.exit_code == 2 and str(bad) in res.output
    assert not (tmp_path / "r").exists()


# ------------------------------------------------------------------------------------- in a browser


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("PLACEMENTS_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _need_browser():
    """Playwright and a Chromium, or a skip (a failure when PLACEMENTS_REQUIRE_BROWSER=1)."""
    required = os.environ.get("PLACEMENTS_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        msg = "playwright is not installed: pip install -e '.[test]'"
        pytest.fail(msg) if required else pytest.skip(msg)
    exe = _chromium()
    if exe is None:
        msg = "no Chromium found at /usr/bin/chromium (apt-get install -y chromium) or $PLACEMENTS_CHROMIUM"
        pytest.fail(msg) if required else pytest.skip(msg)
    return sync_playwright, exe


def _num(text: str) -> float:
    return float(text.replace(",", "").replace("£", "").strip())


def _chart_values(out: Path, chart: str) -> list[float]:
    """The numbers a chart should draw, from its CSV."""
    if chart == "chart-placement-mix":
        mix = _frame(out, "placement_mix.csv")
        return [
            float(v)
            for _, r in mix.iterrows()
            for c in ("foster", "supported", "residential", "other", "no home")
            if (v := r[c]) > 0
        ]
    if chart == "chart-gaps-age-band":
        age = _frame(out, "gaps_age_band.csv")
        series = ("need_a_family", "with_a_family_today", "with_a_family_nobody_moving", "with_a_family_with_moves")
        return [float(v) for s in series for v in age[s]]
    if chart == "chart-conflicts":
        return [float(v) for v in _frame(out, "conflicts_by_rule.csv")["findings"]]
    if chart == "chart-recruit":  # only options that reach their target have a cost and a saving to draw
        opt = _frame(out, "recruit_options.csv")
        return [float(v) for _, r in opt.iterrows() for v in (r["first_year_cost"], r["annual_saving"]) if v != ""]
    if chart.startswith("chart-simulation-"):
        metric = chart.removeprefix("chart-simulation-").replace("-", "_")
        bands = _frame(out, "simulation_bands.csv")
        b = bands[bands["metric"] == metric]
        return [float(g.sort_values("month").iloc[-1]["p50"]) for _, g in b.groupby("scenario")]
    raise AssertionError(f"unknown chart {chart}")


def test_report_in_headless_chromium(report: Path) -> None:
    sync_playwright, exe = _need_browser()
    fetched: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
            page = context.new_page()
            page.on("request", lambda r: fetched.append(r.url))
            page.goto((report / "report.html").as_uri(), wait_until="load")
            assert page.title() == "Placement sufficiency report"
            assert [u for u in fetched if not u.startswith("file://")] == []  # opens offline: nothing fetched
            assert fetched == [(report / "report.html").as_uri()]

            charts = page.locator("figure.chart")
            ids = [charts.nth(i).get_attribute("id") for i in range(charts.count())]
            assert {"chart-placement-mix", "chart-gaps-age-band", "chart-recruit", "chart-conflicts"} <= set(ids)
            assert "chart-simulation-under12-residential" in ids
            for chart in ids:
                svg = page.locator(f"#{chart} svg")
                assert svg.count() == 1, chart
                box = svg.bounding_box()
                assert box is not None and box["width"] > 100 and box["height"] > 50, (chart, box)
                assert page.locator(f"#{chart} svg path").count() > 5, chart
                drawn = sorted(
                    _num(t) for t in page.locator(f"#{chart} svg g[id^='{chart}-value-'] text").all_text_contents()
                )
                # Numbers are drawn to one decimal (a simulation's medians of costs have pence).
                assert drawn == pytest.approx(sorted(_chart_values(report, chart)), abs=0.051), chart

            tables = page.locator("table[data-csv]")
            assert tables.count() >= 6
            for i in range(tables.count()):
                table = tables.nth(i)
                name = table.get_attribute("data-csv")
                rows = _csv(report, name)
                head = [h.replace("_", " ") for h in rows[0]]
                assert table.locator("thead th").all_text_contents() == head, name
                body = table.locator("tbody tr")
                assert body.count() == len(rows) - 1, name
                cells = table.locator("tbody td")
                values = (
                    [cells.nth(k).get_attribute("data-value") for k in range(cells.count())]
                    if cells.count() < 400
                    else None
                )
                if values is not None:
                    assert values == [v for r in rows[1:] for v in r], name
                    shown = cells.all_text_contents()
                    for v, s in zip(values, shown, strict=True):
                        try:
                            assert _num(s) == pytest.approx(float(v), abs=0.005), (name, v, s)
                        except ValueError:
                            assert s == v, (name, v, s)
            key_figures(report)
            for chart in ids:  # a sentence under every chart says what it shows
                assert page.locator(f"#{chart}-reading").inner_text().strip(), chart

            shot = ROOT / "out" / "report.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000
        finally:
            browser.close()


def test_pseudonymised_report_in_chromium(tmp_path: Path) -> None:
    """The pseudonymised page opens too, and holds no child id (the full scan is in test_privacy.py)."""
    sync_playwright, exe = _need_browser()
    case = small_case(tmp_path / "case", 40)
    key = tmp_path / "key"
    key.write_text(KEY)
    out = _build(case, tmp_path / "out", "--pseudonymise", "--key-file", str(key), "--no-recruit")
    ids = set(pd.read_csv(case / "children.csv", dtype=str)["child_id"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(offline=True).new_page()
            page.goto((out / "report.html").as_uri())
            text = page.locator("body").inner_text()
            assert "pseudonymised" in text
            assert not [c for c in ids if c in text]
            assert page.locator("figure.chart svg").count() >= 3
        finally:
            browser.close()


def test_a_negative_saving_is_drawn_as_an_extra_cost_and_an_option_not_reached_has_no_bars() -> None:
    from placements.reports.html.charts import RECRUIT_COLOURS, recruit_chart

    options = pd.DataFrame(
        [
            {"target": "Brothers and sisters live together", "status": "reached", "first_year_cost": 85280.0,
             "annual_saving": -5575700.0},
            {"target": "No child under 12 in a children's home", "status": "not reached", "first_year_cost": None,
             "annual_saving": None},
        ]
    )  # fmt: skip
    svg = recruit_chart(options)
    labels = re.findall(r'id="chart-recruit-value-\d+">.*?<text[^>]*>([^<]*)</text>', svg, flags=re.S)
    assert sorted(labels) == ["-5,575,700", "85,280"]  # nothing drawn, not even a zero, for the option not reached
    assert RECRUIT_COLOURS["extra cost"] in svg and "not reached: no cost or saving claimed" in svg
    bars = re.findall(r'<path d="M ([-\d.]+) [-\d.]+ \nL ([-\d.]+) ', svg)
    assert any(float(b) < float(a) for a, b in bars)  # a bar running left of zero
