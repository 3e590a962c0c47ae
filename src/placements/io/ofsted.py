"""Ofsted's register of children's homes, read as published, turned into ``places.csv`` rows.

Ofsted publishes, with its official statistics "Children's social care data in England", a
provider-level table: one row per registered provider, with its provision type, sector, places,
owner, local authority and latest full inspection. This module reads that CSV as it comes (title
lines above the header, a byte-order mark, blank rows at the end, "Children's home" and
"Children's Home" both used, places blank for agencies) and keeps the children's homes: ordinary,
secure, and residential special schools registered as children's homes (each marked as such).

Steps, in order (``read_register``):

1. Decode (UTF-8 with or without a byte-order mark; a file re-saved as Windows-1252 is read as such
   and said so), find the header row by its columns (``URN``, ``Provision type``, ...) among the
   first lines, and refuse a file without one: it is not this table.
2. Read every row; blank rows are skipped, a row of the wrong length (a truncated file) is dropped
   and listed. Rows of other provision types (agencies, schools, ...) are counted, not kept.
3. For each children's home: URN, places, local authority (by name, ``ofsted_authorities``), sector,
   judgement and date are checked. A row that cannot be a place (no URN, places not a whole number,
   an authority or sector not known, a URN seen before) is dropped and listed; an unreadable
   judgement or date is kept blank and listed.
4. Location. Ofsted redacts children's homes' addresses, so a home's location is **approximate**: a
   live postcode of its local authority, drawn with the URN as seed (the SHA-256 of the URN modulo
   the number of the authority's postcodes, sorted), from the ONS Postcode Directory the project
   uses. The same URN and directory edition give the same postcode; homes spread over an authority
   as its postcodes do. A published postcode is used as it stands (``location_approximate = no``).

``placements register ofsted`` (``placements.cli``) writes the homes as ``places.csv`` rows and the
dropped or repaired rows as ``problems.csv``; see ``docs/ofsted.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from placements.areas import districts, upper_tier
from placements.codes import OFSTED_RATING_TEXT, OfstedRating, Provider, Setting
from placements.errors import InputError, Problem
from placements.geo import miles, normalise_postcode
from placements.io import postcodes
from placements.io.ofsted_authorities import DIRECTORY_CODES, NAMES, code_of

#: Columns the table must have (as Ofsted names them; compared trimmed and case-insensitively).
URN = "URN"
TYPE = "Provision type"
STATUS = "Registration status"
POSTCODE = "Postcode"
REGION = "Government Office Region"
LA = "Local authority"
SECTOR = "Sector"
PLACES = "Places"
OWNER = "Organisation which owns the provider"
INSPECTED = "Latest full inspection date"
OVERALL = "Overall experiences and progress of children and young people"
SHORT_BREAKS = "Short-break-only children's home"
REQUIRED = (URN, TYPE, LA, SECTOR, PLACES, OWNER, INSPECTED, OVERALL)
OPTIONAL = (STATUS, POSTCODE, REGION, SHORT_BREAKS)
#: How many lines the header may be preceded by (the published file has three title lines).
HEADER_SEARCH_LINES = 30

#: Provision types kept (compared case-insensitively) -> the kind written in ``ofsted_provision``.
HOME_TYPES: dict[str, str] = {
    "children's home": "childrens_home",
    "secure children's home": "secure_childrens_home",
    "residential special school (registered as a children's home)": "residential_special_school",
}

#: Ofsted's sector -> the case folder's provider. A council's own home is ``in_house`` for that
#: council (``--of``) and ``other_la`` for everyone else; an NHS home counts as other public provision.
SECTOR_PROVIDER: dict[str, Provider] = {
    "private": Provider.PRIVATE,
    "voluntary": Provider.VOLUNTARY,
    "local authority": Provider.OTHER_LA,
    "health authority": Provider.OTHER_LA,
}

REDACTED = "REDACTED"

#: Columns of the places.csv written, in order (the case folder's first, then the register's own).
PLACE_COLUMNS = (
    "place_id", "setting", "provider", "postcode", "easting", "northing", "local_authority", "location_approximate",
    "vacancies", "children_in_placement", "age_min", "age_max", "sex", "meets_needs", "weekly_cost",
    "ofsted_rating", "ofsted_date", "ofsted_urn", "ofsted_provision", "ofsted_sector", "ofsted_owner",
    "ofsted_local_authority", "approved_places", "short_breaks_only", "registration_status", "unconfirmed",
)  # fmt: skip

#: Values the provider-level table does not hold, written until the team confirms them (``unconfirmed``
#: lists which): children's homes are registered for children, so 0-17; the weekly cost is the NAO's 2025
#: average for a children's home (GBP 6,100, ``/work/shared/reference/domain.md``).
DEFAULT_AGE_MIN, DEFAULT_AGE_MAX = 0, 17
DEFAULT_WEEKLY_COST = 6100
VACANCY_COLUMNS = ("vacancies", "children_in_placement", "age_min", "age_max", "sex", "meets_needs", "weekly_cost")


@dataclass(frozen=True)
class Register:
    """The children's homes read, and what was not taken as written.

    ``homes`` has one row per home kept: ``urn``, ``provision`` (``HOME_TYPES`` value), ``sector``,
    ``provider``, ``places``, ``owner``, ``la_name``, ``la_code``, ``region``, ``rating``
    (``OfstedRating`` value or None), ``rating_date``, ``status``, ``short_breaks``, ``line``; the
    location is added by ``locate``.
    """

    path: str
    homes: pd.DataFrame
    problems: tuple[Problem, ...]
    other_types: dict[str, int] = field(default_factory=dict)  # provision type -> rows not kept
    encoding: str = "utf-8"


def _decode(path: Path) -> tuple[str, str, list[Problem]]:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig"), "utf-8", []
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        return (
            text,
            "cp1252",
            [Problem(str(path), None, None, "not UTF-8 text: read as Windows-1252 (a re-saved file?)")],
        )


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip().casefold()


def _parse_date(text: str) -> dt.date | None:
    """DD/MM/YYYY as published, or ISO YYYY-MM-DD as a spreadsheet may re-save it; blank is None."""
    text = text.strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if m:
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?", text)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError(f"cannot read {text!r} as a date (DD/MM/YYYY)")


def read_register(path: Path) -> Register:
    """Read Ofsted's provider-level table; ``InputError`` when the file is not that table or holds no home."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError([Problem(name, None, None, "file not found")])
    text, encoding, problems = _decode(path)
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for record in reader:
            records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:  # an unterminated quote: a file cut inside a cell
        problems.append(
            Problem(name, start, None, f"malformed CSV from here on ({exc}); the rest of the file not read")
        )
    header_at = None
    for k, (_, cells) in enumerate(records[:HEADER_SEARCH_LINES]):
        normed = {_norm(c) for c in cells}
        if _norm(URN) in normed and _norm(TYPE) in normed:
            header_at = k
            break
    if header_at is None:
        raise InputError(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"no header row with the columns {URN!r} and {TYPE!r} in the first {HEADER_SEARCH_LINES} lines: "
                    "not Ofsted's provider-level table of children's social care providers",
                )
            ]
        )
    header_line, header = records[header_at]
    index: dict[str, int] = {}
    for i, cell in enumerate(header):
        index.setdefault(_norm(cell), i)
    missing = [c for c in REQUIRED if _norm(c) not in index]
    if missing:
        raise InputError([Problem(name, header_line, c, "required column is missing") for c in missing])
    col = {c: index.get(_norm(c)) for c in REQUIRED + OPTIONAL}
    width = len(header)

    rows: list[dict[str, object]] = []
    other: dict[str, int] = {}
    seen: dict[str, int] = {}

    def get(cells: list[str], column: str) -> str:
        i = col[column]
        return "" if i is None or i >= len(cells) else cells[i].strip()

    for line, cells in records[header_at + 1 :]:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != width:
            problems.append(
                Problem(
                    name, line, None, f"has {len(cells)} fields but the header has {width} (cut short?); row not read"
                )
            )
            continue
        kind = HOME_TYPES.get(_norm(get(cells, TYPE)))
        if kind is None:
            label = get(cells, TYPE) or "(blank)"
            other[label] = other.get(label, 0) + 1
            continue
        urn = get(cells, URN)
        if not urn:
            problems.append(Problem(name, line, URN, "URN is blank; home not read"))
            continue
        if urn in seen:
            problems.append(Problem(name, line, URN, f"URN {urn} also on line {seen[urn]}; this line not read"))
            continue
        places_text = get(cells, PLACES)
        if not re.fullmatch(r"\d+", places_text) or int(places_text) == 0:
            problems.append(
                Problem(name, line, PLACES, f"places {places_text!r} is not a whole number above 0; home not read")
            )
            continue
        la_name = get(cells, LA)
        la_code = code_of(la_name) if la_name else None
        if la_code is None:
            problems.append(
                Problem(name, line, LA, f"local authority {la_name!r} is not an English authority known; home not read")
            )
            continue
        sector = get(cells, SECTOR)
        provider = SECTOR_PROVIDER.get(_norm(sector))
        if provider is None:
            problems.append(
                Problem(
                    name,
                    line,
                    SECTOR,
                    f"sector {sector!r} is not Private, Voluntary, Local Authority or Health Authority; home not read",
                )
            )
            continue
        seen[urn] = line
        rating_text = get(cells, OVERALL)
        rating = OFSTED_RATING_TEXT.get(_norm(rating_text)) if rating_text else None
        if rating_text and rating is None:
            problems.append(
                Problem(
                    name, line, OVERALL, f"judgement {rating_text!r} is not an Ofsted judgement; kept, rating blank"
                )
            )
        try:
            rating_date = _parse_date(get(cells, INSPECTED))
        except ValueError as exc:
            problems.append(Problem(name, line, INSPECTED, f"{exc}; kept, date blank"))
            rating_date = None
        if rating is not None and rating_date is None:
            problems.append(Problem(name, line, INSPECTED, "a judgement without a date; kept, date blank"))
        rows.append(
            {
                "urn": urn,
                "provision": kind,
                "sector": sector,
                "provider": provider.value,
                "places": int(places_text),
                "owner": get(cells, OWNER),
                "la_name": la_name,
                "la_code": la_code,
                "region": get(cells, REGION),
                "rating": None if rating is None else rating.value,
                "rating_date": rating_date,
                "status": get(cells, STATUS) or "Active",
                "short_breaks": get(cells, SHORT_BREAKS).upper() in ("Y", "YES"),
                "postcode": get(cells, POSTCODE),
                "line": line,
            }
        )
    if not rows:
        raise InputError([Problem(name, None, None, "no children's home could be read from the file")] + problems[:20])
    homes = pd.DataFrame(rows, dtype=object)  # None stays None (pandas would read a str column's None as NaN)
    homes["places"] = homes["places"].astype(np.int64)
    return Register(name, homes, tuple(problems), dict(sorted(other.items())), encoding)


