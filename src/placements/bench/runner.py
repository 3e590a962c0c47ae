"""Run a tier: every method on every instance, each in its own process, with progress shown.

Methods run one after another, never side by side, so they do not share the 2 cores. The engine
runs first on each instance: the LP relaxation's stage B needs the tier levels it proved.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.progress import Progress

from placements.bench import instances as inst
from placements.bench.methods import METHODS
from placements.bench.worker import MARK


#: Address-space cap of each worker, GiB: half the machine's memory, at most 16 (the
#: England target is 8 GiB resident). Address space runs above resident memory, hence the margin.
MEMORY_CAP_GIB = min(16.0, 0.5 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)


def _worker(job: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one job in a fresh interpreter; an error or a timeout is a row that says so."""
    cmd = [sys.executable, "-m", "placements.bench.worker"]
    try:
        done = subprocess.run(cmd, input=json.dumps(job), capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"TIMEOUT after {timeout:.0f} s"}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(MARK)]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {done.returncode}: {tail}"}
    return json.loads(lines[-1][len(MARK):])


def cli_seconds(repeats: int) -> list[float]:
    """Wall seconds of ``placements match data/demo --show 0`` end to end, each run a fresh process."""
    exe = Path(sys.executable).parent / "placements"
    base = [str(exe)] if exe.exists() else [sys.executable, "-c", "from placements.cli import app; app()"]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeats):
            cmd = base + ["match", str(inst.REPO / "data" / "demo"), "--out", str(Path(tmp) / f"r{k}"), "--show", "0"]
            t0 = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            out.append(round(time.perf_counter() - t0, 3))
    return out


def run_tier(
    tier: str, repeats: int, methods: tuple[str, ...] = METHODS, time_limit: float | None = None,
    only: tuple[str, ...] = (), memory_cap_gib: float = MEMORY_CAP_GIB,
) -> dict[str, Any]:
    """The results of a tier as one JSON-ready dict: instances, rows (one per instance and method)."""
    specs = inst.TIERS[tier]
    described: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    runnable = []
    for spec in specs:
        d: dict[str, Any] = {"name": spec.name, "size": spec.size, "profile": spec.profile, "seed": spec.seed,
                             "whole_cohort": spec.whole_cohort, "time_limit": time_limit or spec.time_limit}
        why = inst.available(spec) if not only or spec.name in only else "not run: left out of this run with --instances"
        d["unavailable"] = why
        described.append(d)
        if why is None:
            runnable.append((spec, d))
    order = [m for m in METHODS if m in methods]
    with Progress(transient=False) as progress:
        task = progress.add_task("generating instances", total=len(runnable))
        loaded = []
        for spec, d in runnable:
            progress.update(task, description=f"instance {spec.name}")
            lo = inst.load(spec)
            d.update(fingerprint=lo.fingerprint, children=lo.children, places=lo.places)
            loaded.append((lo, d))
            progress.advance(task)
        task = progress.add_task("benchmark", total=len(loaded) * len(order))
        for lo, d in loaded:
            tiers = None
            for method in order:
                progress.update(task, description=f"{lo.spec.name}: {method}")
                job = {"folder": str(lo.folder), "time_limit": d["time_limit"], "whole_cohort": lo.spec.whole_cohort,
                       "method": method, "repeats": repeats, "tiers": tiers, "memory_cap_gib": memory_cap_gib,
                       "candidates_per_setting": lo.spec.candidates_per_setting, "piece_children": lo.spec.piece_children}
                out = _worker(job, lo.spec.timeout if time_limit is None else max(lo.spec.timeout, 3 * time_limit * repeats))
                rows.append({"instance": lo.spec.name, "size": lo.spec.size, "method": method, **out})
                q = out.get("quality") or {}
                took = (out.get("times") or {}).get("total_s")
                progress.console.print(f"{lo.spec.name} {method}: " + (out.get("error") or f"{q.get('status')}, "
                                       f"{q.get('placed')} placed, {took:.3f} s, {out.get('peak_rss_mib')} MiB"),
                                       markup=False, highlight=False)
                if q.get("needing") is not None:
                    d["needing"] = q["needing"]
                if method == "engine" and q.get("tiers_1_3_optimal"):
                    tiers = {"emergency_placed": q["emergency_placed"], "placed": q["placed"], "extra_homes": q["extra_homes"]}
                progress.advance(task)
            if lo.spec.profile == inst.DEMO and not lo.spec.whole_cohort:
                progress.update(task, description="placements match data/demo, end to end")
                runs = cli_seconds(repeats)
                d["cli_seconds"] = runs
                d["cli_median_s"] = round(statistics.median(runs), 3)
    return {"tier": tier, "repeats": repeats, "memory_cap_gib": round(memory_cap_gib, 1), "instances": described, "rows": rows}
