"""Read an SSDA903 return (one year or a folder per collection year) into checked tables.

Why a reader of its own rather than ``pandas.read_csv``: the files come from many case systems and
years, so the reader must know a table by its columns whatever the file is called, read DD/MM/YYYY
and ISO dates, the regional variant (``LA`` and ``YEAR`` columns), and episodes repeated across
years, and it must account for every row it does not take as written. Every such row or cell is an
:class:`Issue` (table, file, row, column, problem, what was done); the reader keeps what is sound
and refuses (``InputError``) only when nothing sensible remains, such as no Episodes table.

The steps, in order:

1. Find the CSV files (a folder is searched recursively) and recognise each by its header.
2. Read the rows: a repeated header line, a row of the wrong length or a blank CHILD is an issue.
3. Parse dates (DD/MM/YYYY, D/M/YYYY or YYYY-MM-DD; two-digit years are never guessed).
4. Header: one row per child (duplicates in one file are issues; across years the latest wins);
   a missing date of birth is taken from another table when one holds it.
5. Episodes: a repeated (CHILD, DECOM) keeps the latest year's row with a non-blank DEC; then per
   child, in DECOM order: DEC before DECOM drops the episode, an unreadable DEC is read as the next
   episode's DECOM, and an episode overlapping the next ends where the next begins. PLACE codes are
   checked against the year the episode began (``codes.PLACE_WINDOWS``).
6. Reviews, SWEpisodes, UASC: repeats across years removed; rows without their key date dropped.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from placements.errors import InputError, Problem
from placements.io.sniff import not_text
from placements.io.ssda903 import codes
from placements.io.ssda903.schema import DATE_COLUMNS, REGIONAL_COLUMNS, TABLES

ISSUE_COLUMNS = ("table", "file", "row", "column", "problem", "action")
META = ("_file", "_line", "_order", "_year")

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DMY2 = re.compile(r"^\d{1,2}/\d{1,2}/\d{2}$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_YEAR_IN_PATH = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")


@dataclass(frozen=True)
class Issue:
    """One thing the reader did not take as written, and what it did instead."""

    table: str
    file: str
    row: int | None  # line in the file, header = 1; None for the whole file or table
    column: str | None
    problem: str
    action: str

    def as_problem(self) -> Problem:
        return Problem(self.file, self.row, self.column, f"{self.problem} ({self.table}); {self.action}")


def issues_frame(issues: list[Issue] | tuple[Issue, ...]) -> pd.DataFrame:
    rows = [[i.table, i.file, "" if i.row is None else i.row, i.column or "", i.problem, i.action] for i in issues]
    return pd.DataFrame(rows, columns=list(ISSUE_COLUMNS))


@dataclass(frozen=True)
class SSDA903:
    """The tables read, repaired as the issues say.

    Each table holds its schema columns (text as written, trimmed, None when blank; dates as
    ``datetime.date`` or None), ``LA`` and ``YEAR`` for the regional variant, ``child_id`` (CHILD,
    or ``LA:CHILD`` when a regional extract holds several authorities) and, for tracing,
    ``_file``, ``_line``, ``_order`` (file order) and ``_year`` (collection year, when known).
    """

    tables: dict[str, pd.DataFrame]
    issues: tuple[Issue, ...]
    regional: bool
    files: dict[str, tuple[str, ...]] = field(default_factory=dict)
    repeats_merged: int = 0  # rows repeated across collection years and merged (not issues)

    def frame(self, name: str) -> pd.DataFrame:
        """The table with its DfE columns only (``LA`` and ``YEAR`` first when regional)."""
        cols = list((REGIONAL_COLUMNS if self.regional else ()) + TABLES[name])
        table = self.tables.get(name)
        if table is None:
            return pd.DataFrame(columns=cols)
        return table[cols].reset_index(drop=True)


class _DateError(ValueError):
    pass


def parse_date(text: str | None) -> dt.date | None:
    """DD/MM/YYYY (or D/M/YYYY) or YYYY-MM-DD (a midnight time is allowed); blank is None."""
    if text is None or text == "":
        return None
    m = _DMY.match(text)
    try:
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = _ISO.match(text)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _DateError(f"impossible date {text!r}") from None
    if _DMY2.match(text):
        raise _DateError(f"two-digit year in {text!r}: the century is not guessed")
    raise _DateError(f"cannot read {text!r} as a date (DD/MM/YYYY or YYYY-MM-DD)")


# ---------------------------------------------------------------------------------------------
# Files and headers


def _recognise(header: list[str]) -> tuple[str | None, set[str]]:
    """The table whose columns the header holds, and the header's columns outside it."""
    cols = {h for h in header if h} - set(REGIONAL_COLUMNS)  # unnamed columns (Excel's trailing commas) hold nothing
    for name, wanted in TABLES.items():
        if cols == set(wanted):
            return name, set()
    # Extra columns of a team's own: the table whose columns are all present, if only one is.
    full = [name for name, wanted in TABLES.items() if set(wanted) <= cols]
    if full:
        best = max(full, key=lambda n: len(TABLES[n]))
        if sum(len(TABLES[n]) == len(TABLES[best]) for n in full) == 1:
            return best, cols - set(TABLES[best])
    return None, set()