# ---------------------------------------------------------------------------------------------
# Locations


@lru_cache(maxsize=1)
def _directory() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every located postcode of the ONS directory as arrays, in the order of the directory's 7-character
    key (``'N1  0AA'``): that key (bytes), easting, northing, authority code (str)."""
    import string

    pcs, east, north, las = [], [], [], []
    for letter in string.ascii_uppercase:
        cols = postcodes.directory_letter(letter)
        keep = np.flatnonzero(cols.located)
        if len(keep) == 0:
            continue
        pcs.append(np.asarray(cols.pcd)[keep])
        east.append(cols.east[keep])
        north.append(cols.north[keep])
        las.append(np.asarray(cols.laua)[keep].astype("U9"))
    pc = np.concatenate(pcs).astype("S7")
    order = np.argsort(pc, kind="stable")
    return pc[order], np.concatenate(east)[order], np.concatenate(north)[order], np.concatenate(las)[order]


def _postcode(key: bytes) -> str:
    text = key.decode("ascii")
    return text[:4].rstrip() + " " + text[4:].strip()


def directory_codes(la_code: str) -> tuple[str, ...]:
    """The lower-tier codes the postcode directory uses for an authority's area."""
    return DIRECTORY_CODES.get(la_code, districts(la_code))


@lru_cache(maxsize=1)
def _by_authority() -> dict[str, np.ndarray]:
    """Lower-tier code -> row numbers of its postcodes (in key order)."""
    las = _directory()[3]
    order = np.argsort(las, kind="stable")
    codes, starts = np.unique(las[order], return_index=True)
    ends = np.append(starts[1:], len(order))
    return {str(c): order[a:b] for c, a, b in zip(codes, starts, ends, strict=True)}


