"""Demand model: who comes into care, who leaves, who moves, fitted to SSDA903 history.

A stock-and-flow model in the manner of the sector's demand models (Social Finance / Data to
Insight ``cs-demand-model``): monthly entry rates by single year of age (asylum seekers apart),
where entrants first live, monthly exit and move hazards by setting and age band, and where movers
go. Hazards are events divided by child-months at risk, taken from month-start snapshots of the
episodes. Leaving care at 18 is not a hazard: the simulation and the projection age children
out on their birthday, so exits at 18 or over are left out of the fit.

``project`` runs the model forward in expectation (no matching: SSDA903 knows nothing of carers),
which is what ``backtest`` scores against the later years of a history. The simulation draws
from the same rates at random and lets the matching engine decide where children live.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from placements.codes import AGE_BANDS

#: Settings of the demand model: the three on the register, and "other" for children placed with
#: parents, placed for adoption, in temporary or other arrangements.
SETTINGS: tuple[str, ...] = ("foster", "residential", "supported", "other")
BANDS: tuple[str, ...] = tuple(label for label, _, _ in AGE_BANDS)
MAX_AGE = 17
AGES = np.arange(MAX_AGE + 1)
BAND_OF_AGE = np.array([next(k for k, (_, lo, hi) in enumerate(AGE_BANDS) if lo <= a <= hi) for a in AGES])

#: SSDA903 PLACE codes by setting; anything else is "other" (P1, A3-A6, T0-T4, Z1, ...).
PLACE_SETTING: dict[str, str] = {
    **{f"U{i}": "foster" for i in range(1, 7)},
    **{code: "residential" for code in ("K1", "K2", "R1", "R2", "R3", "R5", "S1")},
    **{code: "supported" for code in ("K3", "H5", "P2")},
}
MOVE_RNE = ("P", "B")  # a new episode with a change of carer


def setting_of(place: pd.Series) -> pd.Series:
    return place.astype("string").str.strip().map(PLACE_SETTING).fillna("other")


def age_years(dob: pd.Series, day: pd.Series | pd.Timestamp) -> np.ndarray:
    """Whole years between two datetime columns (or a column and a day)."""
    dob = pd.to_datetime(dob)
    day = pd.to_datetime(day)
    dy = getattr(day, "dt", day)
    years = dy.year - dob.dt.year - ((dy.month < dob.dt.month) | ((dy.month == dob.dt.month) & (dy.day < dob.dt.day)))
    return np.asarray(years, dtype=np.int64)


class DemandModel(BaseModel):
    """Monthly rates. Arrays are nested lists so the model is plain JSON in a results folder."""

    model_config = ConfigDict(frozen=True)

    source: str
    fitted_from: str
    fitted_to: str
    months: int
    entries: list[float]  # per month, by age 0..17, excluding asylum seekers
    uasc_entries: list[float]  # per month, by age 0..17
    entry_setting: list[list[float]]  # band x setting: where entrants first live (rows sum to 1)
    exit_hazard: list[list[float]]  # setting x band, per month
    move_hazard: list[list[float]]  # setting x band, per month
    move_to: list[list[list[float]]]  # setting x band x setting: where movers go (rows sum to 1)

    def entries_per_month(self) -> float:
        return float(sum(self.entries) + sum(self.uasc_entries))


# ------------------------------------------------------------------------------------------------
# History: the episodes as the fit needs them.


def prepare(episodes: pd.DataFrame, header: pd.DataFrame) -> pd.DataFrame:
    """Episodes with DOB, setting and the previous episode's setting; input frames are not changed.

    Only children with a known date of birth can be given an age, so only they are counted:
    ``attrs["children_without_dob"]`` says how many children of the episodes were left out (not in
    the header, or their DOB blank).
    """
    ep = episodes[["CHILD", "DECOM", "RNE", "PLACE", "DEC", "REC"]].copy()
    ep["CHILD"] = ep["CHILD"].astype(str)
    ep["DECOM"] = pd.to_datetime(ep["DECOM"])
    ep["DEC"] = pd.to_datetime(ep["DEC"])
    dob = header[["CHILD", "DOB"]].copy()
    dob["CHILD"] = dob["CHILD"].astype(str)
    dob["DOB"] = pd.to_datetime(dob["DOB"])
    dob = dob[dob["DOB"].notna()]
    everyone = ep["CHILD"].nunique()
    ep = ep.merge(dob.drop_duplicates("CHILD"), on="CHILD", how="inner")
    ep = ep.sort_values(["CHILD", "DECOM"], kind="stable").reset_index(drop=True)
    ep["setting"] = setting_of(ep["PLACE"])
    ep["prev_setting"] = ep.groupby("CHILD")["setting"].shift(1)
    ep["RNE"] = ep["RNE"].astype("string").str.strip()
    ep["REC"] = ep["REC"].astype("string").str.strip()
    ep.attrs["children_without_dob"] = int(everyone - ep["CHILD"].nunique())
    return ep


def stock_on(ep: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Children looked after on ``day`` (DECOM <= day < DEC), with age and setting, under 18 only."""
    on = ep[(ep["DECOM"] <= day) & (ep["DEC"].isna() | (ep["DEC"] > day))]
    on = on.drop_duplicates("CHILD", keep="last")
    ages = age_years(on["DOB"], day)
    keep = (ages >= 0) & (ages <= MAX_AGE)
    return pd.DataFrame(
        {"CHILD": on["CHILD"].to_numpy()[keep], "age": ages[keep], "setting": on["setting"].to_numpy()[keep]}
    )