def _closest(header: list[str]) -> tuple[str, list[str]] | None:
    cols = set(header)
    best = max(TABLES, key=lambda n: len(cols & set(TABLES[n])) / len(TABLES[n]))
    share = len(cols & set(TABLES[best])) / len(TABLES[best])
    if share >= 0.6:
        return best, [c for c in TABLES[best] if c not in cols]
    return None


def _path_year(path: Path, root: Path) -> int | None:
    """The collection year named by the file's folder or name (``2023``, ``2023-24``, ``903_2024``)."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        rel = Path(path.name)
    years = _YEAR_IN_PATH.findall(str(rel))
    return int(years[-1]) if years else None


def _decode(path: Path, issues: list[Issue]) -> str | None:
    raw = path.read_bytes()
    spreadsheet = not_text(raw)
    if spreadsheet:
        issues.append(Issue("unknown", str(path), None, None, spreadsheet, "file not read"))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        issues.append(Issue("unknown", str(path), None, None, "not UTF-8 text", "read as Windows-1252"))
        return raw.decode("cp1252", errors="replace")


@dataclass
class _Raw:
    name: str
    rows: list[dict[str, object]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _read_file(path: Path, root: Path, order: int, raws: dict[str, _Raw], issues: list[Issue]) -> None:
    name = str(path)
    text = _decode(path, issues)
    if text is None:
        return
    lines: list[tuple[int, list[str]]] = []  # (line the record starts on, fields)
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for record in reader:
            lines.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        issues.append(Issue("unknown", name, reader.line_num, None, f"malformed CSV: {exc}", "file not read"))
        return
    if not lines or not any(v.strip() for v in lines[0][1]):
        issues.append(Issue("unknown", name, None, None, "empty file or blank first line", "file not read"))
        return
    header = [h.strip().upper() for h in lines[0][1]]
    table, extra = _recognise(header)
    if table is None:
        close = _closest(header)
        if close:
            issues.append(
                Issue(
                    close[0],
                    name,
                    1,
                    ", ".join(close[1]),
                    f"looks like {close[0]} but lacks {', '.join(close[1])}",
                    "file not read",
                )
            )
        else:
            issues.append(
                Issue("unknown", name, 1, None, "not an SSDA903 table (its columns match none)", "file not read")
            )
        return
    if extra:
        issues.append(Issue(table, name, 1, ", ".join(sorted(extra)), "columns not in the SSDA903 table", "ignored"))
    seen: dict[str, int] = {}
    for i, col in enumerate(header):
        if not col:
            continue
        if col in seen:
            issues.append(Issue(table, name, 1, col, "column appears twice in the header", "the first is read"))
        else:
            seen[col] = i
    raw = raws.setdefault(table, _Raw(table))
    raw.files.append(name)
    year_from_path = _path_year(path, root)
    header_values = [h.strip() for h in lines[0][1]]
    for line, values in lines[1:]:
        stripped = [v.strip() for v in values]
        if not any(stripped):
            continue  # a blank line holds no data
        if [v.upper() for v in stripped] == header or stripped == header_values:
            issues.append(Issue(table, name, line, None, "the header line is repeated here", "line skipped"))
            continue
        if len(values) != len(header):
            issues.append(
                Issue(
                    table,
                    name,
                    line,
                    None,
                    f"has {len(values)} fields but the header has {len(header)}",
                    "row not read",
                )
            )
            continue
        row: dict[str, object] = {col: (stripped[i] or None) for col, i in seen.items()}
        year = year_from_path
        if row.get("YEAR"):
            with contextlib.suppress(ValueError):
                year = int(str(row["YEAR"])[:4])
        row.update(_file=name, _line=line, _order=order, _year=year)
        raw.rows.append(row)


def _read_xml_file(
    path: Path, root: Path, order: int, raws: dict[str, _Raw], issues: list[Issue], refused: list[Problem]
) -> None:
    """An ``EXPSSDA903`` file's rows, as ``_read_file`` gives a CSV's (see ``xml.py``)."""
    from placements.io.ssda903 import xml

    try:
        tables, notes = xml.read_rows(path, _path_year(path, root), order)
    except xml.XMLRefused as exc:
        refused.append(exc.problem)
        return
    for table, line, where, problem, action in notes:
        issues.append(Issue(table, str(path), line, where, problem, action))
    for table, rows in tables.items():
        raw = raws.setdefault(table, _Raw(table))
        raw.files.append(str(path))
        raw.rows.extend(rows)


def _csv_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


# ---------------------------------------------------------------------------------------------
# Tables, as lists of row dicts (plain Python: a pandas row at a time is far too slow for a region)

Row = dict[str, object]


def _issue(issues: list[Issue], table: str, row: Row, column: str | None, problem: str, action: str) -> None:
    line = int(row["_line"])  # type: ignore[call-overload]
    where = row.get("_xml")
    if isinstance(where, dict):  # a row read from XML: the element's path and line say where
        path, line = where[column] if column and column in where else where["."]
        column = path if column is None or column in where else f"{path}/{column}"
    issues.append(Issue(table, str(row["_file"]), line, column, problem, action))


def _bad(row: Row) -> dict[str, str]:
    return row.setdefault("_bad", {})  # type: ignore[return-value]


def _parse_dates(rows: list[Row], name: str) -> None:
    """Parse the table's date columns in place; unreadable cells become None and are noted in ``_bad``."""
    for row in rows:
        for col in DATE_COLUMNS[name]:
            try:
                row[col] = parse_date(row.get(col))  # type: ignore[arg-type]
            except _DateError as exc:
                _bad(row)[col] = str(exc)
                row[col] = None


