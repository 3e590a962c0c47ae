"""The cohort: one row per child looked after on a date, from SSDA903 tables.

A child is looked after on day d when one of their episodes has DECOM <= d and DEC blank or after
d (the DfE definition). For each such child the row gives the current placement, where it is, how
stable the last 12 months were and whether the next statutory review is overdue. Definitions (in
``docs/ssda903.md`` too):

- **placement start**: the DECOM of the current episode, walked back through earlier episodes that
  join it (DEC of one = DECOM of the next) while the later one's RNE is ``L`` (legal status only);
  **period start** (entering care) walks back through every joining episode.
- **placements in 12 months**: placements (as above, RNE S, P, B, T or U, or after a gap) occupied
  on any day of the 12 months ending on d, i.e. from ``add_months(d, -12) + 1 day`` to d.
- **social workers in 12 months**: distinct SW_ID of SWEpisodes rows covering any such day; blank
  when there is no SWEpisodes table.
- **distance**: the DfE straight line between HOME_POST and PL_POST (full postcodes or sectors),
  rounded to 0.1 mile; blank when either is missing or not in the ONS directory (the DfE writes
  999.9 there), each such postcode an issue. **in_area**: PL_POST's authority equals the child's
  responsible authority (the ``LA`` column when it holds ONS codes, else the ``la_code`` given).
- **review overdue**: the schedule of ``placements.reports.conflicts.reviews`` (first review
  within 20 working days of entering care, second within 3 months, then every 6 months) over the
  reviews held since the period began; blank when there is no Reviews table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from placements import geo
from placements.areas import upper_tier
from placements.calendar import add_months, age_on, next_review
from placements.errors import InputError, Problem
from placements.geo import is_ons_la, normalise_postcode
from placements.io import postcodes
from placements.io.ssda903 import codes
from placements.io.ssda903.read import SSDA903, Issue, read_ssda903
from placements.io.writers import csv_cell

COHORT_COLUMNS = (
    "child_id", "LA", "sex", "date_of_birth", "age", "uasc", "legal_status", "category_of_need",
    "period_start", "episode_start", "place", "placement_type", "setting", "provider", "provider_type",
    "placement_start", "urn", "home_postcode", "placement_postcode", "placement_la", "responsible_la",
    "distance_miles", "in_area", "placements_12m", "social_workers_12m", "last_review", "next_review_due",
    "review_overdue",
)  # fmt: skip


@dataclass(frozen=True)
class Cohort:
    frame: pd.DataFrame
    issues: tuple[Issue, ...]  # postcode issues of the cohort's current episodes


@dataclass(frozen=True)
class _Reviews:
    """What the review schedule reads of a child (``placements.calendar.ReviewRecord``), from the return."""

    entered_care_date: dt.date | None
    review_dates: tuple[dt.date, ...]
    last_review_date: dt.date | None


def looked_after(episodes: pd.DataFrame, day: dt.date) -> pd.Series:
    """True for each episode open on ``day``: DECOM <= day and (DEC blank or DEC > day)."""
    start_ok = episodes["DECOM"].map(lambda d: d is not None and d <= day)
    end_ok = episodes["DEC"].map(lambda d: d is None or d > day)
    return start_ok & end_ok


def _spans(eps: list[dict[str, object]]) -> tuple[list[tuple[dt.date, dt.date | None]], list[int], list[int]]:
    """Placements as (start, end) and, per episode, the index of its placement and its period's first episode."""
    spans: list[tuple[dt.date, dt.date | None]] = []
    placement_of: list[int] = []
    period_first: list[int] = []
    for i, ep in enumerate(eps):
        joins = i > 0 and eps[i - 1]["DEC"] is not None and eps[i - 1]["DEC"] == ep["DECOM"]
        same_place = joins and ep["RNE"] == codes.SAME_PLACEMENT_RNE
        if same_place:
            s, _ = spans[-1]
            spans[-1] = (s, ep["DEC"])  # type: ignore[assignment]
        else:
            spans.append((ep["DECOM"], ep["DEC"]))  # type: ignore[arg-type]
        placement_of.append(len(spans) - 1)
        period_first.append(period_first[-1] if joins else i)
    return spans, placement_of, period_first


def _covers(start: dt.date, end: dt.date | None, first_day: dt.date, last_day: dt.date) -> bool:
    """The half-open span [start, end) holds a day of [first_day, last_day]."""
    return start <= last_day and (end is None or end > first_day)


def _records(frame: pd.DataFrame | None) -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {}
    if frame is None:
        return out
    for rec in frame.to_dict("records"):
        out.setdefault(str(rec["child_id"]), []).append(rec)
    return out


