"""The three SSDA903 tables the demand model needs (Header, Episodes, UASC), from the project's reader.

``placements.io.ssda903.read.read_ssda903`` does the work (tables known by their columns, years
in sub-folders, DD/MM/YYYY or ISO dates, episodes repeated across years merged, repairs listed as
issues); this module only turns its tables into the frames ``demand.fit_demand`` takes, with dates
as datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from placements.errors import InputError, Problem
from placements.io.ssda903.read import read_ssda903
from placements.io.ssda903.schema import DATE_COLUMNS


@dataclass(frozen=True)
class History:
    header: pd.DataFrame
    episodes: pd.DataFrame
    uasc: pd.DataFrame

    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The period the history covers: from the first child leaving care to the last date it holds.

        A multi-year return holds every episode of the children in care during its years, some
        begun long before; only leaving care is recorded for the years covered and no earlier, so
        the first leaving date marks where counts of entries and exits become complete.
        """
        ep = self.episodes
        rec = ep["REC"].astype("string").str.strip()
        leaving = ep.loc[rec.notna() & (rec != "") & (rec != "X1"), "DEC"]
        first = leaving.min() if leaving.notna().any() else ep["DECOM"].min()
        last = max(ep["DECOM"].max(), ep["DEC"].max())
        return first, last


def _frame(tables: object, name: str) -> pd.DataFrame:
    frame = tables.frame(name).copy()  # type: ignore[attr-defined]
    for col in DATE_COLUMNS[name]:
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col])
    return frame


def read_history(folder: Path) -> History:
    """Header, Episodes and UASC of the SSDA903 return(s) under ``folder``."""
    tables = read_ssda903(Path(folder))
    history = History(_frame(tables, "Header"), _frame(tables, "Episodes"), _frame(tables, "UASC"))
    if history.episodes.empty or history.header.empty:
        raise InputError(
            [Problem(str(folder), None, None, "no SSDA903 episodes or header rows to fit the demand model on")]
        )
    return history