def _year_key(row: Row) -> tuple[int, int, int]:
    year = row["_year"]
    return (-1 if year is None else int(year), int(row["_order"]), int(row["_line"]))  # type: ignore[call-overload]


def _latest_first(rows: list[Row]) -> list[Row]:
    """Rows oldest year first (unknown years by file order), so the last of a key is the latest."""
    return sorted(rows, key=_year_key)


def _dedupe_within_file(rows: list[Row], name: str, keys: list[str], issues: list[Issue], what: str) -> list[Row]:
    """Within one file a key must not repeat: the first row is kept, each repeat is an issue."""
    content = TABLES[name]
    first: dict[tuple[object, ...], Row] = {}
    keep = []
    for row in rows:
        k = (row["_file"],) + tuple(row[c] for c in keys)
        prev = first.get(k)
        if prev is None:
            first[k] = row
            keep.append(row)
            continue
        same = all(prev.get(c) == row.get(c) for c in content)
        problem = (
            f"{what} repeats line {prev['_line']} exactly"
            if same
            else f"{what} also on line {prev['_line']} with different values"
        )
        column = "CHILD" if keys[-1] == "child_id" else keys[-1]
        _issue(issues, name, row, column, problem, f"line {prev['_line']} kept, this line not read")
    return keep


def _merge_years(rows: list[Row], keys: list[str], end: str | None) -> tuple[list[Row], int]:
    """One row per key across years: the latest with a non-blank ``end`` (else the latest)."""
    chosen: dict[tuple[object, ...], Row] = {}
    for row in _latest_first(rows):
        k = tuple(row[c] for c in keys)
        prev = chosen.get(k)
        if prev is None or end is None or row[end] is not None or prev[end] is None:
            chosen[k] = row
    return list(chosen.values()), len(rows) - len(chosen)


