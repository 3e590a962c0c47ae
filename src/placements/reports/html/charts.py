"""The report's charts, drawn by matplotlib as SVG text to inline in the page (no images, no CDN).

Every bar carries its number as a text label with the SVG id ``<chart>-value-<k>``, so a reader (and
the browser test) can read the chart's numbers off the chart itself. Text stays text
(``svg.fonttype = none``), ids are salted and the date left out, so the same numbers give the same bytes.
"""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from placements.reports.html.data import MIX_CATEGORIES

COLOURS = {
    "foster": "#1b7f5f",
    "supported": "#7fb069",
    "residential": "#d1495b",
    "other": "#9e9e9e",
    "no home": "#2e294e",
    "today": "#9e9e9e",
    "best": "#1b7f5f",
    "ideal": "#7fb069",
    "high": "#d1495b",
    "medium": "#edae49",
    "low": "#00798c",
}
_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "placements-report",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


class _Labels:
    """Numbers written on a chart, each with its own SVG id."""

    def __init__(self, chart_id: str):
        self.chart_id = chart_id
        self.k = 0

    def add(self, ax: plt.Axes, x: float, y: float, value: float, **kw: object) -> None:
        kw.setdefault("fontsize", 9)
        t = ax.text(x, y, _fmt(value), **kw)
        t.set_gid(f"{self.chart_id}-value-{self.k}")
        self.k += 1


def _svg(fig: plt.Figure, chart_id: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]  # drop the XML declaration and doctype: inlined in HTML
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    return text.replace("<svg ", f'<svg role="img" aria-labelledby="{chart_id}-title" ', 1)


def _legend_below(ax: plt.Axes, ncols: int, handles: list | None = None, labels: list | None = None) -> None:
    """A legend under the axes, outside the plot, so it never covers a bar."""
    kw = {"ncols": ncols, "loc": "upper center", "bbox_to_anchor": (0.5, -0.22), "frameon": False}
    if handles is not None:
        ax.legend(handles, labels, **kw)
    else:
        ax.legend(**kw)


def placement_mix_chart(mix: pd.DataFrame, chart_id: str = "chart-placement-mix") -> str:
    """Stacked bars: where the children live today, in the best match of today's homes (nobody moving, and
    with moves), and ideally."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(8, 0.55 * len(mix) + 1.6))
        labels = _Labels(chart_id)
        states = list(mix["state"])
        left = np.zeros(len(mix))
        names = {"foster": "foster family", "supported": "supported accommodation", "residential": "children's home"}
        for cat in MIX_CATEGORIES:
            vals = mix[cat].to_numpy(dtype=float)
            ax.barh(states, vals, left=left, color=COLOURS[cat], label=names.get(cat, cat), height=0.6)
            for i, v in enumerate(vals):
                if v > 0:
                    labels.add(ax, left[i] + v / 2, i, v, ha="center", va="center", color="white")
            left += vals
        ax.invert_yaxis()
        ax.set_xlabel("children")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _legend_below(ax, 3)
        return _svg(fig, chart_id)


#: The series of the age-band chart: column of gaps_age_band.csv -> words and colour.
AGE_SERIES: dict[str, tuple[str, str]] = {
    "need_a_family": ("need a foster family", "#2e294e"),
    "with_a_family_today": ("have one today", "#9e9e9e"),
    "with_a_family_nobody_moving": ("could, nobody moving", "#7fb069"),
    "with_a_family_with_moves": ("could, with moves", "#1b7f5f"),
}


def family_by_age_chart(table: pd.DataFrame, chart_id: str = "chart-gaps-age-band") -> str:
    """Grouped bars per age band: children who need a foster family, and how many of them have one today and
    could with today's homes (nobody moving; with moves)."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(8, 3.8))
        labels = _Labels(chart_id)
        x = np.arange(len(table))
        width = 0.2
        for k, (col, (name, colour)) in enumerate(AGE_SERIES.items()):
            vals = table[col].to_numpy(dtype=float)
            pos = x + (k - 1.5) * width
            ax.bar(pos, vals, width=width, color=colour, label=name)
            for p, v in zip(pos, vals, strict=True):
                labels.add(ax, p, v, v, ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x, list(table["age_band"]))
        ax.set_xlabel("age band")
        ax.set_ylabel("children")
        _legend_below(ax, 4)
        ax.margins(y=0.15)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        return _svg(fig, chart_id)


