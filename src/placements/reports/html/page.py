"""The report as one HTML file: inline CSS, inline SVG charts, every table beside its CSV.

The page is the Jinja2 template ``templates/report.html.j2`` (autoescaped); this module prepares what it
shows. A table is rendered from the very CSV text written beside the page (parsed back with ``csv``), each
cell keeping the CSV's value in ``data-value``, so page and file hold the same numbers. No script,
no font, no image is fetched: the page opens from a USB stick on a machine with no network.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

CSS = """
:root { --ink:#1d1d1f; --muted:#5f6368; --rule:#d9d9de; --band:#f4f5f7; --accent:#1b7f5f; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink);
       margin: 0; line-height: 1.45; background: #fff; }
header { background: var(--accent); color: #fff; padding: 1.2rem 2rem; }
header h1 { margin: 0 0 .3rem; font-size: 1.6rem; }
header p { margin: 0; opacity: .92; }
main { max-width: 62rem; margin: 0 auto; padding: 1rem 2rem 3rem; }
section { margin: 2rem 0; }
h2 { font-size: 1.25rem; border-bottom: 2px solid var(--rule); padding-bottom: .3rem; }
p.headline { font-size: 1.1rem; background: var(--band); padding: .8rem 1rem; border-left: 4px solid var(--accent); }
figure { margin: 1rem 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .92rem; margin-bottom: .4rem; }
table { border-collapse: collapse; font-size: .88rem; margin: .6rem 0; }
th, td { border-bottom: 1px solid var(--rule); padding: .25rem .6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: var(--band); }
.csv { font-size: .85rem; color: var(--muted); }
.note { color: var(--muted); font-size: .9rem; }
p.reading { margin: .2rem 0 1rem; }
div.alert { background: #fdf1f2; border-left: 4px solid #d1495b; padding: .5rem 1rem; }
div.alert h3, div.plain h3 { font-size: 1rem; margin: .3rem 0; }
div.plain { background: var(--band); border-left: 4px solid var(--accent); padding: .5rem 1rem; }
details summary { cursor: pointer; font-weight: 600; }
footer { color: var(--muted); font-size: .85rem; border-top: 1px solid var(--rule); padding-top: 1rem; }
@media print { header { background: none; color: var(--ink); } }
"""


def csv_text(frame: pd.DataFrame) -> str:
    """How every table of the report is written (the same float format as the match outputs)."""
    return frame.to_csv(index=False, float_format="%.10g", lineterminator="\n")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() != ""


def _shown(text: str) -> str:
    """A number as a reader wants it (thousands separated); anything else as written."""
    if not _is_number(text) or text.lower() in ("nan", "inf", "-inf"):
        return text
    v = float(text)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"


def _cell(value: str) -> dict[str, object]:
    return {"value": value, "shown": _shown(value), "number": _is_number(value)}


def table_view(name: str, text: str, caption: str = "") -> dict[str, object]:
    """What the template's ``table`` macro draws, from the CSV text itself: headings, and per cell the
    CSV's value (kept in ``data-value``), the value as shown, and whether it is a number."""
    rows = list(csv.reader(io.StringIO(text)))
    head, body = rows[0], rows[1:]
    return {
        "name": name,
        "caption": caption,
        "head": [h.replace("_", " ") for h in head],
        "rows": [[_cell(v) for v in r] for r in body],
    }


@dataclass(frozen=True)
class Section:
    """One part of the page: a heading, words, maybe a chart, and its tables (by CSV name)."""

    id: str
    title: str
    text: str
    tables: tuple[str, ...]
    chart_id: str = ""
    svg: str = ""
    caption: str = ""
    collapsed: bool = False
    #: A sentence under the chart saying what it shows, in numbers.
    reading: str = ""
    #: Points to stand out (a list under the text), with their heading.
    items: tuple[str, ...] = ()
    items_title: str = ""
    items_class: str = "alert"
    #: The table a chart draws, when it is not the section's first (``data-csv`` of the figure).
    data_csv: str = ""


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("placements.reports.html", "templates"),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )


def render(title: str, meta: str, headline: str, sections: list[Section], csvs: dict[str, str], footer: str) -> str:
    """The whole page, from ``templates/report.html.j2``. ``csvs``: table name -> the CSV text written
    beside the page. Each section's ``svg`` is markup made here; everything else is escaped."""
    views = [
        {
            "id": s.id,
            "title": s.title,
            "text": s.text,
            "svg": Markup(s.svg),
            "chart_id": s.chart_id,
            "caption": s.caption,
            "data_csv": (s.data_csv or (s.tables[0] if s.tables else "")) + ".csv" if (s.data_csv or s.tables) else "",
            "reading": s.reading,
            "points": list(s.items),
            "points_title": s.items_title,
            "points_class": s.items_class,
            "collapsed": s.collapsed,
            "tables": [table_view(t, csvs[t]) for t in s.tables],
            "table_files": ", ".join(t + ".csv" for t in s.tables),
        }
        for s in sections
    ]
    page = (
        _environment()
        .get_template("report.html.j2")
        .render(title=title, meta=meta, headline=headline, css=Markup(CSS), sections=views, footer=footer)
    )
    return page.rstrip("\n") + "\n"


def _plain(v: object) -> object:
    """numpy scalars as Python numbers, for JSON."""
    if hasattr(v, "item"):
        return v.item()
    raise TypeError(f"{type(v).__name__} is not JSON serialisable")


def summary_json(data: dict[str, object]) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=_plain) + "\n"
