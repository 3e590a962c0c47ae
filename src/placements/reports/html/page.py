"""The report as one HTML file: inline CSS, inline SVG charts, every table beside its CSV.

A table is rendered from the very CSV text written beside the page (parsed back with ``csv``), each
cell keeping the CSV's value in ``data-value``, so page and file hold the same numbers. No script,
no font, no image is fetched: the page opens from a USB stick on a machine with no network.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from html import escape

import pandas as pd

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


def table_html(name: str, text: str, caption: str = "") -> str:
    """``<table id="table-NAME" data-csv="NAME.csv">`` from the CSV text itself."""
    rows = list(csv.reader(io.StringIO(text)))
    head, body = rows[0], rows[1:]
    out = [f'<table id="table-{escape(name)}" data-csv="{escape(name)}.csv">']
    if caption:
        out.append(f'<caption class="note">{escape(caption)}</caption>')
    out.append(
        "<thead><tr>" + "".join(f"<th>{escape(h.replace('_', ' '))}</th>" for h in head) + "</tr></thead><tbody>"
    )
    for r in body:
        cells = []
        for v in r:
            cls = ' class="num"' if _is_number(v) else ""
            cells.append(f'<td{cls} data-value="{escape(v)}">{escape(_shown(v))}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    out.append(f'<p class="csv">The same table: <a href="{escape(name)}.csv">{escape(name)}.csv</a></p>')
    return "\n".join(out)


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


def render(title: str, meta: str, headline: str, sections: list[Section], csvs: dict[str, str], footer: str) -> str:
    """The whole page. ``csvs``: table name -> the CSV text written beside the page."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<header><h1>{escape(title)}</h1><p>{escape(meta)}</p></header><main>",
        f'<p class="headline" id="headline">{escape(headline)}</p>',
    ]
    for s in sections:
        parts.append(f'<section id="{escape(s.id)}"><h2>{escape(s.title)}</h2>')
        if s.text:
            parts.append(f"<p>{escape(s.text)}</p>")
        if s.svg:
            data_csv = escape(s.tables[0] + ".csv") if s.tables else ""
            parts.append(
                f'<figure class="chart" id="{escape(s.chart_id)}" data-csv="{data_csv}">'
                f'<figcaption id="{escape(s.chart_id)}-title">{escape(s.caption)}</figcaption>{s.svg}</figure>'
            )
        tables = "\n".join(table_html(t, csvs[t]) for t in s.tables)
        if s.collapsed and tables:
            parts.append(
                f"<details><summary>Show the table ({escape(', '.join(t + '.csv' for t in s.tables))})</summary>{tables}</details>"
            )
        else:
            parts.append(tables)
        parts.append("</section>")
    parts.append(f"<footer>{footer}</footer></main></body></html>")
    return "\n".join(parts) + "\n"


def _plain(v: object) -> object:
    """numpy scalars as Python numbers, for JSON."""
    if hasattr(v, "item"):
        return v.item()  # type: ignore[no-any-return, attr-defined]
    raise TypeError(f"{type(v).__name__} is not JSON serialisable")


def summary_json(data: dict[str, object]) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=_plain) + "\n"
