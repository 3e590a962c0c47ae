"""Result writers. Outputs are written atomically, all or nothing.

Every file of a run is first written into a temporary folder beside the target; only when all
are complete are they moved into place. A failure part-way leaves the target as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from placements.result import MatchResult


def write_files(out_dir: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write ``name -> content`` into ``out_dir`` atomically; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name, content in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)  # names may hold a subfolder ("ssda903/Header.csv")
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name in files:
            final = out_dir / name
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, final)
            written.append(final)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def csv_text(frame: pd.DataFrame) -> str:
    """A table as every output writes it: no index, ten significant digits, Unix line ends."""
    return frame.to_csv(index=False, float_format="%.10g", lineterminator="\n")


def json_text(value: Any) -> str:
    """A JSON output: indented, in the order given, with a final newline."""
    return json.dumps(value, indent=2) + "\n"


def result_files(result: MatchResult) -> dict[str, str]:
    """The four files of a match: matches.csv, shortlist.csv, unplaced.csv, summary.json."""
    summary: dict[str, Any] = result.summary.to_dict()
    return {
        "matches.csv": csv_text(result.matches),
        "shortlist.csv": csv_text(result.shortlist),
        "unplaced.csv": csv_text(result.unplaced),
        "summary.json": json_text(summary),
    }


def write_result(result: MatchResult, out_dir: Path) -> list[Path]:
    return write_files(out_dir, result_files(result))
