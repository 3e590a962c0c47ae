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
        t = ax.text(x, y, _fmt(value), fontsize=9, **kw)  # type: ignore[arg-type]
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


def placement_mix_chart(mix: pd.DataFrame, chart_id: str = "chart-placement-mix") -> str:
    """Stacked bars: where the children live today, in the best match of today's homes, and ideally."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(8, 3.2))
        labels = _Labels(chart_id)
        states = list(mix["state"])
        left = np.zeros(len(mix))
        for cat in MIX_CATEGORIES:
            vals = mix[cat].to_numpy(dtype=float)
            ax.barh(states, vals, left=left, color=COLOURS[cat], label=cat, height=0.6)
            for i, v in enumerate(vals):
                if v > 0:
                    labels.add(ax, left[i] + v / 2, i, v, ha="center", va="center", color="white")
            left += vals
        ax.invert_yaxis()
        ax.set_xlabel("children")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(ncols=len(MIX_CATEGORIES), loc="upper center", bbox_to_anchor=(0.5, -0.25), frameon=False)
        return _svg(fig, chart_id)


def family_by_age_chart(table: pd.DataFrame, chart_id: str = "chart-gaps-age-band") -> str:
    """Grouped bars per age band: children living with a foster family today, best and ideal."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(8, 3.6))
        labels = _Labels(chart_id)
        x = np.arange(len(table))
        width = 0.27
        for k, state in enumerate(("today", "best", "ideal")):
            vals = table[f"family_{state}"].to_numpy(dtype=float)
            pos = x + (k - 1) * width
            ax.bar(pos, vals, width=width, color=COLOURS[state], label=state)
            for p, v in zip(pos, vals, strict=True):
                labels.add(ax, p, v, v, ha="center", va="bottom")
        ax.set_xticks(x, list(table["age_band"]))
        ax.set_xlabel("age band")
        ax.set_ylabel("children with a foster family")
        ax.legend(frameon=False)
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
            ["high", "medium", "low"],
            title="severity",
            frameon=False,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        return _svg(fig, chart_id)


def recruit_chart(options: pd.DataFrame, chart_id: str = "chart-recruit") -> str:
    """Paired bars per recruitment option: its first-year cost against the annual saving it brings."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(8, 0.55 * max(len(options), 3) + 1.0))
        labels = _Labels(chart_id)
        y = np.arange(len(options))
        h = 0.38
        cost = options["first_year_cost"].to_numpy(dtype=float)
        saving = options["annual_saving"].to_numpy(dtype=float)
        ax.barh(y - h / 2, cost, height=h, color=COLOURS["residential"], label="first-year cost (GBP)")
        ax.barh(y + h / 2, saving, height=h, color=COLOURS["foster"], label="annual saving (GBP)")
        for i in range(len(options)):
            labels.add(ax, max(cost[i], 0), y[i] - h / 2, cost[i], ha="left", va="center")
            labels.add(ax, max(saving[i], 0), y[i] + h / 2, saving[i], ha="left", va="center")
        ax.set_yticks(y, list(options["option"]))
        ax.invert_yaxis()
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_xlabel("GBP thousand")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:,.0f}"))
        ax.margins(x=0.25)
        ax.legend(frameon=False, loc="lower right")
        return _svg(fig, chart_id)