def _header(rows: list[Row], issues: list[Issue]) -> tuple[list[Row], int]:
    rows = _dedupe_within_file(rows, "Header", ["child_id"], issues, "CHILD")
    dobs: dict[object, set[dt.date]] = {}
    for row in rows:
        if row["DOB"] is not None:
            dobs.setdefault(row["child_id"], set()).add(row["DOB"])  # type: ignore[arg-type]
    merged, n = _merge_years(rows, ["child_id"], None)
    for row in merged:
        seen = dobs.get(row["child_id"], set())
        if len(seen) > 1:
            shown = ", ".join(d.strftime("%d/%m/%Y") for d in sorted(seen))
            _issue(issues, "Header", row, "DOB", f"DOB differs between years ({shown})", "the latest year's DOB kept")
        sex = row["SEX"]
        if sex is None:
            _issue(issues, "Header", row, "SEX", "SEX is blank", "kept; sex read as U (unknown)")
        elif str(sex).upper() not in codes.SEX:
            _issue(issues, "Header", row, "SEX", f"SEX {sex!r} is not 1, 2, M, F or U", "kept; sex read as U (unknown)")
    return merged, n


def _fill_dob(header: list[Row], others: dict[str, list[Row]], issues: list[Issue]) -> None:
    """A blank or unreadable DOB is taken from another table of the same child when one holds it."""
    latest: dict[object, tuple[str, Row]] = {}
    for name, rows in others.items():
        for row in _latest_first(rows):
            if row.get("DOB") is not None and row["child_id"] not in latest:
                latest[row["child_id"]] = (name, row)
    for row in header:
        if row["DOB"] is not None:
            continue
        problem = _bad(row).get("DOB", "DOB is blank")
        hit = latest.get(row["child_id"])
        if hit:
            name, src = hit
            row["DOB"] = src["DOB"]
            action = f"DOB taken from {name} ({src['_file']}, line {src['_line']})"
        else:
            action = "kept; date of birth and age unknown"
        _issue(issues, "Header", row, "DOB", problem, action)


def _check_codes(row: Row, issues: list[Issue]) -> None:
    place = row["PLACE"]
    if place is None:
        _issue(issues, "Episodes", row, "PLACE", "PLACE is blank", "kept; placement type unknown")
    elif place not in codes.PLACE_GROUP:
        _issue(
            issues, "Episodes", row, "PLACE", f"{place!r} is not an SSDA903 PLACE code", "kept; placement type unknown"
        )
    else:
        window = codes.place_window(str(place))
        if not window.holds(row["DECOM"]):  # type: ignore[arg-type]
            _issue(
                issues,
                "Episodes",
                row,
                "PLACE",
                f"PLACE {place} is not valid for an episode beginning {row['DECOM']:%d/%m/%Y} ({window.describe()})",
                f"kept; read as {codes.PLACE_GROUP[str(place)]}",
            )
    provider = row["PLACE_PROVIDER"]
    if provider is not None and provider not in codes.PROVIDERS:
        _issue(
            issues,
            "Episodes",
            row,
            "PLACE_PROVIDER",
            f"{provider!r} is not a PLACE_PROVIDER code",
            "kept; provider unknown",
        )


