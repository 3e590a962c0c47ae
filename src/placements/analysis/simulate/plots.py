"""Charts (PNG) and an HTML section for a simulation's bands.

Byte-identical PNGs for the same figures: the Agg backend, a fixed size and DPI, and no
``Software`` or date metadata in the file.
"""

from __future__ import annotations

import html
import io
from typing import Any

import pandas as pd

#: Figure -> chart title, in the order the charts are drawn.
CHARTS: dict[str, str] = {
    "under12_residential": "Under-12s in residential care",
    "unplaced": "Children waiting for a home",
    "residential": "Children in residential care",
    "foster": "Children in foster care",
    "foster_households": "Fostering households",
    "out_of_area": "Children placed out of area",
    "siblings_apart": "Children living apart from a sibling",
    "weekly_cost": "Weekly cost of placements (GBP)",
}


def _figure_bytes(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


def charts(bands: pd.DataFrame, order: list[str], meta: dict[str, Any]) -> dict[str, bytes]:
    """One PNG per figure of ``CHARTS``: the median of each scenario with its p10-p90 band."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    out: dict[str, bytes] = {}
    with matplotlib.rc_context({"svg.hashsalt": "placements", "font.size": 9}):
        for metric, title in CHARTS.items():
            fig, ax = plt.subplots(figsize=(7, 4))
            for k, name in enumerate(order):
                b = bands[(bands["scenario"] == name) & (bands["metric"] == metric)]
                color = f"C{k % 10}"
                ax.plot(b["month"], b["p50"], color=color, label=f"{name} (median)")
                ax.fill_between(b["month"], b["p10"], b["p90"], color=color, alpha=0.2, linewidth=0)
            ax.set_title(f"{title}: p10-p90 over {meta['runs']} runs")
            ax.set_xlabel(f"months after {meta['start']}")
            ax.grid(alpha=0.3)
            ax.legend(loc="best")
            fig.tight_layout()
            out[f"chart-{metric}.png"] = _figure_bytes(fig)
            plt.close(fig)
    return out


def report_html(
    meta: dict[str, Any], comparison: pd.DataFrame, pngs: list[str], wrong_way: list[str] | None = None
) -> str:
    """A self-contained section of the HTML report: the figures moving against the authority's goals,
    the comparison and the charts beside it."""
    order = [s["name"] for s in meta["scenarios"]]
    change = next(c for c in comparison.columns if c.startswith("change_vs_"))
    rows = []
    for metric, g in comparison.groupby("metric", sort=False):
        cells = "".join(
            f"<td>{r.p50:,.0f} <small>({r.p10:,.0f}-{r.p90:,.0f})</small>"
            + (f"<br><small>{getattr(r, change):+,.0f}</small>" if r.scenario != order[0] else "")
            + "</td>"
            for r in g.itertuples()
        )
        rows.append(f"<tr><th>{html.escape(str(metric))}</th>{cells}</tr>")
    head = "".join(f"<th>{html.escape(n)}</th>" for n in order)
    imgs = "\n".join(f'<img src="{html.escape(p)}" alt="{html.escape(p)}" width="700">' for p in pngs)
    return (
        '<section id="simulation">\n'
        f"<h2>Scenarios: {meta['horizon_months']} months from {meta['start']}, {meta['runs']} runs each</h2>\n"
        f"<p>Demand model: {html.escape(meta['demand_source'])}. Median at the horizon, p10-p90 in brackets, "
        f"and the change from {html.escape(order[0])} (median of paired runs).</p>\n"
        + _goals_html(wrong_way)
        + f"<table>\n<tr><th></th>{head}</tr>\n"
        + "\n".join(rows)
        + "\n</table>\n"
        + imgs
        + "\n</section>\n"
    )


def backtest_chart(monthly: pd.DataFrame, summary: pd.DataFrame, title: str) -> bytes:
    """One PNG of a backtest: per group, the actual stock month by month (the fit window included),
    the forecast from the cut and "no change"; a group where the forecast did worse than no change
    has its title in red and says so."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    groups = list(summary[["dimension", "group"]].itertuples(index=False, name=None))
    cols = 5
    rows = -(-len(groups) // cols)
    with matplotlib.rc_context({"svg.hashsalt": "placements", "font.size": 8}):
        fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows + 0.6), squeeze=False)
        for ax, (dim, group) in zip(axes.ravel(), groups, strict=False):
            m = monthly[(monthly["dimension"] == dim) & (monthly["group"] == group)]
            when = pd.to_datetime(m["date"])
            ahead = (m["period"] == "forecast").to_numpy()
            cut = when[m["period"] == "cut"]
            ax.plot(when, m["actual"], color="black", linewidth=1.2, label="actual")
            ax.plot(when[ahead], m["forecast"][ahead], color="C0", linewidth=1.4, label="forecast")
            ax.plot(when[ahead], m["no_change"][ahead], color="grey", linestyle="--", linewidth=1, label="no change")
            if len(cut):
                ax.axvspan(when.iloc[0], cut.iloc[0], color="0.92", linewidth=0, zorder=0)  # the fit window
            r = summary[(summary["dimension"] == dim) & (summary["group"] == group)].iloc[0]
            worse = bool(r["worse_than_no_change"]) if r["worse_than_no_change"] is not None else False
            name = "all children" if dim == "total" else f"{group} ({dim})"
            if r["mape_pct"] is None or r["mape_pct"] != r["mape_pct"]:
                label = f"{name}\nno children to compare"
            else:
                label = f"{name}\nerror {r['mape_pct']:.1f}%, no change {r['naive_mape_pct']:.1f}%"
            ax.set_title(label + ("\nWORSE THAN NO CHANGE" if worse else ""), color="red" if worse else "black")
            ax.grid(alpha=0.3)
            ax.tick_params(axis="x", labelrotation=45)
            ax.set_ylim(bottom=0)
        for ax in axes.ravel()[len(groups) :]:
            ax.axis("off")
        axes[0, 0].legend(loc="lower left", fontsize=7)
        fig.suptitle(
            f"{title}\nShaded: the fit window. Error: mean absolute % error over the forecast months. "
            "Counted: children aged 0-17 looked after on the first of each month."
        )
        fig.tight_layout()
        out = _figure_bytes(fig)
        plt.close(fig)
    return out


def _goals_html(wrong_way: list[str] | None) -> str:
    if wrong_way is None:
        return ""
    if not wrong_way:
        return "<p>No figure moves the wrong way against the authority's goals (goals.csv).</p>\n"
    items = "".join(f"<li>{html.escape(s)}</li>" for s in wrong_way)
    return (
        '<div class="warning"><p><strong>Moving the wrong way against the authority\'s goals</strong> '
        f"(goals.csv):</p>\n<ul>{items}</ul></div>\n"
    )
