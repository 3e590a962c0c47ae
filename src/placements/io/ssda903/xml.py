"""SSDA903 as the DfE's XML (``EXPSSDA903``): read into the CSV tables' rows, and written from them.

Layout (the DfE's XML schema for the return, "Expanded SSDA903", as case-management systems export
it and as the sector's validator reads and writes it: ``data-to-insight/csc-validator-be-903``,
``lac_validator/ingress.py`` and its test fixture ``tests/fake_data/fake_903.xml``)::

    <EXPSSDA903>
      <CHILD>
        <HEADER>
          <CHILDID/> <UPN/> <SEX/> <DOB/> <ETHNIC/> <UASC/> <DUC/> <MOTHER/> <MC_DOB/>
          <AREVIEW><REVIEW/><REVIEW_CODE/></AREVIEW> ...      (Reviews)
          <AMISSING><MISSING/><MIS_START/><MIS_END/></AMISSING> ...   (Missing)
          <OC2>...</OC2>  <PERMANENCE>...</PERMANENCE>  <AD_PLACED>...</AD_PLACED> ...
        </HEADER>
        <EPISODE><DECOM/><RNE/><LS/><CIN/><PL/><PL_POST/><HOME_POST/><URN/><PLACE_PROVIDER/><DEC/><REC/>
                 <REASON_PLACE_CHANGE/></EPISODE> ...
      </CHILD> ...
    </EXPSSDA903>

Element names are the CSV columns' except ``CHILDID`` (CSV ``CHILD``) and ``PL`` (``PLACE``). Years
differ in where a group sits (inside ``HEADER`` or beside it) and in what groups there are, so a
group is known by the items it holds, as a CSV table is known by its columns: the group holding
``DECOM`` is an episode, ``REVIEW`` a review, ``SW_ID`` a social-worker episode, and so on
(``_classify``). The child's own items (in ``HEADER`` or directly in ``CHILD``) make the Header row,
a UASC row when ``UASC`` is 1 or ``DUC`` is given, and OC3 or AD1 rows when their items are there;
every group's row also takes the child's ``CHILD`` (and ``DOB``, ``SEX`` where its table has them).

Each row carries, for the problems report, the line its element starts on and, per column, the
element's path (``CHILD[12]/EPISODE[3]/DEC``). A file that is not well-formed XML, or whose root is
not ``EXPSSDA903`` (another return, such as the CIN census), is refused with the file and line.

Parsing is expat's (the standard library's), with a document type declaration refused, so no
entity is ever expanded.
"""

from __future__ import annotations

import datetime as dt
import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

from placements.errors import Problem
from placements.io.ssda903.schema import DATE_COLUMNS, DFE_DATE_FORMAT, TABLES

ROOT = "EXPSSDA903"
#: Element name -> CSV column, where they differ.
ELEMENT_COLUMN = {"CHILDID": "CHILD", "PL": "PLACE"}
COLUMN_ELEMENT = {v: k for k, v in ELEMENT_COLUMN.items()}
#: The groups the DfE's layout names (for writing; reading knows a group by its items).
GROUP_ELEMENT = {
    "Episodes": "EPISODE",
    "Reviews": "AREVIEW",
    "Missing": "AMISSING",
    "PlacedAdoption": "AD_PLACED",
    "PrevPerm": "PERMANENCE",
    "OC2": "OC2",
    "AD1": "ADOPTION",
    "OC3": "OC3",
    "SWEpisodes": "SWEPISODE",
}
#: Items of the child itself, whatever the year (the Header table's, and UASC's flag and date).
CHILD_ITEMS = set(TABLES["Header"]) | {"UASC", "DUC"}
#: Columns a group's row takes from its child rather than from its own items.
INHERITED = ("CHILD", "DOB", "SEX")
#: Known roots of other returns, to say what a refused file is.
OTHER_RETURNS = {
    "Message": "a DfE COLLECT return such as the CIN census or SEN2 (root <Message>)",
    "CIN": "a CIN census return",
}