def _child_episodes(eps: list[Row], issues: list[Issue]) -> list[Row]:
    """One child's episodes in DECOM order: DEC before DECOM, unreadable DEC, overlaps."""
    sound = []
    for ep in eps:
        if ep["DEC"] is not None and ep["DEC"] < ep["DECOM"]:  # type: ignore[operator]
            _issue(
                issues,
                "Episodes",
                ep,
                "DEC",
                f"DEC {ep['DEC']:%d/%m/%Y} is before DECOM {ep['DECOM']:%d/%m/%Y}",
                "episode not read",
            )
        else:
            sound.append(ep)
    final = []
    for i, ep in enumerate(sound):
        nxt = sound[i + 1] if i + 1 < len(sound) else None
        bad_dec = _bad(ep).get("DEC")
        if bad_dec is not None:
            if nxt is None:
                _issue(
                    issues,
                    "Episodes",
                    ep,
                    "DEC",
                    bad_dec,
                    "episode not read: with no later episode, when it ended cannot be told",
                )
                continue
            ep["DEC"] = nxt["DECOM"]
            _issue(
                issues, "Episodes", ep, "DEC", bad_dec, f"DEC read as the next episode's DECOM {nxt['DECOM']:%d/%m/%Y}"
            )
        elif nxt is not None and (ep["DEC"] is None or ep["DEC"] > nxt["DECOM"]):  # type: ignore[operator]
            ended = "is open" if ep["DEC"] is None else f"ends {ep['DEC']:%d/%m/%Y}"
            _issue(
                issues,
                "Episodes",
                ep,
                "DEC",
                f"episode {ended} but the next one begins {nxt['DECOM']:%d/%m/%Y} (line {nxt['_line']}): they overlap",
                f"DEC read as {nxt['DECOM']:%d/%m/%Y}",
            )
            ep["DEC"] = nxt["DECOM"]
        final.append(ep)
    return final


def _episodes(rows: list[Row], issues: list[Issue]) -> tuple[list[Row], int]:
    started = []
    for row in rows:
        if row["DECOM"] is None:  # without a start an episode cannot be placed in time
            _issue(issues, "Episodes", row, "DECOM", _bad(row).get("DECOM", "DECOM is blank"), "episode not read")
        else:
            started.append(row)
    rows = _dedupe_within_file(
        started, "Episodes", ["child_id", "DECOM"], issues, "an episode with this CHILD and DECOM"
    )
    # Across years: the latest year's row with a readable, non-blank DEC (else the latest).
    rows, merged = _merge_years(rows, ["child_id", "DECOM"], "DEC")
    for row in rows:
        _check_codes(row, issues)
    by_child: dict[object, list[Row]] = {}
    for row in sorted(rows, key=lambda r: (str(r["child_id"]), r["DECOM"], r["_order"], r["_line"])):
        by_child.setdefault(row["child_id"], []).append(row)
    out: list[Row] = []
    for eps in by_child.values():
        out.extend(_child_episodes(eps, issues))
    return out, merged


def _keyed(
    rows: list[Row], name: str, keys: list[str], end: str | None, needed: tuple[str, ...], issues: list[Issue]
) -> tuple[list[Row], int]:
    """Reviews, SWEpisodes, UASC: drop rows lacking a needed value; merge repeats across years."""
    keep = []
    for row in rows:
        missing = [c for c in needed if row[c] is None]
        if missing:
            col = missing[0]
            _issue(issues, name, row, col, _bad(row).get(col, f"{col} is blank"), "row not read")
        elif name == "SWEpisodes" and "SW_DEC" in _bad(row):  # when the worker left cannot be told
            _issue(issues, name, row, "SW_DEC", _bad(row)["SW_DEC"], "row not read")
        else:
            keep.append(row)
    keep = _dedupe_within_file(
        keep, name, ["child_id"] + keys, issues, "a row with this " + ", ".join(["CHILD"] + keys)
    )
    return _merge_years(keep, ["child_id"] + keys, end)


#: Unreadable cells whose consequence is decided table by table above.
_HANDLED = {
    ("Episodes", "DECOM"),
    ("Episodes", "DEC"),
    ("Header", "DOB"),
    ("Reviews", "REVIEW"),
    ("SWEpisodes", "SW_DECOM"),
    ("SWEpisodes", "SW_DEC"),
}


def _to_frame(rows: list[Row], name: str) -> pd.DataFrame:
    cols = list(REGIONAL_COLUMNS) + list(TABLES[name]) + ["child_id"] + list(META)
    rows = sorted(rows, key=lambda r: (int(r["_order"]), int(r["_line"])))  # type: ignore[call-overload]
    return pd.DataFrame([[r.get(c) for c in cols] for r in rows], columns=cols, dtype=object)


