"""Supply dynamics: the register of homes month by month.

Why each piece is there:

- **Carers leave** at the national rate (Ofsted 2024: 4,820 of 42,615 households a year), more
  often when older: each household gets a carer age group at the start (about 65% over 50) and the
  monthly chance of leaving is scaled by ``leaving_ratio`` so the average stays the annual rate.
- **Carers join** as copies of today's households (``foster_joining_per_year``, Ofsted 2024: 4,055
  of 42,615) and from a scenario's campaigns, by carer profile.
- **Other authorities** use the same homes: each of their children leaves with the monthly
  turnover, and each vacancy is taken by another authority at a rate that keeps their share of the
  homes steady in expectation (``take = turnover * theirs / vacant``, per setting, from day one).
- **Prices** inflate by setting, monthly compounding of the annual rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placements.analysis.simulate.scenario import CARER_AGE_GROUPS, Supply
from placements.codes import Setting

#: A carer moves up an age group after ten years on average.
AGE_GROUP_STEP_PER_MONTH = 1 / 120


def monthly(annual: float) -> float:
    """The monthly chance equivalent to an annual one."""
    return 1.0 - (1.0 - annual) ** (1.0 / 12.0)


@dataclass(frozen=True)
class SupplyRates:
    leave_by_group: np.ndarray  # monthly chance of leaving, per carer age group
    age_shares: np.ndarray
    take_by_setting: dict[Setting, float]
    turnover: float


def supply_rates(supply: Supply, vacant: dict[Setting, int], theirs: dict[Setting, int]) -> SupplyRates:
    shares = np.array([supply.carer_age_shares.get(g, 0.0) for g in CARER_AGE_GROUPS], dtype=float)
    shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(shares), 1 / len(shares))
    ratio = np.array([supply.leaving_ratio.get(g, 1.0) for g in CARER_AGE_GROUPS], dtype=float)
    mean = float((shares * ratio).sum()) or 1.0
    leave = np.clip(monthly(supply.foster_leaving_per_year) * ratio / mean, 0.0, 1.0)
    r = supply.other_la_turnover_per_month
    take = {s: (min(r * theirs.get(s, 0) / vacant[s], 0.5) if vacant.get(s) else 0.0) for s in Setting}
    return SupplyRates(leave, shares, take, r)
