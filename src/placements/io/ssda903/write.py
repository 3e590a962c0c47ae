"""Write SSDA903 tables as the DfE CSV return: one file per table, DD/MM/YYYY dates, atomically.

The synthetic generator and the round-trip tests use it; it writes exactly the columns of
``schema.TABLES`` (plus ``LA`` and ``YEAR`` first for the regional variant), so any tool that
reads the DfE return reads what it writes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from placements.io.ssda903.schema import DATE_COLUMNS, DFE_DATE_FORMAT, REGIONAL_COLUMNS, TABLES
from placements.io.writers import write_files


def _format_date(value: object, date_format: str) -> str:
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, float) and pd.isna(value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.strftime(date_format)
    if pd.isna(value):
        return ""
    raise TypeError(f"not a date: {value!r}")


def _format_cell(value: object) -> str:
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, float):
        if pd.isna(value):
            return ""
        if value.is_integer():
            return str(int(value))
        return f"{value:.10g}"
    return str(value)


def table_csv(name: str, frame: pd.DataFrame, date_format: str = DFE_DATE_FORMAT, regional: bool = False) -> str:
    """One table as CSV text, columns in the DfE order; missing optional columns are left blank."""
    if name not in TABLES:
        raise KeyError(f"unknown SSDA903 table {name!r}; known: {', '.join(TABLES)}")
    columns = (REGIONAL_COLUMNS if regional else ()) + TABLES[name]
    extra = [c for c in frame.columns if c not in columns]
    if extra:
        raise ValueError(f"table {name}: columns not in the SSDA903 schema: {', '.join(map(str, extra))}")
    if "CHILD" not in frame.columns and len(frame):
        raise ValueError(f"table {name}: no CHILD column")
    dates = set(DATE_COLUMNS.get(name, ()))
    out = {}
    for column in columns:
        if column not in frame.columns:
            out[column] = [""] * len(frame)
        elif column in dates:
            out[column] = [_format_date(v, date_format) for v in frame[column]]
        else:
            out[column] = [_format_cell(v) for v in frame[column]]
    text = pd.DataFrame(out, columns=list(columns), dtype=object)
    return str(text.to_csv(index=False, lineterminator="\n"))


def write_tables(
    tables: dict[str, pd.DataFrame],
    folder: Path,
    date_format: str = DFE_DATE_FORMAT,
    regional: bool = False,
) -> list[Path]:
    """Write each table to ``folder/<Name>.csv`` (all or nothing); returns the paths written.

    Date columns may hold ``datetime.date``, ``Timestamp``, ``NaT``/None (written blank) or text
    already formatted. Other cells are written as text; whole floats (pandas' view of an integer
    column with blanks) lose their ``.0``.
    """
    files = {f"{name}.csv": table_csv(name, frame, date_format, regional) for name, frame in tables.items()}
    return write_files(Path(folder), files)