def read_ssda903(path: Path) -> SSDA903:
    """Read every SSDA903 CSV under ``path`` (a folder, searched recursively, or one file)."""
    root = Path(path)
    if not root.exists():
        raise InputError([Problem(str(root), None, None, "SSDA903 folder not found")])
    issues: list[Issue] = []
    raws: dict[str, _Raw] = {}
    refused: list[Problem] = []
    base = root if root.is_dir() else root.parent
    for order, file in enumerate(_csv_files(root)):
        suffix = file.suffix.lower()
        if suffix == ".xml":
            _read_xml_file(file, base, order, raws, issues, refused)
            continue
        if suffix != ".csv":
            issues.append(Issue("unknown", str(file), None, None, "not a CSV or XML file", "file not read"))
            continue
        _read_file(file, base, order, raws, issues)
    if refused:
        raise InputError(refused)
    if "Episodes" not in raws:
        found = ", ".join(sorted(raws)) or "none"
        raise InputError(
            [
                Problem(
                    str(root),
                    None,
                    None,
                    f"no Episodes table found (a CSV with the columns {', '.join(TABLES['Episodes'])}); "
                    f"tables found: {found}",
                )
            ]
            + [i.as_problem() for i in issues]
        )
    regional = any(any(r.get(c) is not None for c in REGIONAL_COLUMNS) for raw in raws.values() for r in raw.rows)
    las = {r.get("LA") for raw in raws.values() for r in raw.rows if r.get("LA") is not None}
    several = regional and len(las) > 1

    tables: dict[str, list[Row]] = {}
    for name, raw in raws.items():
        rows = []
        for row in raw.rows:
            if row.get("CHILD") is None:
                _issue(issues, name, row, "CHILD", "CHILD is blank", "row not read")
                continue
            la = row.get("LA")
            row["child_id"] = f"{la}:{row['CHILD']}" if several and la is not None else row["CHILD"]
            rows.append(row)
        _parse_dates(rows, name)
        tables[name] = rows

    merged = 0
    episodes, n = _episodes(tables["Episodes"], issues)
    merged += n
    if not episodes:
        raise InputError(
            [Problem(str(root), None, None, "no episode in the Episodes table could be read")]
            + [i.as_problem() for i in issues]
        )
    tables["Episodes"] = episodes
    for name, keys, end, needed in (
        ("Reviews", ["REVIEW"], None, ("REVIEW",)),
        ("SWEpisodes", ["SW_ID", "SW_DECOM"], "SW_DEC", ("SW_ID", "SW_DECOM")),
        ("UASC", [], "DUC", ()),
    ):
        if name in tables:
            tables[name], n = _keyed(tables[name], name, keys, end, needed, issues)
            merged += n
    # Unreadable cells of tables the cohort does not use: blank, and said so.
    for name, rows in tables.items():
        for row in rows:
            bad = row.get("_bad")
            for col, problem in bad.items() if isinstance(bad, dict) else ():
                if (name, col) not in _HANDLED:
                    _issue(issues, name, row, col, problem, "cell read as blank")
    if "Header" in tables:
        tables["Header"], n = _header(tables["Header"], issues)
        merged += n
        _fill_dob(tables["Header"], {k: v for k, v in tables.items() if k not in ("Header", "Episodes")}, issues)
        known = {r["child_id"] for r in tables["Header"]}
        reported: set[object] = set()
        for ep in tables["Episodes"]:
            if ep["child_id"] not in known and ep["child_id"] not in reported:
                reported.add(ep["child_id"])
                _issue(
                    issues,
                    "Episodes",
                    ep,
                    "CHILD",
                    f"CHILD {ep['CHILD']} is not in the Header table",
                    "kept; sex and date of birth unknown",
                )
    else:
        issues.append(Issue("Header", str(root), None, None, "no Header table found", "sex and dates of birth unknown"))
    frames = {name: _to_frame(rows, name) for name, rows in tables.items()}
    files = {name: tuple(raw.files) for name, raw in raws.items()}
    return SSDA903(frames, tuple(issues), regional, files, merged)