class XMLRefused(Exception):
    """The file cannot be read as an SSDA903 return at all."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


@dataclass
class _Node:
    tag: str
    line: int
    path: str
    children: list[_Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    @property
    def value(self) -> str | None:
        text = "".join(self.text).strip()
        return text or None

    @property
    def is_leaf(self) -> bool:
        return not self.children


def parse(path: Path) -> _Node:
    """The file as a tree of nodes with lines and paths; ``XMLRefused`` when it is not XML or not SSDA903."""
    name = str(path)
    parser = xml.parsers.expat.ParserCreate()
    stack: list[_Node] = []
    counts: list[dict[str, int]] = [{}]
    root: list[_Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        seen = counts[-1]
        seen[tag] = seen.get(tag, 0) + 1
        if stack:
            where = f"{stack[-1].path}/{tag}[{seen[tag]}]" if stack[-1].tag != ROOT else f"{tag}[{seen[tag]}]"
        else:
            where = tag
        node = _Node(tag, parser.CurrentLineNumber, where)
        if stack:
            stack[-1].children.append(node)
        elif tag != ROOT:
            what = OTHER_RETURNS.get(tag, f"root element <{tag}>")
            raise XMLRefused(
                Problem(name, parser.CurrentLineNumber, tag, f"not an SSDA903 return (root <{ROOT}>): this is {what}")
            )
        else:
            root.append(node)
        stack.append(node)
        counts.append({})

    def end(tag: str) -> None:
        stack.pop()
        counts.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text.append(data)

    def doctype(*_: object) -> None:
        raise XMLRefused(Problem(name, parser.CurrentLineNumber, None, "a document type declaration is not accepted"))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(path.read_bytes(), True)
    except xml.parsers.expat.ExpatError as exc:
        raise XMLRefused(
            Problem(
                name,
                exc.lineno,
                None,
                f"not well-formed XML: {xml.parsers.expat.ErrorString(exc.code)} (line {exc.lineno}, "
                f"character {exc.offset + 1})",
            )
        ) from None
    if not root:
        raise XMLRefused(Problem(name, None, None, f"no <{ROOT}> element"))
    return root[0]


def _classify(items: set[str]) -> str | None:
    """The table whose own columns (beyond CHILD, DOB, SEX) a group's items best match."""
    best, score = None, 0
    for table, cols in TABLES.items():
        own = set(cols) - set(INHERITED)
        hit = len(items & own)
        if hit > score:
            best, score = table, hit
    return best


def _leaves(node: _Node) -> dict[str, _Node]:
    """A group's items by CSV column; nested groups' items are flattened (first wins)."""
    out: dict[str, _Node] = {}
    for c in node.children:
        if c.is_leaf:
            out.setdefault(ELEMENT_COLUMN.get(c.tag, c.tag), c)
        else:
            for k, v in _leaves(c).items():
                out.setdefault(k, v)
    return out


Row = dict[str, object]


Note = tuple[str, int, str, str, str]  # table, line, element path, problem, what was done


def read_rows(path: Path, file_year: int | None, order: int) -> tuple[dict[str, list[Row]], list[Note]]:
    """Rows per table (with ``_file``, ``_line``, ``_order``, ``_year`` and ``_xml``: column -> (path, line)),
    and notes on elements not read. ``XMLRefused`` when the file cannot be read."""
    root = parse(path)
    name = str(path)
    tables: dict[str, list[Row]] = {}
    notes: list[Note] = []

    def make(table: str, node: _Node, items: dict[str, _Node], child: dict[str, _Node]) -> None:
        row: Row = {}
        where: dict[str, tuple[str, int]] = {".": (node.path, node.line)}
        for col in TABLES[table]:
            src = items.get(col)
            if src is None and col in INHERITED:
                src = child.get(col)
            row[col] = src.value if src is not None else None
            if src is not None:
                where[col] = (src.path.removesuffix("[1]"), src.line)
        row.update(_file=name, _line=node.line, _order=order, _year=file_year, _xml=where)
        tables.setdefault(table, []).append(row)

    for child in root.children:
        if child.tag != "CHILD":
            notes.append(("unknown", child.line, child.path, f"<{child.tag}> is not a CHILD", "not read"))
            continue
        own: dict[str, _Node] = {}
        groups: list[_Node] = []
        for c in child.children:
            inner = c.children if c.tag == "HEADER" else [c]
            if c.tag == "HEADER" and c.is_leaf:
                continue
            for x in inner:
                (own.setdefault(ELEMENT_COLUMN.get(x.tag, x.tag), x) if x.is_leaf else groups.append(x))
        header_node = next((c for c in child.children if c.tag == "HEADER"), child)
        leftovers = {k: v for k, v in own.items() if k not in CHILD_ITEMS}
        if own.get("CHILD") is None or own["CHILD"].value is None:
            notes.append(("Header", child.line, f"{child.path}/HEADER/CHILDID", "CHILDID is blank or missing",
                          "child not read"))  # fmt: skip
            continue
        make("Header", header_node, own, own)
        uasc = own.get("UASC")
        if (uasc is not None and uasc.value not in (None, "0")) or (own.get("DUC") and own["DUC"].value):
            make("UASC", uasc or own["DUC"], own, own)
        for table in ("OC3", "AD1"):  # items some years hold directly in HEADER
            mine = {k: v for k, v in leftovers.items() if k in TABLES[table]}
            if mine:
                make(table, next(iter(mine.values())), {**mine}, own)
                leftovers = {k: v for k, v in leftovers.items() if k not in mine}
        for v in leftovers.values():
            notes.append(("Header", v.line, v.path.removesuffix("[1]"), f"<{v.tag}> is not an SSDA903 item", "ignored"))
        for g in groups:
            items = _leaves(g)
            found = _classify(set(items))
            if found is None:
                notes.append(("unknown", g.line, g.path, f"<{g.tag}> holds no SSDA903 item known", "not read"))
                continue
            make(found, g, items, own)
            extra = sorted(set(items) - set(TABLES[found]))
            if extra:
                notes.append((found, g.line, g.path, f"items not in {found}: {', '.join(extra)}", "ignored"))
    return tables, notes


