"""MatchResult: a small, complete record of one match."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class MatchResult:
    """What ``match`` returns: the proposal, how good it provably is, and the officer's tables."""

    assignment: dict[str, str]  # child_id -> place_id, for children placed
    summary_data: dict[str, Any]
    matches: pd.DataFrame = field(repr=False)
    shortlist: pd.DataFrame = field(repr=False)
    unplaced: pd.DataFrame = field(repr=False)
    as_of: dt.date = dt.date.min
    whole_cohort: bool = False

    @property
    def status(self) -> str:
        return str(self.summary_data["status"])

    def summary(self) -> dict[str, Any]:
        return dict(self.summary_data)

    def to_frame(self) -> pd.DataFrame:
        return self.matches.copy()