def cohort(data: SSDA903, as_of: dt.date, la_code: str | None = None) -> Cohort:
    """One row per child looked after on ``as_of``, ordered by child_id (see the module docstring)."""
    episodes = data.tables["Episodes"]
    first_day = add_months(as_of, -12) + dt.timedelta(days=1)
    by_child = _records(episodes.sort_values(["child_id", "DECOM"], kind="stable"))
    header = (
        {str(r["child_id"]): r for r in data.tables["Header"].to_dict("records")} if "Header" in data.tables else {}
    )
    uasc = _records(data.tables.get("UASC"))
    reviews = _records(data.tables.get("Reviews"))
    sw = _records(data.tables.get("SWEpisodes"))
    has_reviews = "Reviews" in data.tables
    has_sw = "SWEpisodes" in data.tables

    rows = []
    for child in sorted(by_child):
        eps = by_child[child]
        current = [i for i, ep in enumerate(eps) if ep["DECOM"] <= as_of and (ep["DEC"] is None or ep["DEC"] > as_of)]  # type: ignore[operator]
        if not current:
            continue
        i = current[-1]  # the reader has removed overlaps, so there is one
        ep = eps[i]
        spans, placement_of, period_first = _spans(eps)
        period_start: dt.date = eps[period_first[i]]["DECOM"]  # type: ignore[assignment]
        head = header.get(child, {})
        dob = head.get("DOB")
        sex_raw = head.get("SEX")
        sex = codes.SEX.get(str(sex_raw).upper(), "U") if sex_raw is not None else "U"
        age = None
        if isinstance(dob, dt.date):
            age = age_on(dob, as_of)
        u = [r for r in uasc.get(child, []) if r["DUC"] is None or r["DUC"] > as_of]  # type: ignore[operator]
        place = ep["PLACE"]
        group = codes.PLACE_GROUP.get(str(place)) if place is not None else None
        provider = ep["PLACE_PROVIDER"]
        placements_12m = sum(_covers(s, e, first_day, as_of) for s, e in spans)
        workers = None
        if has_sw:
            workers = len(
                {
                    r["SW_ID"]
                    for r in sw.get(child, [])
                    if _covers(r["SW_DECOM"], r["SW_DEC"], first_day, as_of)  # type: ignore[arg-type]
                }
            )
        held: list[dt.date] = sorted(
            {d for r in reviews.get(child, []) if isinstance(d := r["REVIEW"], dt.date) and period_start <= d <= as_of}
        )
        last_review = held[-1] if held else None
        due = overdue = None
        if has_reviews:
            nxt = next_review(_Reviews(period_start, tuple(held), None), as_of)
            if nxt is not None:
                due = nxt.due
                overdue = as_of > nxt.due
        la = ep.get("LA")
        responsible = la if is_ons_la(la) else la_code
        rows.append(
            {
                "child_id": child,
                "LA": la,
                "sex": sex,
                "date_of_birth": dob,
                "age": age,
                "uasc": bool(u),
                "legal_status": ep["LS"],
                "category_of_need": ep["CIN"],
                "period_start": period_start,
                "episode_start": ep["DECOM"],
                "place": place,
                "placement_type": group,
                "setting": codes.GROUP_SETTING.get(group) if group else None,
                "provider": provider,
                "provider_type": codes.PROVIDERS.get(str(provider)) if provider is not None else None,
                "placement_start": spans[placement_of[i]][0],
                "urn": ep["URN"],
                "home_postcode": ep["HOME_POST"],
                "placement_postcode": ep["PL_POST"],
                "responsible_la": responsible,
                "placements_12m": placements_12m,
                "social_workers_12m": workers,
                "last_review": last_review,
                "next_review_due": due,
                "review_overdue": overdue,
                "_reviews": tuple(held),
                "_file": ep["_file"],
                "_line": ep["_line"],
            }
        )
    frame = pd.DataFrame(rows, columns=list(COHORT_COLUMNS) + ["_reviews", "_file", "_line"], dtype=object)
    issues: list[Issue] = []
    _locate(frame, issues)
    return Cohort(frame, tuple(issues))


def _locate(frame: pd.DataFrame, issues: list[Issue]) -> None:
    """Resolve postcodes, then distance and in/out of area; unknown postcodes are issues, never failures."""
    files = [str(f) for f in frame["_file"]]
    lines = [int(n) for n in frame["_line"]]
    column_of = {"home_postcode": "HOME_POST", "placement_postcode": "PL_POST"}

    def flag(k: int, ssda_col: str, problem: str, action: str) -> None:
        issues.append(Issue("Episodes", files[k], lines[k], ssda_col, problem, action))

    norms: dict[str, list[str | None]] = {}
    for col, ssda_col in column_of.items():
        out: list[str | None] = []
        for k, raw in enumerate(frame[col]):
            norm = normalise_postcode(str(raw)) if isinstance(raw, str) and raw else None
            if isinstance(raw, str) and raw and norm is None:
                flag(k, ssda_col, f"{raw!r} is not a postcode", "kept; distance and area unknown")
            out.append(norm)
        norms[col] = out
    found = postcodes.lookup([p for col in norms.values() for p in col if p])
    for col, ssda_col in column_of.items():
        for k, norm in enumerate(norms[col]):
            if norm is not None and norm not in found:
                flag(
                    k,
                    ssda_col,
                    f"postcode {frame[col].iat[k]!r} is not in the ONS Postcode Directory",
                    "kept; distance unknown (blank, where the DfE writes 999.9)"
                    + ("; area unknown" if col == "placement_postcode" else ""),
                )
    miles: list[float | None] = []
    in_area: list[bool | None] = []
    placement_la: list[str | None] = []
    for k, responsible in enumerate(frame["responsible_la"]):
        home = found.get(norms["home_postcode"][k] or "")
        place = found.get(norms["placement_postcode"][k] or "")
        if home and place:
            miles.append(float(geo.miles(home.easting, home.northing, place.easting, place.northing)))
        else:
            miles.append(None)
        placement_la.append(place.la_code if place else None)
        known = place is not None and place.la_code and isinstance(responsible, str)
        in_area.append(place.la_code == responsible if known else None)  # type: ignore[union-attr]
    frame["distance_miles"] = pd.Series(miles, index=frame.index, dtype=object)
    frame["in_area"] = pd.Series(in_area, index=frame.index, dtype=object)
    frame["placement_la"] = pd.Series(placement_la, index=frame.index, dtype=object)


