"""Time the SSDA903 reader and the cohort on a return: the measurement behind docs/ssda903.md.

Usage (from the repository root):

    .venv/bin/placements synth --profile region --seed 1 --out /tmp/region    # or any SSDA903 folder
    .venv/bin/python benchmarks/ssda903_read.py /tmp/region/ssda903 --as-of 2026-11-23 --la-code E06000018

Prints the rows of each table, the problems found, and the seconds to read and to build the cohort
(median of ``--repeats``). Timings on a shared machine are noisy; say so when quoting them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

from placements.io.ssda903.cohort import cohort
from placements.io.ssda903.read import read_ssda903


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--la-code", default=None)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    day = dt.date.fromisoformat(args.as_of)
    reads, cohorts = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        data = read_ssda903(args.folder)
        reads.append(time.perf_counter() - t)
        t = time.perf_counter()
        built = cohort(data, day, args.la_code)
        cohorts.append(time.perf_counter() - t)
    rows = {name: len(frame) for name, frame in sorted(data.tables.items())}
    print(f"tables: {rows}")
    print(
        f"problems: {len(data.issues) + len(built.issues)}; rows repeated across years, merged: {data.repeats_merged}"
    )
    print(f"looked after on {day.isoformat()}: {len(built.frame)}")
    print(
        f"read {statistics.median(reads):.1f} s, cohort {statistics.median(cohorts):.1f} s (median of {args.repeats})"
    )


if __name__ == "__main__":
    main()
