"""Every method of a benchmark run, scored by the engine's own result builder and checked by the validator.

``run(method, instance, policy, whole_cohort, tiers)`` returns the quality figures, the seconds of
each step and the validator's findings by rule. Quality comes from ``placements.match.build_result``
for every method that gives an assignment, so the engine and the baselines are measured by one code.

Test-only knob: ``PLACEMENTS_BENCH_SLOW_ENGINE=SECONDS`` sleeps that long inside the engine's timed
window. It exists to show that the CI gate catches a slower engine (benchmarks/README.md); it
touches nothing but the harness's clock.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

import numpy as np

from placements.instance import Instance
from placements.policy import Policy
from placements.result import MatchResult

METHODS = ("engine", "greedy-arrival", "greedy-hardest", "stable", "flow", "lp")
DESCRIPTION = {
    "engine": "placements.match (the engine)",
    "greedy-arrival": "greedy in referral order (today's practice)",
    "greedy-hardest": "greedy, fewest options first",
    "stable": "stable matching, hospitals/residents (siblings ignored)",
    "flow": "min-cost flow (siblings ignored)",
    "lp": "LP relaxation of the engine's model (a bound)",
}
SLOW_ENV = "PLACEMENTS_BENCH_SLOW_ENGINE"


def quality(result: MatchResult) -> dict[str, Any]:
    s = result.summary()
    miles = result.matches["distance_miles"].to_numpy(dtype=float) if len(result.matches) else np.zeros(0)
    known = miles[~np.isnan(miles)]
    return {
        "status": s["status"],
        "needing": s["needing_placement"],
        "placed": s["placed"],
        "emergency_needing": s["emergency_needing"],
        "emergency_placed": s["emergency_placed"],
        "sibling_groups": s["sibling_groups"],
        "sibling_groups_split": s["sibling_groups_split"],
        "extra_homes": s["extra_homes_for_split_groups"],
        "under12_in_residential": s["under12_in_residential"],
        "mean_miles": round(float(known.mean()), 2) if len(known) else None,
        "over_20_miles": s["over_20_miles"],
        "weekly_cost": s["total_weekly_cost"],
        "objective": s["objective"],
        "bound": s.get("bound"),
        "gap": s.get("gap"),
    }


def _violations(instance: Instance, result: MatchResult) -> dict[str, int]:
    from placements.validate import validate

    found = validate(instance, result.assignment, result.as_of, result.whole_cohort)
    return dict(sorted(Counter(str(v.rule) for v in found).items()))


def _scored(pairs: Any, home: dict[int, int], name: str, t0: float) -> MatchResult:
    from placements.match import build_result

    solver = {"status": "HEURISTIC", "tiers_1_3_optimal": False, "bound": None, "gap": None,
              "backend": name, "seed": None, "workers": 1, "patterns": None}
    return build_result(pairs.elig, home, solver, t0)


def run(method: str, instance: Instance, policy: Policy, whole_cohort: bool, tiers: dict[str, int] | None,
        piece_children: int | None = None) -> dict[str, Any]:
    """One run of ``method``: {"quality", "times", "violations"}; times in seconds.

    ``piece_children`` makes the engine match geographic pieces (``placements.decompose``); its
    bound then holds per piece only, and the summary says so.
    """
    t0 = time.perf_counter()
    if method == "engine":
        from placements.match import match

        if piece_children:
            from placements.decompose import match_in_pieces

            result = match_in_pieces(instance, policy, whole_cohort, max_children=piece_children, workers=2)
        else:
            result = match(instance, policy, whole_cohort=whole_cohort)
        time.sleep(float(os.environ.get(SLOW_ENV, "0") or 0))
        total = time.perf_counter() - t0
        s = result.summary()
        times = {"pairs_s": s["seconds_pairs"], "build_s": s["seconds_build"], "solve_s": s["seconds_solve"], "total_s": total}
        q = quality(result)
        q["tiers_1_3_optimal"] = s["tiers_1_3_optimal"]
        return {"quality": q, "times": times, "violations": _violations(instance, result)}
    if method in ("greedy-arrival", "greedy-hardest"):
        from placements.baselines import greedy

        result = greedy(instance, policy, whole_cohort, method.removeprefix("greedy-"))  # type: ignore[arg-type]
        total = time.perf_counter() - t0
        times = {"pairs_s": None, "build_s": None, "solve_s": None, "total_s": total}
        return {"quality": quality(result), "times": times, "violations": _violations(instance, result)}

    from placements.bench.pairs import admissible_pairs

    pairs = admissible_pairs(instance, policy, whole_cohort)
    t_pairs = time.perf_counter() - t0
    if method == "lp":
        from placements.bench.lp import lp_bound

        lp = lp_bound(pairs, tiers)
        total = time.perf_counter() - t0
        q = {"status": "LP", "needing": len(pairs.emergency), "placed": round(lp.placed, 3),
             "emergency_needing": int(pairs.emergency.sum()), "emergency_placed": round(lp.emergency, 3),
             "extra_homes": round(lp.extra_homes, 3), "bound": lp.penalty_bound, "patterns": lp.patterns}
        times = {"pairs_s": t_pairs + lp.patterns_seconds, "build_s": lp.build_seconds, "solve_s": lp.solve_seconds,
                 "total_s": total}
        return {"quality": q, "times": times, "violations": None}
    if method == "flow":
        from placements.bench.flow import flow_rows

        home, build, solve = flow_rows(pairs)
    elif method == "stable":
        from placements.bench.stable import stable_rows

        home, build, solve = stable_rows(pairs)
    else:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
    total = time.perf_counter() - t0
    result = _scored(pairs, home, method, t0)
    times = {"pairs_s": t_pairs, "build_s": build, "solve_s": solve, "total_s": total}
    return {"quality": quality(result), "times": times, "violations": _violations(instance, result)}