def stock_matrix(ep: pd.DataFrame, day: pd.Timestamp) -> np.ndarray:
    """Counts by age 0..17 x setting on ``day``."""
    s = stock_on(ep, day)
    out = np.zeros((MAX_AGE + 1, len(SETTINGS)))
    np.add.at(out, (s["age"].to_numpy(), s["setting"].map(SETTINGS.index).to_numpy(dtype=np.int64)), 1)
    return out


def _month_starts(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(start, end - pd.Timedelta(days=1), freq="MS")


def fit_demand(
    episodes: pd.DataFrame,
    header: pd.DataFrame,
    uasc: pd.DataFrame | None,
    start: dt.date | pd.Timestamp,
    end: dt.date | pd.Timestamp,
    source: str = "SSDA903",
) -> DemandModel:
    """Fit monthly rates on ``[start, end)`` (``start`` a first of the month) from the canonical tables."""
    ep = prepare(episodes, header)
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    months = _month_starts(start, end)
    if len(months) == 0:
        raise ValueError(f"the fit window {start.date()}..{end.date()} holds no whole month")
    n_s, n_b = len(SETTINGS), len(BANDS)
    exposure = np.zeros((n_s, n_b))
    for day in months:
        m = stock_matrix(ep, day)
        for b in range(n_b):
            exposure[:, b] += m[b == BAND_OF_AGE].sum(axis=0)
    in_window = lambda col: (ep[col] >= start) & (ep[col] < end)  # noqa: E731
    uasc_ids = set(uasc["CHILD"].astype(str)) if uasc is not None and len(uasc) else set()

    # Entries: a new care period (RNE S).
    ent = ep[in_window("DECOM") & (ep["RNE"] == "S")]
    ent_age = age_years(ent["DOB"], ent["DECOM"])
    ok = (ent_age >= 0) & (ent_age <= MAX_AGE)
    ent, ent_age = ent[ok], ent_age[ok]
    is_uasc = ent["CHILD"].isin(uasc_ids).to_numpy()
    entries = np.bincount(ent_age[~is_uasc], minlength=MAX_AGE + 1) / len(months)
    uasc_entries = np.bincount(ent_age[is_uasc], minlength=MAX_AGE + 1) / len(months)
    entry_setting = np.zeros((n_b, n_s))
    np.add.at(entry_setting, (BAND_OF_AGE[ent_age], ent["setting"].map(SETTINGS.index).to_numpy(dtype=np.int64)), 1)

    # Exits before 18: an episode ending for a reason other than X1 (a new episode the same day).
    ex = ep[in_window("DEC") & ep["REC"].notna() & (ep["REC"] != "X1")]
    ex_age = age_years(ex["DOB"], ex["DEC"])
    ok = (ex_age >= 0) & (ex_age <= MAX_AGE)
    ex, ex_age = ex[ok], ex_age[ok]
    exits = np.zeros((n_s, n_b))
    np.add.at(exits, (ex["setting"].map(SETTINGS.index).to_numpy(dtype=np.int64), BAND_OF_AGE[ex_age]), 1)

    # Moves: a new episode with a change of carer, counted against the setting left.
    mv = ep[in_window("DECOM") & ep["RNE"].isin(MOVE_RNE) & ep["prev_setting"].notna()]
    mv_age = age_years(mv["DOB"], mv["DECOM"])
    ok = (mv_age >= 0) & (mv_age <= MAX_AGE)
    mv, mv_age = mv[ok], mv_age[ok]
    frm = mv["prev_setting"].map(SETTINGS.index).to_numpy(dtype=np.int64)
    to = mv["setting"].map(SETTINGS.index).to_numpy(dtype=np.int64)
    moves = np.zeros((n_s, n_b))
    np.add.at(moves, (frm, BAND_OF_AGE[mv_age]), 1)
    move_to = np.zeros((n_s, n_b, n_s))
    np.add.at(move_to, (frm, BAND_OF_AGE[mv_age], to), 1)

    return DemandModel(
        source=source,
        fitted_from=start.date().isoformat(),
        fitted_to=end.date().isoformat(),
        months=len(months),
        entries=_r(entries),
        uasc_entries=_r(uasc_entries),
        entry_setting=_r(_rows(entry_setting)),
        exit_hazard=_r(_hazard(exits, exposure)),
        move_hazard=_r(_hazard(moves, exposure)),
        move_to=_r(_rows(move_to)),
    )


def _hazard(events: np.ndarray, exposure: np.ndarray) -> np.ndarray:
    """Events per child-month; a cell with no exposure borrows its setting's overall rate."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cell = events / exposure
        overall = events.sum(axis=1) / exposure.sum(axis=1)
    overall = np.nan_to_num(overall)
    return np.clip(np.where(exposure > 0, cell, overall[:, None]), 0.0, 1.0)


def _rows(counts: np.ndarray) -> np.ndarray:
    """Normalise the last axis to shares; an empty row becomes the pooled shares."""
    total = counts.sum(axis=-1, keepdims=True)
    pooled = counts.reshape(-1, counts.shape[-1]).sum(axis=0)
    pooled = pooled / pooled.sum() if pooled.sum() > 0 else np.full(counts.shape[-1], 1.0 / counts.shape[-1])
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / total
    return np.where(total > 0, shares, pooled)


def _r(a: np.ndarray) -> list:
    return np.round(np.asarray(a, dtype=float), 8).tolist()


# ------------------------------------------------------------------------------------------------
# Projection and backtest.


def project(model: DemandModel, stock: np.ndarray, months: int) -> np.ndarray:
    """Expected stock (age 0..17 x setting) after each of ``months`` months, from ``stock``."""
    exit_h = np.array(model.exit_hazard)[:, BAND_OF_AGE].T  # age x setting
    move_h = np.array(model.move_hazard)[:, BAND_OF_AGE].T
    move_to = np.array(model.move_to)[:, BAND_OF_AGE, :].transpose(1, 0, 2)  # age x from x to
    entries = (np.array(model.entries) + np.array(model.uasc_entries))[:, None] * np.array(model.entry_setting)[
        BAND_OF_AGE
    ]
    s = np.asarray(stock, dtype=float).copy()
    out = np.zeros((months, *s.shape))
    for m in range(months):
        s = s * (1 - exit_h)
        moving = s * move_h
        s = s - moving + np.einsum("af,aft->at", moving, move_to)
        up = s / 12.0  # a twelfth of each year of age has a birthday this month
        s = s - up
        s[1:] += up[:-1]  # those turning 18 leave care
        s = s + entries
        out[m] = s
    return out


#: Which children the backtest counts, said in every output (stock_on's rule).
AGES_COUNTED = (
    "children aged 0-17 looked after on the first of each month (DECOM <= day < DEC), by their age that day; "
    "children without a known date of birth are not counted"
)


@dataclass(frozen=True)
class Backtest:
    """A backtest's figures: per group at the end and over every month, and the model it fitted.

    ``summary``: one row per (dimension, group): stock at the cut, actual and forecast at the end,
    the error at the end, the mean absolute percentage error over the forecast months, the same for
    the naive forecast "no change" (the stock stays as it was at the cut), and whether the forecast
    did worse than that. ``monthly``: every month start from the start of the fit window to the end,
    the actual stock, and after the cut the forecast and the no-change figure.
    """

    summary: pd.DataFrame
    monthly: pd.DataFrame
    model: DemandModel
    fit_from: dt.date
    fit_to: dt.date
    forecast_to: dt.date
    children_without_dob: int


def run_backtest(
    episodes: pd.DataFrame,
    header: pd.DataFrame,
    uasc: pd.DataFrame | None,
    fit_from: dt.date,
    fit_to: dt.date,
    last: dt.date,
) -> Backtest:
    """Fit on ``[fit_from, fit_to)``, project from the stock on ``fit_to`` to each month start up to ``last``."""
    model = fit_demand(episodes, header, uasc, fit_from, fit_to)
    ep = prepare(episodes, header)
    cut_ts = pd.Timestamp(fit_to)
    days = [d for d in pd.date_range(cut_ts, pd.Timestamp(last), freq="MS") if d > cut_ts]
    if not days:
        raise ValueError("no month start between the cut and the end of the history to forecast")
    start_stock = stock_matrix(ep, cut_ts)
    forecast = project(model, start_stock, len(days))
    actual = np.stack([stock_matrix(ep, d) for d in days])
    before = list(pd.date_range(pd.Timestamp(fit_from), cut_ts, freq="MS"))  # the fit window and the cut
    history = np.stack([stock_matrix(ep, d) for d in before])
    rows: list[dict[str, object]] = []
    monthly: list[tuple[object, ...]] = []

    def add(dim: str, group: str, ages: np.ndarray, settings: np.ndarray) -> None:
        f, a, h = (x[..., ages, :][..., settings].sum(axis=(-2, -1)) for x in (forecast, actual, history))
        s0 = float(h[-1])
        with np.errstate(invalid="ignore", divide="ignore"):
            ape = np.abs(f - a) / a
            naive = np.abs(s0 - a) / a
        mape = float(100 * np.nanmean(np.where(a > 0, ape, np.nan))) if (a > 0).any() else None
        naive_mape = float(100 * np.nanmean(np.where(a > 0, naive, np.nan))) if (a > 0).any() else None
        rows.append(
            {
                "dimension": dim,
                "group": group,
                "at_cut": round(s0, 1),
                "actual_end": round(float(a[-1]), 1),
                "forecast_end": round(float(f[-1]), 1),
                "error_end_pct": round(float(100 * (f[-1] - a[-1]) / a[-1]), 1) if a[-1] else None,
                "mape_pct": None if mape is None else round(mape, 1),
                "naive_mape_pct": None if naive_mape is None else round(naive_mape, 1),
                "worse_than_no_change": None if mape is None or naive_mape is None else bool(mape > naive_mape),
            }
        )
        for d, v in zip(before, h, strict=True):
            monthly.append(("fit" if d < cut_ts else "cut", d.date().isoformat(), dim, group, float(v), None, None))
        for d, v, fv in zip(days, a, f, strict=True):
            monthly.append(("forecast", d.date().isoformat(), dim, group, float(v), round(float(fv), 1), s0))

    every_age, every_setting = np.ones(len(AGES), dtype=bool), np.ones(len(SETTINGS), dtype=bool)
    add("total", "all", every_age, every_setting)
    for b, label in enumerate(BANDS):
        add("age band", label, np.equal(BAND_OF_AGE, b), every_setting)
    for k, label in enumerate(SETTINGS):
        add("setting", label, every_age, np.arange(len(SETTINGS)) == k)
    summary = pd.DataFrame(rows)
    cols = ["period", "date", "dimension", "group", "actual", "forecast", "no_change"]
    return Backtest(
        summary=summary,
        monthly=pd.DataFrame(monthly, columns=cols),
        model=model,
        fit_from=pd.Timestamp(fit_from).date(),
        fit_to=cut_ts.date(),
        forecast_to=days[-1].date(),
        children_without_dob=int(ep.attrs["children_without_dob"]),
    )


def backtest(
    episodes: pd.DataFrame,
    header: pd.DataFrame,
    uasc: pd.DataFrame | None,
    first: dt.date,
    cut: dt.date,
    last: dt.date,
) -> pd.DataFrame:
    """``run_backtest``'s summary, with the forecast's length and the fit window in ``attrs``."""
    run = run_backtest(episodes, header, uasc, first, cut, last)
    frame = run.summary
    frame.attrs["months"] = int((run.monthly["period"] == "forecast").sum() // len(frame))
    frame.attrs["fit"] = f"{run.model.fitted_from}..{run.model.fitted_to}"
    return frame


# ------------------------------------------------------------------------------------------------
# Without history: rates from the case folder and national figures.

#: Chance a placement ends in a month when no history says otherwise: about one move in four
#: children a year (DfE 2024: 10% had three or more placements in the year). An assumption.
FALLBACK_MOVE_HAZARD = 0.02


def fallback_demand(
    ages: np.ndarray, settings: np.ndarray, entered_ages: np.ndarray, uasc_entered: np.ndarray, as_of: dt.date
) -> DemandModel:
    """A model from one day's cohort: entries from the last year's entrants still in care (an undercount
    of short stays), exits set so the population is stationary, a flat move rate.

    ``ages``/``settings`` describe today's cohort (setting names of ``SETTINGS``); ``entered_ages``
    are ages at entry of children who entered in the last 12 months, ``uasc_entered`` flags them.
    """
    n_s, n_b = len(SETTINGS), len(BANDS)
    entries = np.bincount(entered_ages[~uasc_entered], minlength=MAX_AGE + 1)[: MAX_AGE + 1] / 12.0
    uasc_entries = np.bincount(entered_ages[uasc_entered], minlength=MAX_AGE + 1)[: MAX_AGE + 1] / 12.0
    n = max(len(ages), 1)
    age_outs = (ages == MAX_AGE).sum() / 12.0
    hazard = max((entries.sum() + uasc_entries.sum() - age_outs) / n, 0.0)
    entry_setting = np.zeros((n_b, n_s))
    s_idx = np.array([SETTINGS.index(s) for s in settings], dtype=np.int64)
    np.add.at(entry_setting, (BAND_OF_AGE[np.clip(ages, 0, MAX_AGE)], s_idx), 1)
    move_to = np.zeros((n_s, n_b, n_s))
    move_to[:, :, :] = _rows(entry_setting)[None, :, :]
    return DemandModel(
        source="case folder (no SSDA903 history): entrants of the last 12 months still in care; exits keep the cohort stationary",
        fitted_from=(as_of - dt.timedelta(days=365)).isoformat(),
        fitted_to=as_of.isoformat(),
        months=12,
        entries=_r(entries),
        uasc_entries=_r(uasc_entries),
        entry_setting=_r(_rows(entry_setting)),
        exit_hazard=_r(np.full((n_s, n_b), hazard)),
        move_hazard=_r(np.full((n_s, n_b), FALLBACK_MOVE_HAZARD)),
        move_to=_r(move_to),
    )
