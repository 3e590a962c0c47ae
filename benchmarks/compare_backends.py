"""Compare the solver back ends on a case folder: the measurement behind the default back end.

Usage (from the repository root, after ``make test`` or ``make demo`` has built .venv):

    .venv/bin/python benchmarks/compare_backends.py [CASE_DIR] [--repeats 3]

Prints, for the daily match and the whole-cohort match, each back end's median pairs/build/solve
seconds, status and objective, and today's practice beside them (``greedy-arrival``: one child at a
time in referral order; ``greedy-hardest``: fewest options first). Every result is checked by the
validator before it is reported.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from placements.baselines import greedy
from placements.io.case_folder import read_case_folder
from placements.match import match
from placements.result import MatchResult
from placements.validate import validate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("case_dir", nargs="?", default="data/demo")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--backends", default="scip,highs,cpsat,greedy-arrival,greedy-hardest")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--modes", default="daily,whole-cohort")
    args = ap.parse_args()
    folder = read_case_folder(Path(args.case_dir))
    print(
        f"{'mode':<13} {'method':<15} {'status':<9} {'placed':>6} {'split':>5} {'extra':>5} {'u12res':>6} "
        f"{'objective':>9} {'bound':>9} {'pairs s':>8} {'build s':>8} {'solve s':>8} {'total s':>8}"
    )
    for whole in [m == "whole-cohort" for m in args.modes.split(",")]:
        for backend in args.backends.split(","):
            if backend.startswith("greedy-"):
                order = backend.removeprefix("greedy-")
                runs = [greedy(folder.instance, folder.policy, whole, order) for _ in range(args.repeats)]
            else:
                pol = folder.policy.replace(backend=backend, time_limit_seconds=args.time_limit)
                runs = [match(folder.instance, pol, whole_cohort=whole) for _ in range(args.repeats)]
            for r in runs:
                assert validate(folder.instance, r.assignment, r.as_of, whole) == [], "validator found a broken rule"
            s = runs[0].summary.to_dict()

            def med(key: str, runs: list[MatchResult] = runs) -> str:
                values = [getattr(r.summary, key) for r in runs]
                return "-" if None in values else f"{statistics.median(values):.3f}"

            print(
                f"{'whole-cohort' if whole else 'daily':<13} {backend:<15} {s['status']:<9} {s['placed']:>6} "
                f"{s['sibling_groups_split']:>5} {s['extra_homes_for_split_groups']:>5} {s['under12_in_residential']:>6} "
                f"{s['objective']:>9} {s['bound']!s:>9} {med('seconds_pairs'):>8} {med('seconds_build'):>8} "
                f"{med('seconds_solve'):>8} {med('seconds'):>8}"
            )


if __name__ == "__main__":
    main()
