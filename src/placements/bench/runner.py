"""Run a tier: every method on every instance, each in its own process, with progress shown.

Methods run one after another, never side by side, so they do not share the 2 cores. The engine
runs first on each instance: the LP relaxation's stage B needs the tier levels it proved.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.progress import Progress

from placements.bench import instances as inst
from placements.bench.methods import METHODS
from placements.bench.worker import MARK
from placements.resources import demo_folder


def _machine_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


#: Resident-memory cap of each method's process tree, GiB: half the machine's memory, at most 16
#: (the England target is 8 GiB resident). A safety net, not the measurement: a method whose
#: processes together hold more is stopped and its row says so.
MEMORY_CAP_GIB = min(16.0, 0.5 * _machine_gib())
#: Address-space limit (RLIMIT_AS) of each process, GiB: the machine's memory, at least twice the
#: cap. Only so that an allocation no process could ever hold (33 GiB of distances for England)
#: fails at once with MemoryError. It is deliberately far above any resident cap: OR-Tools and its
#: threads reserve gigabytes of address space they never touch, so a 4 GiB address-space cap broke
#: the region engine at well under 4 GiB resident.
SAMPLE_SECONDS = 0.1


def address_space_gib(cap_gib: float) -> float:
    return max(_machine_gib(), 2.0 * cap_gib)


def _group_rss() -> Callable[[int], tuple[float, int]]:
    """A function: process group id -> (resident MiB summed over its live processes, how many).

    Read through ``psutil`` (its resident set per process), not by parsing ``/proc`` here."""
    import psutil

    def rss(pgid: int) -> tuple[float, int]:
        total, n = 0, 0
        for proc in psutil.process_iter():
            try:
                if os.getpgid(proc.pid) != pgid:
                    continue
                total += proc.memory_info().rss
            except (psutil.Error, ProcessLookupError, PermissionError):
                continue  # gone meanwhile, or not ours to read
            n += 1
        return total / 2**20, n

    return rss


class _Watch(threading.Thread):
    """Samples the resident memory of a worker's process group (the worker and any pool processes it
    starts) every SAMPLE_SECONDS; kills the group when it holds more than ``cap_mib``."""

    def __init__(self, pgid: int, cap_mib: float) -> None:
        super().__init__(daemon=True)
        self.pgid, self.cap_mib = pgid, cap_mib
        self.peak_mib, self.processes = 0.0, 0
        self.over: float | None = None
        self.done = threading.Event()
        self._rss = _group_rss()

    def run(self) -> None:
        while not self.done.is_set():
            mib, n = self._rss(self.pgid)
            self.peak_mib, self.processes = max(self.peak_mib, mib), max(self.processes, n)
            if mib > self.cap_mib and self.over is None:
                self.over = mib
                _kill(self.pgid)
            self.done.wait(SAMPLE_SECONDS)


def _kill(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _worker(job: dict[str, Any], timeout: float, cap_gib: float = MEMORY_CAP_GIB) -> dict[str, Any]:
    """Run one job in a fresh interpreter, in a process group of its own; an error, a timeout or the
    memory cap is a row that says so. Memory: see ``benchmarks/README.md`` (peak resident)."""
    cmd = [sys.executable, "-m", "placements.bench.worker"]
    job = {**job, "address_space_gib": address_space_gib(cap_gib)}
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    watch = _Watch(proc.pid, cap_gib * 1024)
    watch.start()
    timed_out = False
    try:
        stdout, stderr = proc.communicate(json.dumps(job), timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill(proc.pid)
        stdout, stderr = proc.communicate()
    finally:
        watch.done.set()
        watch.join()
        _kill(proc.pid)  # pool processes the worker left behind, if any
    memory = {"peak_rss_tree_mib": round(watch.peak_mib, 1), "processes": watch.processes}
    if watch.over is not None:
        return {"error": f"STOPPED at {watch.over / 1024:.1f} GiB resident, over the {cap_gib:g} GiB cap", **memory}
    if timed_out:
        return {"error": f"TIMEOUT after {timeout:.0f} s", **memory}
    lines = [ln for ln in stdout.splitlines() if ln.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        if "MemoryError" in tail:
            tail += f" (address space limited to {job['address_space_gib']:.0f} GiB per process)"
        return {"error": f"exit {proc.returncode}: {tail}", **memory}
    out = json.loads(lines[-1][len(MARK) :])
    out["peak_rss_self_mib"] = out.pop("peak_rss_mib")
    # One process: its VmHWM is exact. Several (pieces): the sampled sum of the group is the figure.
    out["peak_rss_mib"] = round(max(out["peak_rss_self_mib"], watch.peak_mib), 1)
    return {**out, **memory}


def cli_seconds(repeats: int) -> list[float]:
    """Wall seconds of ``placements match data/demo --show 0`` end to end, each run a fresh process."""
    exe = Path(sys.executable).parent / "placements"
    base = [str(exe)] if exe.exists() else [sys.executable, "-c", "from placements.cli import app; app()"]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeats):
            cmd = base + ["match", str(demo_folder()), "--out", str(Path(tmp) / f"r{k}"), "--show", "0"]
            t0 = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            out.append(round(time.perf_counter() - t0, 3))
    return out


def run_tier(
    tier: str,
    repeats: int,
    methods: tuple[str, ...] = METHODS,
    time_limit: float | None = None,
    only: tuple[str, ...] = (),
    memory_cap_gib: float = MEMORY_CAP_GIB,
) -> dict[str, Any]:
    """The results of a tier as one JSON-ready dict: instances, rows (one per instance and method)."""
    specs = inst.TIERS[tier]
    described: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    runnable = []
    for spec in specs:
        d: dict[str, Any] = {
            "name": spec.name,
            "size": spec.size,
            "profile": spec.profile,
            "seed": spec.seed,
            "whole_cohort": spec.whole_cohort,
            "time_limit": time_limit or spec.time_limit,
            "candidates_per_setting": spec.candidates_per_setting,
            "piece_children": spec.piece_children,
        }
        why = (
            inst.available(spec) if not only or spec.name in only else "not run: left out of this run with --instances"
        )
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
        task = progress.add_task(
            "benchmark", total=sum(len(order) + len(lo.spec.short_limits) * ("engine" in order) for lo, _ in loaded)
        )
        for lo, d in loaded:
            tiers = None
            extra = [f"engine@{t:g}s" for t in lo.spec.short_limits] if "engine" in order else []
            for method in [*order, *extra]:
                progress.update(task, description=f"{lo.spec.name}: {method}")
                short = method.startswith("engine@")
                job = {
                    "folder": str(lo.folder),
                    "time_limit": float(method[len("engine@") : -1]) if short else d["time_limit"],
                    "whole_cohort": lo.spec.whole_cohort,
                    "method": "engine" if short else method,
                    "repeats": repeats,
                    "tiers": tiers,
                    "candidates_per_setting": lo.spec.candidates_per_setting,
                    "piece_children": lo.spec.piece_children,
                }
                timeout = (
                    lo.spec.timeout * repeats if time_limit is None else max(lo.spec.timeout, 3 * time_limit * repeats)
                )
                out = _worker(job, timeout, memory_cap_gib)
                rows.append({"instance": lo.spec.name, "size": lo.spec.size, "method": method, **out})
                q = out.get("quality") or {}
                took = (out.get("times") or {}).get("total_s")
                progress.console.print(
                    f"{lo.spec.name} {method}: "
                    + (
                        out.get("error")
                        or f"{q.get('status')}, {q.get('placed')} placed, {took:.3f} s, {out.get('peak_rss_mib')} MiB"
                    ),
                    markup=False,
                    highlight=False,
                )
                if q.get("needing") is not None:
                    d["needing"] = q["needing"]
                if method == "engine" and q.get("tiers_1_3_optimal"):
                    tiers = {
                        "emergency_placed": q["emergency_placed"],
                        "placed": q["placed"],
                        "extra_homes": q["extra_homes"],
                        "pieces": out.get("piece_tiers"),
                    }
                progress.advance(task)
            if lo.spec.profile == inst.DEMO and not lo.spec.whole_cohort:
                progress.update(task, description="placements match data/demo, end to end")
                runs = cli_seconds(repeats)
                d["cli_seconds"] = runs
                d["cli_median_s"] = round(statistics.median(runs), 3)
    return {
        "tier": tier,
        "repeats": repeats,
        "memory_cap_gib": round(memory_cap_gib, 1),
        "address_space_gib": round(address_space_gib(memory_cap_gib), 1),
        "instances": described,
        "rows": rows,
    }
