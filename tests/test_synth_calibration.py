"""``placements synth --check``: each profile passes its calibration, and a folder that is off fails."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from placements.cli import app
from placements.io.writers import write_files
from placements.synth.calibration import Figure, check, share
from placements.synth.generate import generate

AS_OF = dt.date(2026, 11, 23)
runner = CliRunner()


#: The shipped demo authority is `synth --profile nottingham --seed 1` output (test_synth_demo checks it).
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


@pytest.fixture(scope="module")
def nottingham() -> Path:
    return DEMO


def _failing(folder: Path) -> list[Figure]:
    figs, problems = check(folder)
    assert not problems
    return [f for f in figs if not f.ok]


def test_nottingham_passes(nottingham: Path) -> None:
    result = runner.invoke(app, ["synth", "--check", str(nottingham)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "placed outside the authority" in result.output and "out of tolerance" not in result.output
    shown, total = result.output.split(" figures within tolerance")[0].split()[-3::2]
    assert shown == total and int(total) >= 60


@pytest.mark.slow
@pytest.mark.parametrize(("profile", "scale"), [("england-average", 1.0), ("region", 1.0), ("england", 0.1)])
def test_other_profiles_pass(profile: str, scale: float, tmp_path: Path) -> None:
    write_files(tmp_path, generate(profile, 1, AS_OF, scale=scale))
    assert [f.name for f in _failing(tmp_path)] == []


def test_a_folder_that_is_off_fails(nottingham: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    files = {
        p.relative_to(nottingham).as_posix(): p.read_text(encoding="utf-8")
        for p in nottingham.rglob("*")
        if p.is_file()
    }
    kids = pd.read_csv(nottingham / "children.csv", dtype=str, keep_default_na=False)
    kids["sex"] = "M"  # every child a boy
    files["children.csv"] = kids.to_csv(index=False, lineterminator="\n")
    write_files(broken, files)
    assert {f.name for f in _failing(broken)} >= {"male", "male, excluding UASC"}
    result = runner.invoke(app, ["synth", "--check", str(broken)], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "out of tolerance" in result.output


def test_not_a_synth_folder_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", "--check", str(tmp_path)])
    assert result.exit_code == 2
    assert "file not found" in result.output


def test_share_tolerance_widens_for_small_n() -> None:
    assert share("x", 0.5, 50, 100, "s").tolerance == pytest.approx(0.15)
    assert share("x", 0.5, 5000, 10000, "s").tolerance == pytest.approx(0.02)
    assert share("x", 0.5, 530, 1000, "s").ok  # 3 points off; tolerance 3 * sqrt(0.25 / 1000) = 4.7 points
    assert not share("x", 0.5, 560, 1000, "s").ok