@lru_cache(maxsize=512)
def authority_postcodes(la_code: str) -> np.ndarray:
    """Row numbers (into ``_directory()``) of the authority's live postcodes, in key order."""
    groups = _by_authority()
    parts = [groups[c] for c in directory_codes(la_code) if c in groups]
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def centre(la_code: str) -> tuple[float, float]:
    """The mean position of an authority's postcodes (where its people live, roughly)."""
    _, east, north, _ = _directory()
    rows = authority_postcodes(la_code)
    if len(rows) == 0:
        raise ValueError(f"no postcode of {la_code} in the ONS directory")
    return float(east[rows].mean()), float(north[rows].mean())


def draw(urn: str, la_code: str) -> tuple[str, float, float, str]:
    """The approximate location of a redacted home: (postcode, easting, northing, its authority code)."""
    pc, east, north, las = _directory()
    rows = authority_postcodes(la_code)
    if len(rows) == 0:
        raise ValueError(f"no postcode of {la_code} in the ONS directory")
    k = int.from_bytes(hashlib.sha256(urn.encode("utf-8")).digest()[:8], "big") % len(rows)
    i = int(rows[k])
    return _postcode(pc[i]), float(east[i]), float(north[i]), str(las[i])


def locate(register: Register) -> pd.DataFrame:
    """The homes with ``easting``, ``northing``, ``place_la`` (the authority the location lies in) and
    ``approximate``: the published postcode where there is one the directory holds, else a drawn one."""
    homes = register.homes.copy()
    published = [normalise_postcode(p) if p and p.upper() != REDACTED else None for p in homes["postcode"].astype(str)]
    found = postcodes.lookup([p for p in published if p])
    east, north, place_la, approx, postcode = [], [], [], [], []
    for urn, code, norm in zip(homes["urn"], homes["la_code"], published, strict=True):
        hit = found.get(norm) if norm else None
        if hit is not None:
            east.append(hit.easting)
            north.append(hit.northing)
            place_la.append(upper_tier(hit.la_code) or code)
            approx.append(False)
            postcode.append(norm)
        else:
            _, e, n, la = draw(str(urn), str(code))
            east.append(e)
            north.append(n)
            # A home's own authority is known; only where an old county was split is it the drawn one's.
            place_la.append(upper_tier(la) if code in DIRECTORY_CODES else code)
            approx.append(True)
            postcode.append("")
    homes["easting"], homes["northing"], homes["place_la"] = east, north, place_la
    homes["approximate"], homes["postcode"] = approx, postcode
    return homes