# ---------------------------------------------------------------------------------------------
# Writing


def _text(value: object, date: bool) -> str | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if date and isinstance(value, (dt.date, pd.Timestamp)):
        return value.strftime(DFE_DATE_FORMAT)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text != "" else None


def _item(col: str, value: object, date: bool) -> str:
    tag = COLUMN_ELEMENT.get(col, col)
    text = _text(value, date)
    return f"<{tag} />" if text is None else f"<{tag}>{escape(text)}</{tag}>"


def tables_xml(tables: dict[str, pd.DataFrame]) -> str:
    """The tables as one ``EXPSSDA903`` document, one ``CHILD`` per child (Header order, then any child
    only in other tables), with dates as DD/MM/YYYY. SWEpisodes, which the DfE collects in a separate
    social-worker return, are written as ``SWEPISODE`` groups; ``read_rows`` reads them back."""
    header = tables.get("Header", pd.DataFrame(columns=TABLES["Header"]))
    uasc = tables.get("UASC", pd.DataFrame(columns=TABLES["UASC"]))
    duc = {str(c): d for c, d in zip(uasc.get("CHILD", []), uasc.get("DUC", []), strict=True)}
    by_child: dict[str, dict[str, list[dict[str, object]]]] = {}
    order: list[str] = [str(c) for c in header.get("CHILD", [])]
    for name, frame in tables.items():
        if name in ("Header", "UASC"):
            continue
        for rec in frame.to_dict("records"):
            cid = str(rec["CHILD"])
            if cid not in by_child and cid not in order:
                order.append(cid)
            by_child.setdefault(cid, {}).setdefault(name, []).append(rec)
    heads = {str(r["CHILD"]): r for r in header.to_dict("records")}
    out = ['<?xml version="1.0" encoding="utf-8"?>', f"<{ROOT}>"]
    for cid in order:
        h = heads.get(cid, {"CHILD": cid})
        groups = by_child.get(cid, {})
        parts = ["<CHILD><HEADER>"]
        for col in ("CHILD", "UPN", "SEX", "DOB", "ETHNIC"):
            parts.append(_item(col, h.get(col), col in DATE_COLUMNS["Header"]))
        if cid in duc:
            parts.append(_item("UASC", "1", False))
            parts.append(_item("DUC", duc[cid], True))
        else:
            parts.append("<UASC />")
        for name in ("Reviews", "Missing"):
            for rec in groups.get(name, []):
                parts.append(_group(name, rec))
        for col in ("MOTHER", "MC_DOB"):
            parts.append(_item(col, h.get(col), col in DATE_COLUMNS["Header"]))
        for name in ("OC3", "AD1"):  # their items sit in HEADER itself, as in the validator's fixture
            for rec in groups.get(name, [])[:1]:
                dates = set(DATE_COLUMNS.get(name, ()))
                parts.extend(_item(c, rec.get(c), c in dates) for c in TABLES[name] if c not in INHERITED)
        for name in ("PrevPerm", "OC2", "PlacedAdoption"):
            for rec in groups.get(name, []):
                parts.append(_group(name, rec))
        parts.append("</HEADER>")
        for name in ("Episodes", "SWEpisodes"):
            for rec in groups.get(name, []):
                parts.append(_group(name, rec))
        parts.append("</CHILD>")
        out.append("".join(parts))
    out.append(f"</{ROOT}>")
    return "\n".join(out) + "\n"


#: Item order within each group, as the DfE's layout has it (Episodes: the validator's writer's order).
_ITEM_ORDER = {
    "Episodes": ("DECOM", "RNE", "LS", "CIN", "PLACE", "PL_POST", "HOME_POST", "URN", "PLACE_PROVIDER", "DEC", "REC",
                 "REASON_PLACE_CHANGE"),
}  # fmt: skip


def _group(name: str, rec: dict[str, object]) -> str:
    tag = GROUP_ELEMENT[name]
    cols = _ITEM_ORDER.get(name, tuple(c for c in TABLES[name] if c not in INHERITED))
    dates = set(DATE_COLUMNS.get(name, ()))
    return f"<{tag}>" + "".join(_item(c, rec.get(c), c in dates) for c in cols) + f"</{tag}>"
