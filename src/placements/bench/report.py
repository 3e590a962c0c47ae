"""What a run leaves behind: results.json and results.md (the tables), plus the machine it ran on."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib import metadata
from typing import Any

from placements.bench.methods import DESCRIPTION

COLUMNS = (
    ("method", "method"),
    ("status", "status"),
    ("placed", "placed"),
    ("emergency_placed", "emerg."),
    ("sibling_groups_split", "split"),
    ("extra_homes", "extra homes"),
    ("under12_in_residential", "u12 resid."),
    ("mean_miles", "mean mi"),
    ("over_20_miles", ">20 mi"),
    ("weekly_cost", "GBP/week"),
    ("objective", "objective"),
    ("bound", "bound"),
    ("gap", "gap"),
    ("pairs_s", "pairs s"),
    ("build_s", "build s"),
    ("solve_s", "solve s"),
    ("total_s", "total s"),
    ("peak_rss_mib", "peak MiB"),
    ("violations", "rules broken"),
)

#: The terminal shows these; results.md has every column.
CONSOLE = (
    "method",
    "status",
    "placed",
    "emergency_placed",
    "sibling_groups_split",
    "extra_homes",
    "under12_in_residential",
    "objective",
    "bound",
    "total_s",
    "peak_rss_mib",
    "violations",
)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    """The facts a reader needs to compare timings: CPU, cores, memory, versions, load."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        mem = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        mem = None
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                check=False,
                cwd=os.path.dirname(__file__),
            ).stdout.strip()
            or None
        )
    except OSError:
        commit = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "ortools": _version("ortools"),
        "numpy": _version("numpy"),
        "matching": _version("matching"),
        "commit": commit,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def row_cells(row: dict[str, Any]) -> dict[str, str]:
    """One row's cells as text: '-' where a method has no such figure."""
    flat = {
        **(row.get("quality") or {}),
        **(row.get("times") or {}),
        "method": row["method"],
        "peak_rss_mib": row.get("peak_rss_mib"),
    }
    cells = {}
    for key, _ in COLUMNS:
        v = flat.get(key)
        if key == "violations":
            v = row.get("violations")
            text = "-" if v is None else (", ".join(f"{k} {n}" for k, n in v.items()) or "none")
        elif v is None:
            text = "-"
        elif key.endswith("_s"):
            text = f"{v:.3f}"
        elif key == "gap":
            text = f"{v:.4f}"
        elif isinstance(v, float) and key not in ("mean_miles",):
            text = f"{v:,.0f}" if key == "weekly_cost" else f"{v:g}"
        else:
            text = str(v)
        cells[key] = text
    if "error" in row:
        cells["status"] = row["error"]
    return cells


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"# Benchmark results: tier `{result['tier']}`",
        "",
        f"Run `{result['command']}` at {result['started']} on {m['cpu']} ({m['cores']} cores, {m['memory_gib']} GiB), "
        f"Python {m['python']}, OR-Tools {m['ortools']}, numpy {m['numpy']}, matching {m['matching']}, "
        f"commit {m['commit']}; load average {m['load_average']} at the start, {result['load_average_end']} at the end. "
        f"Times are medians of {result['repeats']} runs, each method in its own process; peak MiB is that process's "
        "peak resident set (VmHWM; interpreter and libraries included; for a method run in pieces, the larger of "
        "that and the sampled sum over its pool processes), each stopped past "
        f"{result.get('memory_cap_gib')} GiB resident (address space limited to {result.get('address_space_gib')} GiB "
        "per process). Timings on a shared machine are noisy: judge ratios.",
        "",
        "Methods: " + "; ".join(f"`{k}` {v}" for k, v in DESCRIPTION.items()) + ".",
        "",
        "## Targets",
        "",
        "| target | instance | measured | verdict |",
        "|---|---|---|---|",
    ]
    lines += [f"| {t['target']} | {t['instance']} | {t['measured']} | {t['verdict']} |" for t in result["targets"]]
    lines += ["", "## Results per instance", ""]
    for d in result["instances"]:
        head = f"### {d['name']} ({d['size']}, {'whole cohort' if d['whole_cohort'] else 'daily match'})"
        lines += [head, ""]
        if d.get("unavailable"):
            lines += [f"Not run: {d['unavailable']}.", ""]
            continue
        lines += [
            f"{d['children']} children ({d.get('needing', '?')} matched), {d['places']} places; "
            f"profile {d['profile']}, seed {d['seed']}, "
            f"fingerprint {d['fingerprint']}, engine time limit {d['time_limit']:g} s"
            + (
                f", K={d['candidates_per_setting']} nearest homes per setting"
                if d.get("candidates_per_setting")
                else ""
            )
            + (f"; `placements match` end to end {d['cli_median_s']:.2f} s" if "cli_median_s" in d else "")
            + ".",
            "",
        ]
        if d.get("piece_children"):
            n = next(
                (
                    r["quality"].get("pieces")
                    for r in result["rows"]
                    if r["instance"] == d["name"] and (r.get("quality") or {}).get("pieces")
                ),
                None,
            )
            lines += [
                f"Every method ran on the same {n or 'N'} geographic pieces of at most {d['piece_children']:,} "
                "children (`placements.decompose.plan_pieces`), two pieces at a time; the figures are the "
                "pieces' joined, and sibling groups (split, extra homes) are counted over the whole "
                "instance, every member of a group wherever they were matched. The engine's bound and gap are "
                "over the whole instance (`model.score_bound`; tiers (1)-(2) in the targets above); any other "
                "method's would be the sum of the pieces' bounds, not a bound for the whole instance. Seconds for "
                "pairs/build/solve are summed over the pieces; total seconds are wall time.",
                "",
            ]
        lines += ["| " + " | ".join(h for _, h in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        for row in (r for r in result["rows"] if r["instance"] == d["name"]):
            cells = row_cells(row)
            lines.append("| " + " | ".join(cells[k] for k, _ in COLUMNS) + " |")
        lines.append("")
    lines += ["## Speed ratios (engine total seconds / reference method, summed over the reference instances)", ""]
    lines += [
        f"- `{k}`: {v}"
        + (f" (reference {result['reference_ratios'].get(k)})" if result.get("reference_ratios") else "")
        for k, v in result["ratios"].items()
    ]
    lines += ["", "## Regression gate", ""]
    lines += [f"- FAIL: {f}" for f in result["failures"]] or ["- passed: no quality drop, speed within tolerance."]
    return "\n".join(lines) + "\n"


def files(result: dict[str, Any]) -> dict[str, str]:
    return {"results.json": json.dumps(result, indent=2) + "\n", "results.md": markdown(result)}
