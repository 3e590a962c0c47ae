"""A wheel built from the source tree, installed into a new virtual environment, runs with no path arguments.

Outside the repository (no ``data/demo`` in the working folder) ``placements match``, ``recruit`` and
``report`` must find the demo authority and the default carer profiles inside the installed package.
The slowest test of the suite (about a minute: the dependencies are installed afresh, from pip's cache).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, f"{cmd} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a new virtual environment holding only the built wheel and its dependencies."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)], base)
    [wheel] = dist.glob("placements-*.whl")
    venv.create(base / "venv", with_pip=True)
    bin_dir = base / "venv" / "bin"
    _run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)], base, timeout=900)
    return bin_dir


def test_the_wheel_ships_the_demo_and_profiles(installed: Path, tmp_path: Path) -> None:
    code = "from placements.resources import demo_folder, default_profiles; print(demo_folder(), default_profiles())"
    where = _run([str(installed / "python"), "-c", code], tmp_path).stdout.split()
    assert all("site-packages" in w for w in where), where
    demo = Path(where[0])
    assert {"children.csv", "places.csv", "policy.toml"} <= {p.name for p in demo.iterdir()}
    assert (demo / "ssda903" / "Episodes.csv").is_file()
    assert Path(where[1]).is_file()


def test_match_recruit_and_report_run_with_no_path_argument(installed: Path, tmp_path: Path) -> None:
    assert not (tmp_path / "data").exists()
    exe = str(installed / "placements")
    _run([exe, "match", "--show", "0", "--out", "m"], tmp_path)
    summary = json.loads((tmp_path / "m" / "summary.json").read_text(encoding="utf-8"))
    assert summary["needing_placement"] == 40 and summary["status"] == "OPTIMAL"
    _run([exe, "recruit", "--time-limit", "5", "--max-iterations", "2", "--out", "r"], tmp_path)
    assert (tmp_path / "r" / "recruit_summary.json").is_file()
    _run(
        [exe, "report", "--time-limit", "10", "--recruit-time-limit", "3", "--recruit-iterations", "2",
         "--out", "rep/report.html"],
        tmp_path,
    )  # fmt: skip
    page = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "<html" in page and "<svg" in page  # charts inline: the page opens offline
    assert (tmp_path / "rep" / "recruit_options.csv").is_file()  # the recruitment section ran