def conflicts_chart(by_rule: pd.DataFrame, chart_id: str = "chart-conflicts") -> str:
    """Horizontal bars: findings per conflict rule, coloured by severity."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(8, 0.4 * max(len(by_rule), 3) + 0.8))
        labels = _Labels(chart_id)
        y = np.arange(len(by_rule))
        vals = by_rule["findings"].to_numpy(dtype=float)
        ax.barh(y, vals, color=[COLOURS.get(s, "#555555") for s in by_rule["severity"]], height=0.6)
        for i, v in enumerate(vals):
            labels.add(ax, v, i, v, ha="left", va="center")
        ax.set_yticks(y, [r.replace("_", " ") for r in by_rule["rule"]])
        ax.invert_yaxis()
        ax.set_xlabel("findings")
        ax.margins(x=0.12)
        handles = [plt.Rectangle((0, 0), 1, 1, color=COLOURS[s]) for s in ("high", "medium", "low")]
        ax.legend(
            handles,
            ["high severity", "medium", "low"],
            frameon=False,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        return _svg(fig, chart_id)


#: Colours of the recruitment chart: a cost, a saving, an extra cost (a negative saving).
RECRUIT_COLOURS = {"cost": "#5f6b7a", "saving": "#1b7f5f", "extra cost": "#d1495b"}


def recruit_chart(options: pd.DataFrame, chart_id: str = "chart-recruit") -> str:
    """Per recruitment option that reaches its target: its first-year cost and the yearly saving of its moves,
    a negative saving drawn to the left in red as an extra cost. An option not reached (or not proven) has no
    bars, only the words, so it is never read as costing nothing."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(8, 0.7 * max(len(options), 3) + 1.2))
        labels = _Labels(chart_id)
        y = np.arange(len(options))
        h = 0.36
        for i, r in enumerate(options.itertuples()):
            cost, saving = r.first_year_cost, r.annual_saving
            if cost is None or cost != cost:  # not reached: words, no bars
                ax.text(0, y[i], f"  {r.status}: no cost or saving claimed", va="center", ha="left", color="#5f6368")
                continue
            ax.barh(y[i] - h / 2, cost, height=h, color=RECRUIT_COLOURS["cost"])
            labels.add(ax, cost, y[i] - h / 2, cost, ha="left", va="center")
            colour = RECRUIT_COLOURS["saving"] if saving >= 0 else RECRUIT_COLOURS["extra cost"]
            ax.barh(y[i] + h / 2, saving, height=h, color=colour)
            labels.add(ax, saving, y[i] + h / 2, saving, ha="left" if saving >= 0 else "right", va="center")
        ax.set_yticks(y, [_wrap(t) for t in options["target"]])
        ax.set_ylim(len(options) - 0.4, -0.6)  # every option has its row, with or without bars (top down)
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_xlabel("GBP thousand (left of zero: the moves cost more than today)")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:,.0f}"))
        ax.margins(x=0.3)
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in RECRUIT_COLOURS.values()]
        _legend_below(
            ax, 3, handles, ["first-year cost of the households", "yearly saving of the moves", "yearly extra cost"]
        )
        return _svg(fig, chart_id)


def _wrap(text: str, width: int = 24) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join([*lines, line])


def band_chart(bands: pd.DataFrame, metric: str, title: str, order: list[str], chart_id: str) -> str:
    """A simulation figure month by month: each scenario's median with its p10-p90 band; the median at the
    horizon written at the end of each line."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(8, 3.4))
        labels = _Labels(chart_id)
        for k, name in enumerate(order):
            b = bands[(bands["scenario"] == name) & (bands["metric"] == metric)].sort_values("month")
            if b.empty:
                continue
            colour = f"C{k % 10}"
            ax.plot(b["month"], b["p50"], color=colour, label=f"{name} (median)")
            ax.fill_between(b["month"], b["p10"], b["p90"], color=colour, alpha=0.18, linewidth=0)
            last = b.iloc[-1]
            labels.add(ax, float(last["month"]) + 0.3, float(last["p50"]), float(last["p50"]), ha="left", va="center")
        ax.set_xlabel("month of the simulation")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(title)
        ax.margins(x=0.08)
        _legend_below(ax, min(len(order), 3))
        return _svg(fig, chart_id)
