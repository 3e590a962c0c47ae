"""From SSDA903 to a match: the cohort joined with a supplementary file becomes a case folder.

SSDA903 says who is looked after, where, since when and with which reviews; it does not hold the
assessed needs, sibling groups, suitable settings, permanence plans or who needs a home today.
Those come from a supplementary CSV keyed by ``CHILD`` (columns in ``docs/ssda903.md``), and the
homes from a ``places.csv`` in the case-folder format. The result is the same ``CaseFolder`` that
``read_case_folder`` gives, so ``placements match --ssda903 DIR --supplement FILE --places FILE``
runs the same engine. Every problem names the file, line and column it came from: the
supplement's for what the supplement gave, the SSDA903 file's for what the return gave.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from placements.domain import Child
from placements.errors import InputError, Problem
from placements.geo import normalise_postcode
from placements.instance import Instance, cross_check
from placements.io import postcodes
from placements.io.case_folder import CaseFolder, _read_csv, _Table, near_miss_columns, read_places
from placements.io.ssda903.cohort import Cohort, read_cohort
from placements.io.ssda903.read import SSDA903
from placements.policy import Policy, load_policy

SUPPLEMENT_KEY = "CHILD"

#: Columns the supplement may hold: the case folder's children.csv columns SSDA903 lacks, plus a
#: few it may hold but an authority may want to correct (date of birth and sex only where SSDA903
#: has none; the home postcode and responsible authority override the return's).
SUPPLEMENT_COLUMNS = (
    "status", "current_place_id", "urgency", "sibling_group", "needs", "settings", "lives_with_others",
    "max_distance_miles", "permanence_plan", "plan_date", "assessment_date", "siblings_apart_reason",
    "residential_rationale", "date_of_birth", "sex", "home_postcode", "local_authority",
)  # fmt: skip
FILL_ONLY = ("date_of_birth", "sex")
DEFAULT_STATUS = "placed"


def _date(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else ""


def _from_return(row: pd.Series, header: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Problem]]:
    """A children.csv row from the cohort, and where each value came from (for messages)."""
    ep_file, ep_line = str(row["_file"]), int(row["_line"])
    head = header.get(row["child_id"])
    h_file, h_line = (str(head["_file"]), int(head["_line"])) if head else (ep_file, ep_line)
    values = {
        "child_id": row["child_id"],
        "date_of_birth": _date(row["date_of_birth"]),
        "sex": row["sex"],
        "home_postcode": row["home_postcode"] or "",
        "local_authority": row["responsible_la"] or "",
        "entered_care_date": _date(row["period_start"]),
        "last_review_date": _date(row["last_review"]),
        "review_dates": ";".join(d.isoformat() for d in row["_reviews"]),
    }
    where = {
        "child_id": Problem(h_file, h_line, "CHILD", ""),
        "date_of_birth": Problem(h_file, h_line, "DOB", ""),
        "sex": Problem(h_file, h_line, "SEX", ""),
        "home_postcode": Problem(ep_file, ep_line, "HOME_POST", ""),
        "local_authority": Problem(ep_file, ep_line, "LA", ""),
        "entered_care_date": Problem(ep_file, ep_line, "DECOM", ""),
        "last_review_date": Problem(ep_file, ep_line, "REVIEW", ""),
        "review_dates": Problem(ep_file, ep_line, "REVIEW", ""),
    }
    return values, where


def _supplement(path: Path, problems: list[Problem]) -> tuple[_Table | None, list[Problem]]:
    table = _read_csv(path, (SUPPLEMENT_KEY,), problems)
    if table is None:
        return None, []
    warnings = near_miss_columns(table, set(SUPPLEMENT_COLUMNS) | {SUPPLEMENT_KEY})
    return table, warnings


def build_children(
    built: Cohort, data: SSDA903, supplement: _Table | None, as_of: dt.date, problems: list[Problem]
) -> tuple[list[Child], dict[str, dict[str, Problem]], list[Problem]]:
    """Validate one Child per cohort row; returns the children, each value's source and warnings."""
    header = (
        {str(r["child_id"]): r for r in data.tables["Header"].to_dict("records")} if "Header" in data.tables else {}
    )
    cohort_ids = set(built.frame["child_id"])
    extra: dict[str, dict[str, str]] = {}
    if supplement is not None:
        for row in supplement.rows:
            line = int(row["__line__"])
            key = row.get(SUPPLEMENT_KEY, "")
            if not key:
                problems.append(Problem(str(supplement.path), line, SUPPLEMENT_KEY, "CHILD is blank"))
            elif key in extra:
                first = extra[key]["__line__"]
                problems.append(
                    Problem(str(supplement.path), line, SUPPLEMENT_KEY, f"CHILD {key!r} is also on line {first}")
                )
            elif key not in cohort_ids:
                problems.append(
                    Problem(
                        str(supplement.path),
                        line,
                        SUPPLEMENT_KEY,
                        f"CHILD {key!r} is not looked after on {as_of.isoformat()} in the SSDA903 data",
                    )
                )
            else:
                extra[key] = row
    children: list[Child] = []
    sources: dict[str, dict[str, Problem]] = {}
    missing_rows = 0
    home_found = postcodes.lookup(
        [p for p in (normalise_postcode(str(v)) for v in built.frame["home_postcode"].dropna()) if p]
    )
    for _, row in built.frame.iterrows():
        values, where = _from_return(row, header)
        # A home postcode the directory does not hold is already an SSDA903 issue: no location.
        norm = normalise_postcode(values["home_postcode"]) if values["home_postcode"] else None
        if norm is None or norm not in home_found:
            values["home_postcode"] = ""
        sup = extra.get(row["child_id"])
        if sup is None:
            missing_rows += 1
            values["status"] = DEFAULT_STATUS
        else:
            for col in SUPPLEMENT_COLUMNS:
                given = sup.get(col, "")
                if not given:
                    continue
                if col in FILL_ONLY and values.get(col) and values[col] != "U" and values[col] != given:
                    problems.append(
                        Problem(
                            str(supplement.path) if supplement is not None else "supplement",
                            int(sup["__line__"]),
                            col,
                            f"{given!r} differs from the SSDA903 value {values[col]!r}; correct the return instead",
                        )
                    )
                    continue
                values[col] = given
                where[col] = Problem(str(supplement.path), int(sup["__line__"]), col, "")  # type: ignore[union-attr]
            values.setdefault("status", DEFAULT_STATUS)
            values["status"] = values.get("status") or DEFAULT_STATUS
        sources[row["child_id"]] = where
        child = _child(values, where, problems)
        if child is not None:
            children.append(child)
    warnings = []
    if missing_rows and supplement is not None:
        warnings.append(
            Problem(
                str(supplement.path),
                None,
                SUPPLEMENT_KEY,
                f"{missing_rows} looked-after children have no row here: they are read as placed, with SSDA903 values only",
            )
        )
    return children, sources, warnings


