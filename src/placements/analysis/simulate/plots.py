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


def report_html(meta: dict[str, Any], comparison: pd.DataFrame, pngs: list[str]) -> str:
    """A self-contained section of the HTML report: the comparison and the charts beside it."""
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
        f"<table>\n<tr><th></th>{head}</tr>\n" + "\n".join(rows) + "\n</table>\n" + imgs + "\n</section>\n"
    )
