"""One method on one instance in its own process: ``python -m placements.bench.worker < job.json``.

Why a process per method: peak memory is then the method's own. It is the process's peak resident
set, ``VmHWM`` in ``/proc/self/status`` (not ``ru_maxrss``, which Linux carries over from the parent
across fork and exec), and includes the interpreter, numpy, pandas, OR-Tools and the loaded
instance; the peak just before the method starts is reported too (``rss_loaded_mib``), so the
method's own share is the difference.
When the method runs in pieces, its pool processes are not in this figure: the runner samples the
resident memory of the worker's whole process group and reports the larger of the two.
The job (JSON on stdin): {"folder", "time_limit", "whole_cohort", "method", "repeats", "tiers",
"candidates_per_setting", "piece_children", "address_space_gib"}; the last is an address-space limit
(``RLIMIT_AS``) that pool processes inherit, see ``runner.address_space_gib``.
The answer is one JSON line on stdout: the quality of the first run (every run gives the same
answer: the methods are deterministic), the median of each time, every run's times, and memory.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
from pathlib import Path
from typing import Any

from placements.instance import Instance
from placements.policy import Policy

MARK = "BENCH-RESULT "


def _rss_mib() -> float:
    """Peak resident memory of this process so far, MiB: VmHWM, else ru_maxrss.

    Linux keeps ru_maxrss across fork and exec, so a worker started by a large parent would report
    the parent's size; VmHWM belongs to the process's own address space and starts afresh at exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def _preload(method: str) -> None:
    """Import what the method uses before any clock starts: import time is no method's time."""
    import importlib

    names = [
        "placements.match",
        "placements.baselines",
        "placements.validate",
        "placements.bench.pairs",
        "placements.bench.pieces",
        "placements.decompose",
    ]
    names += {
        "flow": ["placements.bench.flow"],
        "lp": ["placements.bench.lp"],
        "stable": ["placements.bench.stable", "matching.algorithms"],
    }.get(method, [])
    for name in names:
        importlib.import_module(name)


def cap_memory(gib: float) -> None:
    """Limit this process's address space, so a method too big for the machine fails alone (MemoryError)
    instead of waking the kernel's OOM killer, which may pick any process on a shared machine."""
    limit = int(gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def work(job: dict[str, Any]) -> dict[str, Any]:
    from placements.bench.methods import run

    if job.get("address_space_gib"):
        cap_memory(job["address_space_gib"])
    _preload(job["method"])

    folder = Path(job["folder"])
    instance = Instance.from_json((folder / "instance.json").read_text(encoding="utf-8"))
    policy = Policy.model_validate_json((folder / "policy.json").read_text(encoding="utf-8"))
    policy = policy.replace(
        time_limit_seconds=job["time_limit"], candidates_per_setting=job.get("candidates_per_setting")
    )
    loaded = _rss_mib()
    runs = [
        run(job["method"], instance, policy, job["whole_cohort"], job.get("tiers"), job.get("piece_children"))
        for _ in range(job["repeats"])
    ]
    times = {k: [r["times"][k] for r in runs] for k in runs[0]["times"]}
    median = {k: (None if None in v else round(statistics.median(v), 4)) for k, v in times.items()}
    out = {
        "quality": runs[0]["quality"],
        "violations": runs[0]["violations"],
        "times": median,
        "all_times": times,
        "rss_loaded_mib": loaded,
        "peak_rss_mib": _rss_mib(),
    }
    if "piece_tiers" in runs[0]:
        out["piece_tiers"] = runs[0]["piece_tiers"]
    return out


def main() -> None:
    job = json.loads(sys.stdin.read())
    out = work(job)
    sys.stdout.write(MARK + json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
