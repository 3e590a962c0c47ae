"""Where a simulation starts: the case folder's children and homes, and a demand model.

The demand model is fitted to the authority's SSDA903 history when there is one (the case
folder's ``ssda903/`` sub-folder, or ``--ssda903 DIR``): the last ``FIT_MONTHS`` whole months
before the as-of date. Without history it falls back to rates read off the case folder itself
(``demand.fallback_demand``) and says so.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from placements.analysis.simulate.demand import MAX_AGE, DemandModel, fallback_demand, fit_demand
from placements.analysis.simulate.history import History, read_history
from placements.codes import Need, Status
from placements.instance import Instance
from placements.policy import Policy

FIT_MONTHS = 36


def history_dir(case_dir: Path, ssda903: Path | None) -> Path | None:
    if ssda903 is not None:
        return ssda903
    inside = Path(case_dir) / "ssda903"
    return inside if inside.is_dir() else None


def fit_window(
    history: History,
    as_of: dt.date,
    months: int = FIT_MONTHS,
    fit_from: dt.date | None = None,
    fit_to: dt.date | None = None,
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The fit window ``[start, end)``: as given, else the last ``months`` whole months before ``as_of``
    that the history covers (never before its first collection year, ``History.start``)."""
    end = pd.Timestamp(fit_to) if fit_to is not None else pd.Timestamp(as_of.year, as_of.month, 1)
    if fit_from is not None:
        return pd.Timestamp(fit_from), end
    return max(end - pd.DateOffset(months=months), history.start()), end


def demand_from_history(
    history: History, as_of: dt.date, source: str, fit_from: dt.date | None = None, fit_to: dt.date | None = None
) -> DemandModel:
    start, end = fit_window(history, as_of, fit_from=fit_from, fit_to=fit_to)
    return fit_demand(history.episodes, history.header, history.uasc, start, end, source=source)


def demand_from_case(instance: Instance, policy: Policy) -> DemandModel:
    as_of = policy.as_of_date()
    place_setting = {p.place_id: p.setting.value for p in instance.places}
    ages, settings, entered, uasc = [], [], [], []
    for c in instance.children:
        age = c.age_on(as_of)
        if age > MAX_AGE or age < 0:
            continue
        ages.append(age)
        if c.status is Status.NEEDS_PLACEMENT or c.current_place_id is None:
            settings.append("other" if c.status is Status.PLACED else "foster")
        else:
            settings.append(place_setting[c.current_place_id])
        if c.entered_care_date is not None and 0 <= (as_of - c.entered_care_date).days < 365:
            entered.append(min(max(c.age_on(c.entered_care_date), 0), MAX_AGE))
            uasc.append(Need.UASC in c.needs)
    return fallback_demand(
        np.array(ages, dtype=np.int64), np.array(settings, dtype=object), np.array(entered, dtype=np.int64),
        np.array(uasc, dtype=bool), as_of,
    )  # fmt: skip


def load_demand(
    case_dir: Path,
    instance: Instance,
    policy: Policy,
    ssda903: Path | None,
    fit_from: dt.date | None = None,
    fit_to: dt.date | None = None,
) -> DemandModel:
    folder = history_dir(case_dir, ssda903)
    if folder is None:
        return demand_from_case(instance, policy)
    return demand_from_history(
        read_history(folder), policy.as_of_date(), f"SSDA903 history in {folder}", fit_from, fit_to
    )