def cohort_csv(frame: pd.DataFrame, regional: bool = False) -> str:
    """cohort.csv: dates ISO, yes/no flags, blanks for unknown; ``LA`` only for regional data."""
    cols = [c for c in COHORT_COLUMNS if regional or c != "LA"]
    text = pd.DataFrame({c: [csv_cell(v, ".1f") for v in frame[c]] for c in cols}, columns=cols)
    return str(text.to_csv(index=False, lineterminator="\n"))


def responsible_la(
    data: SSDA903, la_code: str | None, policy_la: str | None = None, policy_file: str = "policy.toml"
) -> tuple[str | None, list[Problem], str]:
    """The authority code for in/out of area, and a sentence saying where it came from.

    In order: ``--la-code``; the policy's ``la_code``; the data's ``LA`` column (LIIA extracts) when it
    holds ONS codes (each row its own: the code returned is None) or the names of one authority
    (``placements.io.ofsted_authorities``); else the authority most children's home postcodes
    (``HOME_POST``) lie in. Problems only when none of these gives one.
    """
    from placements.io.ofsted_authorities import code_of

    for given, where, option in ((la_code, "--la-code", "--la-code"), (policy_la, policy_file, "la_code")):
        if given is not None:
            if not is_ons_la(given):
                problem = Problem(where, None, option, f"{given!r} is not an ONS authority code such as E06000018")
                return None, [problem], ""
            return given, [], f"{given} (from {where})"
    episodes = data.tables["Episodes"]
    las = set(episodes["LA"].dropna())
    if las and all(is_ons_la(la) for la in las) and episodes["LA"].notna().all():
        return None, [], f"each row's LA column ({', '.join(sorted(las)[:5])}{', ...' if len(las) > 5 else ''})"
    codes = {code_of(str(la)) for la in las}
    if las and episodes["LA"].notna().all() and None not in codes and len(codes) == 1:
        (code,) = codes
        return code, [], f"{code} (from the LA column: {', '.join(sorted(map(str, las)))})"
    homes = [normalise_postcode(str(p)) for p in episodes["HOME_POST"].dropna()]
    found = postcodes.lookup([p for p in homes if p])
    home_las = pd.Series([upper_tier(found[p].la_code) for p in homes if p in found and found[p].la_code])
    if len(home_las):
        counts = home_las.value_counts()
        code, n = str(counts.index[0]), int(counts.iloc[0])
        if is_ons_la(code):
            said = (
                f"{code} (the most common authority of the children's home postcodes, HOME_POST: "
                f"{n:,} of {len(home_las):,} episodes with a known one)"
            )
            return code, [], said
    if las:
        shown = ", ".join(sorted(map(str, las))[:5])
        why = f"the LA column holds {shown}, which are not ONS codes or the names of one authority"
    else:
        why = "there is no la_code in a policy.toml, no LA column, and no HOME_POST the ONS directory holds"
    problem = Problem(
        "--la-code", None, None, f"give --la-code (the responsible authority's ONS code, e.g. E06000018): {why}"
    )
    return None, [problem], ""


def read_cohort(
    ssda903: Path, day: dt.date, la_code: str | None, policy_la: str | None = None, policy_file: str = "policy.toml"
) -> tuple[SSDA903, Cohort]:
    """Read and build the cohort; ``InputError`` when the data or the authority code cannot be used."""
    data, built, _ = read_cohort_said(ssda903, day, la_code, policy_la, policy_file)
    return data, built


def read_cohort_said(
    ssda903: Path, day: dt.date, la_code: str | None, policy_la: str | None = None, policy_file: str = "policy.toml"
) -> tuple[SSDA903, Cohort, str]:
    """``read_cohort``, and where the responsible authority came from (a sentence)."""
    data = read_ssda903(ssda903)
    code, problems, source = responsible_la(data, la_code, policy_la, policy_file)
    if problems:
        raise InputError(problems)
    return data, cohort(data, day, code), source


def all_issues(data: SSDA903, built: Cohort) -> list[Issue]:
    return list(data.issues) + list(built.issues)