def share_within(la_code: str, at: tuple[float, float], radius: float) -> float:
    """The share of an authority's postcodes within ``radius`` miles of a point (DfE formula)."""
    _, east, north, _ = _directory()
    rows = authority_postcodes(la_code)
    d = miles(east[rows], north[rows], at[0], at[1])
    return float((d <= radius).mean()) if len(rows) else 0.0


def la_name(code: str) -> str:
    return NAMES.get(code, code)


# ---------------------------------------------------------------------------------------------
# Vacancies


def read_vacancies(path: Path, urns: set[str]) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """A vacancy file: ``URN`` (or ``ofsted_urn``) and ``vacancies``, optionally ``children_in_placement``,
    ``age_min``, ``age_max``, ``sex``, ``meets_needs``, ``weekly_cost``. Returns URN -> the values given
    (checked as the case folder checks them) and the problems (rows not used are listed)."""
    from pydantic import ValidationError

    from placements.domain import Place
    from placements.io.case_folder import _read_csv

    problems: list[Problem] = []
    table = _read_csv(Path(path), (), problems)
    if table is None:
        raise InputError(problems)
    key = next((k for k in ("URN", "ofsted_urn", "urn") if k in table.header), "")
    missing = ([] if key else ["URN"]) + ([] if "vacancies" in table.header else ["vacancies"])
    if missing:
        raise InputError([Problem(str(path), 1, c, "required column is missing") for c in missing])
    out: dict[str, dict[str, str]] = {}
    base = {
        "place_id": "x", "setting": "residential", "provider": "private", "easting": 0, "northing": 0,
        "vacancies": 0, "age_min": DEFAULT_AGE_MIN, "age_max": DEFAULT_AGE_MAX, "weekly_cost": DEFAULT_WEEKLY_COST,
    }  # fmt: skip
    for row in table.rows:
        line = int(row["__line__"])
        urn = row.get(key, "")
        if urn not in urns:
            problems.append(
                Problem(str(path), line, key, f"URN {urn!r} is not a home kept from the register; row not used")
            )
            continue
        if urn in out:
            problems.append(Problem(str(path), line, key, f"URN {urn} given twice; this row not used"))
            continue
        given = {c: row[c] for c in VACANCY_COLUMNS if row.get(c, "") != ""}
        try:
            Place.model_validate({**base, **given})
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else None
                problems.append(
                    Problem(str(path), line, column, err["msg"].removeprefix("Value error, ") + "; row not used")
                )
            continue
        out[urn] = given
    return out, problems


