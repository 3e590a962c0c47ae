"""Throughput of the scenario simulation: simulated authority-months per second per core.

    .venv/bin/python benchmarks/simulate_throughput.py [--case data/demo] [--scenario scenarios/baseline.toml]
        [--runs 4] [--months 12] [--workers 1,2] [--out out/bench-simulate.json]

One authority-month is one month of one run: the supply and demand steps and one match of every
child needing a home. With one worker the runs are made one after another in this process (the
per-core figure, with the time spent inside ``placements.match.match`` measured separately); with
more, on the local engine's process pool (which includes starting the workers, as a real run
does). The machine's other load makes the figures noisy: say how loaded it was when you quote them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import placements.analysis.simulate.run as run_module
from placements.analysis.simulate.engines import run_tasks
from placements.analysis.simulate.inputs import load_demand
from placements.analysis.simulate.run import make_context
from placements.analysis.simulate.scenario import load_scenario
from placements.io.case_folder import read_case_folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", type=Path, default=Path("data/demo"))
    ap.add_argument("--scenario", type=Path, default=Path("scenarios/baseline.toml"))
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts to measure")
    ap.add_argument("--out", type=Path, default=None, help="also write the figures as JSON here")
    args = ap.parse_args()

    folder = read_case_folder(args.case)
    demand = load_demand(args.case, folder.instance, folder.policy, None)
    scenario = load_scenario(args.scenario).model_copy(update={"horizon_months": args.months})
    ctx = make_context(folder.instance, folder.policy, demand, [scenario])
    tasks = [(0, r) for r in range(args.runs)]
    months = args.runs * args.months

    # Time inside the matching engine, in this process (workers=1 only).
    spent = {"match": 0.0, "matches": 0}
    real_match = run_module.match

    def timed_match(*a, **k):
        t = time.perf_counter()
        try:
            return real_match(*a, **k)
        finally:
            spent["match"] += time.perf_counter() - t
            spent["matches"] += 1

    results = []
    for workers in (int(w) for w in args.workers.split(",")):
        t0 = time.perf_counter()
        if workers == 1:
            run_module.match = timed_match
            try:
                run_tasks(ctx, tasks, "serial")
            finally:
                run_module.match = real_match
        else:
            run_tasks(ctx, tasks, "local", workers=workers)
        seconds = time.perf_counter() - t0
        row = {
            "workers": workers,
            "runs": args.runs,
            "months_per_run": args.months,
            "authority_months": months,
            "seconds": round(seconds, 2),
            "authority_months_per_second": round(months / seconds, 3),
            "per_core": round(months / seconds / workers, 3),
        }
        if workers == 1:
            row["share_in_match"] = round(spent["match"] / seconds, 3)
            row["matches"] = spent["matches"]
        results.append(row)
        print(json.dumps(row), flush=True)
    summary = {
        "case": str(args.case),
        "scenario": str(args.scenario),
        "demand": demand.source,
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "results": results,
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2), file=sys.stderr)


if __name__ == "__main__":
    main()
