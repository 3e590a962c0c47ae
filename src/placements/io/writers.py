"""Result writers. Outputs are written atomically, all or nothing.

Every file of a run is first written into a temporary folder beside the target; only when all
are complete are they moved into place. A failure part-way leaves the target as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from placements.errors import InputError, Problem


def write_files(out_dir: Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write ``name -> content`` into ``out_dir`` atomically; returns the paths written.

    A folder that cannot be written (an existing file of that name, no permission) is an
    ``InputError`` naming it, raised before anything is written.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError([Problem(str(out_dir), None, None, "is an existing file, not a folder; choose a folder")])
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as exc:
        raise InputError([Problem(str(out_dir), None, None, f"cannot be written: {exc.strerror}")]) from None
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


def csv_cell(value: object, float_format: str = ".10g") -> str:
    """One value as the case folder writes it: blank for none, yes/no, ISO dates, numbers as ``float_format``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return format(value, float_format)
    return str(value)


def csv_text(frame: pd.DataFrame) -> str:
    """A table as every output writes it: no index, ten significant digits, Unix line ends."""
    return str(frame.to_csv(index=False, float_format="%.10g", lineterminator="\n"))


def json_text(value: Any) -> str:
    """A JSON output: indented, in the order given, with a final newline."""
    return json.dumps(value, indent=2) + "\n"