def _child(values: dict[str, Any], where: dict[str, Problem], problems: list[Problem]) -> Child | None:
    found: dict[str, postcodes.Location] = {}
    pc = values.get("home_postcode")
    if pc:
        norm = normalise_postcode(pc)
        w = where["home_postcode"]
        if norm is None:
            problems.append(Problem(w.file, w.row, w.column, f"{pc!r} is not a postcode"))
            return None
        found = postcodes.lookup([norm])
        if norm not in found:
            problems.append(Problem(w.file, w.row, w.column, f"postcode {pc!r} is not in the ONS Postcode Directory"))
            return None
        loc = found[norm]
        values = {
            **values,
            "home_postcode": norm,
            "home_easting": loc.easting,
            "home_northing": loc.northing,
            "home_la": loc.la_code,
        }
    try:
        return Child.model_validate(values)
    except Exception as exc:  # pydantic ValidationError: one problem per field, at its source
        if not isinstance(exc, ValidationError):
            raise
        for e in exc.errors():
            field = str(e["loc"][0]) if e["loc"] else "child_id"
            w = where.get(field) or where["child_id"]
            value = values.get(field, "")
            msg = e["msg"].removeprefix("Value error, ")
            if field == "date_of_birth" and not value:
                msg = "date of birth unknown (blank or unreadable in SSDA903); give date_of_birth in the supplement"
            shown = f" (value {value!r})" if value and "value" not in msg.lower() else ""
            problems.append(Problem(w.file, w.row, w.column, f"child {values['child_id']}: {msg}{shown}"))
        return None


def read_ssda903_case(
    ssda903: Path,
    places: Path,
    supplement: Path | None = None,
    as_of: dt.date | None = None,
    la_code: str | None = None,
    policy_overrides: dict[str, Any] | None = None,
) -> tuple[CaseFolder, SSDA903]:
    """The case folder a match needs, from an SSDA903 return, a supplement and a places file.

    The policy is ``policy.toml`` beside the places file when there is one (as in a case folder),
    else the defaults; ``as_of`` and ``policy_overrides`` override it; ``la_code`` (else the
    policy's) is the responsible authority for rows without an ONS-coded ``LA`` column.
    SSDA903 issues come back as the case folder's warnings.
    """
    problems: list[Problem] = []
    places = Path(places)
    try:
        policy = load_policy(places.parent / "policy.toml")
    except InputError as exc:
        problems.extend(exc.problems)
        policy = Policy()
    given = {k: v for k, v in (policy_overrides or {}).items() if v is not None}
    if as_of is not None:
        given["as_of"] = as_of
    if la_code is not None:
        given["la_code"] = la_code
    try:
        policy = policy.replace(**given)
    except Exception as exc:  # pydantic ValidationError
        problems.append(Problem("option", None, None, str(exc)))
    day = policy.as_of_date()
    data = None
    built = None
    try:
        data, built = read_cohort(Path(ssda903), day, policy.la_code)
    except InputError as exc:
        problems.extend(exc.problems)
    sup_table: _Table | None = None
    warnings: list[Problem] = []
    if supplement is not None:
        sup_table, warnings = _supplement(Path(supplement), problems)
    place_list, places_t, place_warnings = read_places(places, problems)
    warnings += place_warnings
    if data is None or built is None or places_t is None or (supplement is not None and sup_table is None):
        raise InputError(problems)
    children, sources, more = build_children(built, data, sup_table, day, problems)
    warnings += more
    if problems:
        raise InputError(problems)
    for cp in cross_check(tuple(children), tuple(place_list)):
        if cp.table == "children":
            child = children[cp.index]
            w = sources[child.child_id].get(cp.column) or sources[child.child_id]["child_id"]
            problems.append(Problem(w.file, w.row, w.column, f"child {child.child_id}: {cp.message}"))
        else:
            problems.append(Problem(str(places), int(places_t.rows[cp.index]["__line__"]), cp.column, cp.message))
    if problems:
        raise InputError(problems)
    issue_warnings = [i.as_problem() for i in (*data.issues, *built.issues)]
    instance = Instance(children=tuple(children), places=tuple(place_list))
    return CaseFolder(instance, policy, tuple(issue_warnings + warnings)), data
