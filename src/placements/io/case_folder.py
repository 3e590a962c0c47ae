"""Read a case folder (children.csv, places.csv, policy.toml) into an Instance and a Policy.

Everything wrong is collected before giving up, and each problem names file, line and column
(see ``docs/case-folder.md`` for the contract). Nothing is written here.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from placements.domain import Child, Decision, Place
from placements.errors import InputError, Problem
from placements.geo import normalise_postcode
from placements.instance import Instance, cross_check
from placements.io import postcodes
from placements.io.sniff import SAVE_AS_CSV, not_text
from placements.policy import Policy, load_policy

#: The case folder's columns in the order every writer puts them (synthetic authorities, the web
#: application's exports, the placements data standard's import); each writes those it has (the synthetic
#: generator and the data standard have no school or areas to avoid). Columns the engine does not read
#: (``approved_places``, ``vacancies_confirmed_on``) are carried for the people who read the files.
CHILD_COLUMNS: tuple[str, ...] = (
    "child_id", "date_of_birth", "sex", "status", "current_place_id", "urgency", "sibling_group", "needs", "settings",
    "lives_with_others", "home_postcode", "school_postcode", "avoid_areas", "local_authority", "max_distance_miles", "permanence_plan",
    "plan_date", "last_review_date", "entered_care_date", "assessment_date", "review_dates", "siblings_apart_reason",
    "residential_rationale",
)  # fmt: skip
PLACE_COLUMNS: tuple[str, ...] = (
    "place_id", "setting", "provider", "postcode", "easting", "northing", "local_authority", "vacancies",
    "children_in_placement", "approved_places", "age_min", "age_max", "sex", "meets_needs", "weekly_cost", "long_term",
    "sibling_exemption", "kinship_for", "ofsted_rating", "ofsted_urn", "ofsted_date", "ofsted_approved_for",
    "location_approximate", "vacancies_confirmed_on",
)  # fmt: skip


def columns_except(columns: tuple[str, ...], *left_out: str) -> tuple[str, ...]:
    """``columns`` in their order, without ``left_out`` (each must be one of them)."""
    unknown = set(left_out) - set(columns)
    if unknown:
        raise ValueError(f"not case-folder columns: {sorted(unknown)}")
    return tuple(c for c in columns if c not in left_out)


CHILDREN_REQUIRED = ("child_id", "date_of_birth", "sex", "status")
PLACES_REQUIRED = ("place_id", "setting", "provider", "vacancies", "age_min", "age_max", "weekly_cost")
DECISIONS_REQUIRED = ("child_id", "place_id", "decision")


@dataclass(frozen=True)
class CaseFolder:
    instance: Instance
    policy: Policy
    warnings: tuple[Problem, ...] = ()
    #: decisions.csv's path and the line of each (child_id, place_id) row, so that a rule a hold breaks
    #: (found by ``placements.validate.held_problems``, above this reader) names the line.
    decisions_file: str | None = None
    decision_lines: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass
class _Table:
    path: Path
    header: list[str]
    rows: list[dict[str, str]]  # row i is on line i + 2


def _read_csv(path: Path, required: tuple[str, ...], problems: list[Problem]) -> _Table | None:
    name = str(path)
    if not path.exists():
        problems.append(Problem(name, None, None, "file not found"))
        return None
    if not path.is_file():
        problems.append(Problem(name, None, None, "is a folder, not a CSV file"))
        return None
    raw = path.read_bytes()
    spreadsheet = not_text(raw)
    if spreadsheet:
        problems.append(Problem(name, None, None, spreadsheet))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, None, None, f"not UTF-8 text ({exc}); {SAVE_AS_CSV}"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    lines: list[tuple[int, list[str]]] = []  # (line the record starts on, fields)
    try:
        start = 1
        for record in reader:
            lines.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(name, reader.line_num, None, f"malformed CSV: {exc}"))
        return None
    if not lines:
        problems.append(Problem(name, None, None, "empty file: expected a header row"))
        return None
    header = [h.strip() for h in lines[0][1]]
    ok = True
    for col in sorted({h for h in header if header.count(h) > 1}):
        problems.append(Problem(name, 1, col, "column appears more than once in the header"))
        ok = False
    for col in required:
        if col not in header:
            problems.append(Problem(name, 1, col, "required column is missing"))
            ok = False
    rows: list[dict[str, str]] = []
    for n, values in lines[1:]:
        if not any(v.strip() for v in values):
            continue  # blank line
        if len(values) != len(header):
            problems.append(Problem(name, n, None, f"has {len(values)} fields but the header has {len(header)}"))
            ok = False
            continue
        row = dict(zip(header, (v.strip() for v in values), strict=True))
        row["__line__"] = str(n)
        rows.append(row)
    return _Table(path, header, rows) if ok else None


def near_miss_columns(table: _Table, known: set[str]) -> list[Problem]:
    """Warnings for unknown headers that look like a misspelt known column (extra columns are allowed)."""
    out = []
    for col in table.header:
        if col not in known:
            close = difflib.get_close_matches(col, sorted(known), n=1, cutoff=0.8)
            if close:
                out.append(Problem(str(table.path), 1, col, f"unknown column is ignored; did you mean {close[0]!r}?"))
    return out


def _validate(model: type[BaseModel], table: _Table, data: list[dict[str, Any]], problems: list[Problem]) -> list[Any]:
    out = []
    for row, values in zip(table.rows, data, strict=True):
        line = int(row["__line__"])
        try:
            out.append(model.model_validate(values))
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else None
                column = _COLUMN_ALIASES.get(column, column) if column else None
                value = row.get(column, "") if column else ""
                msg = err["msg"].removeprefix("Value error, ")
                shown = f" (value {value!r})" if value and "value" not in msg.lower() else ""
                problems.append(Problem(str(table.path), line, column, msg + shown))
    return out


_COLUMN_ALIASES = {"la_code": "local_authority"}


def _resolve_postcodes(tables: list[tuple[_Table, str]], problems: list[Problem]) -> dict[str, postcodes.Location]:
    """Normalise and look up every postcode in one pass; bad or unknown ones are problems."""
    wanted: list[str] = []
    for table, column in tables:
        for row in table.rows:
            raw = row.get(column, "")
            if raw:
                norm = normalise_postcode(raw)
                if norm is None:
                    problems.append(
                        Problem(str(table.path), int(row["__line__"]), column, f"{raw!r} is not a postcode")
                    )
                else:
                    wanted.append(norm)
    found = postcodes.lookup(wanted)
    for table, column in tables:
        for row in table.rows:
            raw = row.get(column, "")
            norm = normalise_postcode(raw) if raw else None
            if norm is not None and norm not in found:
                problems.append(
                    Problem(
                        str(table.path),
                        int(row["__line__"]),
                        column,
                        f"postcode {raw!r} is not in the ONS Postcode Directory",
                    )
                )
    return found


def _child_values(row: dict[str, str], found: dict[str, postcodes.Location]) -> dict[str, Any]:
    values: dict[str, Any] = dict(row)
    norm = normalise_postcode(row["home_postcode"]) if row.get("home_postcode") else None
    if norm is not None and norm in found:
        loc = found[norm]
        values.update(home_postcode=norm, home_easting=loc.easting, home_northing=loc.northing, home_la=loc.la_code)
    elif row.get("home_postcode"):  # already a problem; a placeholder keeps it from causing more
        values.update(home_easting=0.0, home_northing=0.0)
    school = normalise_postcode(row["school_postcode"]) if row.get("school_postcode") else None
    if school is not None and school in found:
        loc = found[school]
        values.update(school_postcode=school, school_easting=loc.easting, school_northing=loc.northing)
    else:  # unknown or not a postcode: already a problem (the engine never reads coordinates from this file)
        values.update(school_easting=None, school_northing=None)
    return values


def _place_values(row: dict[str, str], found: dict[str, postcodes.Location]) -> dict[str, Any]:
    values: dict[str, Any] = dict(row)
    values["la_code"] = row.get("local_authority") or None
    norm = normalise_postcode(row["postcode"]) if row.get("postcode") else None
    if norm is not None and norm in found:
        loc = found[norm]
        values.update(postcode=norm, easting=loc.easting, northing=loc.northing, la_code=loc.la_code)
    elif not (row.get("easting") and row.get("northing")):  # already a problem: no knock-on ones
        values.update(easting=0.0, northing=0.0)
    return values


def read_places(path: Path, problems: list[Problem]) -> tuple[list[Place], _Table | None, list[Problem]]:
    """Read and check a places file (the case folder's, or one given beside an SSDA903 return).

    Returns the places, the table (None when the file cannot be used at all) and warnings about
    near-miss column names; every problem found is appended to ``problems``.
    """
    table = _read_csv(path, PLACES_REQUIRED, problems)
    if table is None:
        return [], None, []
    if "postcode" not in table.header and not ("easting" in table.header and "northing" in table.header):
        problems.append(Problem(str(table.path), 1, "postcode", "required column is missing (or easting and northing)"))
        return [], None, []
    for row in table.rows:
        if not row.get("postcode") and not (row.get("easting") and row.get("northing")):
            problems.append(
                Problem(
                    str(table.path),
                    int(row["__line__"]),
                    "postcode",
                    "a place needs a postcode or easting and northing",
                )
            )
    warnings = near_miss_columns(table, set(Place.model_fields) | {"local_authority"})
    # A blank vacancy is one nobody has confirmed (``placements register ofsted`` leaves them so): none is offered.
    unconfirmed = [r for r in table.rows if r.get("vacancies", "") == ""]
    if unconfirmed:
        warnings.append(
            Problem(
                str(table.path),
                int(unconfirmed[0]["__line__"]),
                "vacancies",
                f"{len(unconfirmed)} home(s) with blank vacancies (not confirmed): read as no vacancy",
            )
        )
    found = _resolve_postcodes([(table, "postcode")], problems)
    values = [_place_values(r, found) for r in table.rows]
    for v in values:
        if v.get("vacancies", "") == "":
            v["vacancies"] = "0"
    places = _validate(Place, table, values, problems)
    return places, table, warnings


def read_case_folder(folder: Path, policy_overrides: dict[str, Any] | None = None) -> CaseFolder:
    """Read and check a whole case folder; raise ``InputError`` listing every problem."""
    folder = Path(folder)
    problems: list[Problem] = []
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, None, "case folder not found")])
    try:
        policy = load_policy(folder / "policy.toml")
    except InputError as exc:
        problems.extend(exc.problems)
        policy = Policy()
    if policy_overrides:
        given = {k: v for k, v in policy_overrides.items() if v is not None}
        try:
            policy = policy.replace(**given)
        except ValidationError as exc:
            for e in exc.errors():
                option = "--" + str(e["loc"][0]).replace("_seconds", "").replace("_", "-") if e["loc"] else "option"
                problems.append(Problem(option, None, None, e["msg"]))

    children_t = _read_csv(folder / "children.csv", CHILDREN_REQUIRED, problems)
    places, places_t, place_warnings = read_places(folder / "places.csv", problems)
    if children_t is not None and not children_t.rows:
        # Said once: every place naming a child (kinship_for) would otherwise be a knock-on problem.
        problems.append(
            Problem(
                str(children_t.path),
                None,
                None,
                "no children: the file has a header row but no child rows (one row per child is needed)",
            )
        )
        raise InputError(problems)
    # decisions.csv is optional: the placement team's held and rejected (child, home) pairs.
    decisions_path = folder / "decisions.csv"
    decisions_t = _read_csv(decisions_path, DECISIONS_REQUIRED, problems) if decisions_path.exists() else None
    if children_t is None or places_t is None or (decisions_path.exists() and decisions_t is None):
        raise InputError(problems)
    warnings = near_miss_columns(children_t, set(Child.model_fields) | {"home_postcode"}) + place_warnings

    found = _resolve_postcodes([(children_t, "home_postcode"), (children_t, "school_postcode")], problems)
    children = _validate(Child, children_t, [_child_values(r, found) for r in children_t.rows], problems)
    decisions: list[Decision] = []
    if decisions_t is not None:
        warnings += near_miss_columns(decisions_t, set(Decision.model_fields))
        decisions = _validate(Decision, decisions_t, [dict(r) for r in decisions_t.rows], problems)
    if problems:
        raise InputError(problems)
    tables = {"children": children_t, "places": places_t, "decisions": decisions_t}
    for cp in cross_check(tuple(children), tuple(places), tuple(decisions)):
        table = tables[cp.table]
        assert table is not None
        problems.append(Problem(str(table.path), int(table.rows[cp.index]["__line__"]), cp.column, cp.message))
    if problems:
        raise InputError(problems)
    instance = Instance(children=tuple(children), places=tuple(places), decisions=tuple(decisions))
    if decisions_t is None:
        return CaseFolder(instance, policy, tuple(warnings))
    lines = {(r["child_id"], r["place_id"]): int(r["__line__"]) for r in decisions_t.rows}
    return CaseFolder(instance, policy, tuple(warnings), str(decisions_t.path), lines)
