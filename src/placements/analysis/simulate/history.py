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
        the first leaving date marks where counts of entries and exits become complete. A leaving
        date that is also the start of the same child's next episode does not count: that is what
        the reader's repair of overlapping episodes makes (an episode cut short where the next one
        begins), and it can fall months before the first year of the return.
        """
        ep = self.episodes
        rec = ep["REC"].astype("string").str.strip()
        child = ep["CHILD"].astype(str)
        order = ep.assign(_child=child).sort_values(["_child", "DECOM"], kind="stable")
        next_start = order.groupby("_child")["DECOM"].shift(-1).reindex(ep.index)
        leaving = rec.notna() & (rec != "") & (rec != "X1") & ~(ep["DEC"] == next_start).fillna(False)
        dates = ep.loc[leaving, "DEC"]
        first = dates.min() if dates.notna().any() else ep["DECOM"].min()
        last = max(ep["DECOM"].max(), ep["DEC"].max())
        return first, last

    def start(self) -> pd.Timestamp:
        """The first month the history counts in full: the start of its first collection year.

        A DfE collection year begins on 1 April, and an authority's first leaving of the year comes
        within days of it: when a 1 April lies at most 31 days before the first leaving date, the
        history starts there. Otherwise (a synthetic history, or an extract cut on another day) it
        starts at the first whole month from the first leaving date.
        """
        first, _ = self.span()
        april = pd.Timestamp(first.year if first.month >= 4 else first.year - 1, 4, 1)
        if (first - april).days <= 31:
            return april
        month = pd.Timestamp(first.year, first.month, 1)
        return month if month == first else month + pd.DateOffset(months=1)


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