# ---------------------------------------------------------------------------------------------
# places.csv


def places_frame(
    homes: pd.DataFrame,
    vacancies: dict[str, dict[str, str]] | None = None,
    own_la: str | None = None,
    assume_vacant: bool = False,
) -> pd.DataFrame:
    """``places.csv`` rows for located homes (``locate``), in the order given.

    Vacancies come from the vacancy file; without one they are left blank for the team to confirm
    (the case-folder reader reads a blank as none, and says how many). With ``assume_vacant`` every
    registered place of an active home that takes children full-time counts as vacant: an upper
    bound for sufficiency questions, never for a daily match.
    """
    vacancies = vacancies or {}
    out = []
    for h in homes.itertuples(index=False):
        given = vacancies.get(str(h.urn), {})
        provider = h.provider
        if h.sector.casefold() == "local authority" and own_la is not None and h.la_code == own_la:
            provider = Provider.IN_HOUSE.value
        usable = h.status.casefold() == "active" and not h.short_breaks
        if "vacancies" in given:
            vac = given["vacancies"]
        elif assume_vacant:
            vac = str(h.places if usable else 0)
        else:
            vac = ""
        unconfirmed = [c for c in ("vacancies", "age_min", "age_max", "weekly_cost") if c not in given]
        if assume_vacant and "vacancies" not in given:
            unconfirmed[0] = "vacancies (assumed)"
        out.append(
            {
                "place_id": f"OFSTED-{h.urn}",
                "setting": Setting.RESIDENTIAL.value,
                "provider": provider,
                "postcode": h.postcode,
                "easting": f"{h.easting:.0f}",
                "northing": f"{h.northing:.0f}",
                "local_authority": h.place_la,
                "location_approximate": "yes" if h.approximate else "no",
                "vacancies": vac,
                "children_in_placement": given.get("children_in_placement", ""),
                "age_min": given.get("age_min", str(DEFAULT_AGE_MIN)),
                "age_max": given.get("age_max", str(DEFAULT_AGE_MAX)),
                "sex": given.get("sex", "any"),
                "meets_needs": given.get("meets_needs", ""),
                "weekly_cost": given.get("weekly_cost", str(DEFAULT_WEEKLY_COST)),
                "ofsted_rating": h.rating or "",
                "ofsted_date": h.rating_date.isoformat() if isinstance(h.rating_date, dt.date) else "",
                "ofsted_urn": h.urn,
                "ofsted_provision": h.provision,
                "ofsted_sector": h.sector,
                "ofsted_owner": h.owner,
                "ofsted_local_authority": h.la_name,
                "approved_places": str(h.places),
                "short_breaks_only": "yes" if h.short_breaks else "no",
                "registration_status": h.status,
                "unconfirmed": ";".join(unconfirmed),
            }
        )
    return pd.DataFrame(out, columns=list(PLACE_COLUMNS))


def rating_label(value: object) -> str:
    """``good`` -> ``Good``; None -> ``not inspected``."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return "not inspected"
    return {
        OfstedRating.OUTSTANDING.value: "Outstanding",
        OfstedRating.GOOD.value: "Good",
        OfstedRating.REQUIRES_IMPROVEMENT.value: "Requires improvement",
        OfstedRating.INADEQUATE.value: "Inadequate",
    }[str(value)]


RATING_ORDER = ("Outstanding", "Good", "Requires improvement", "Inadequate", "not inspected")
