"""Every method of a benchmark run, scored by the engine's own result builder and checked by the validator.

``run(method, instance, policy, whole_cohort, tiers, piece_children)`` returns the quality figures,
the seconds of each step and the validator's findings by rule; with ``piece_children`` every method
runs on the engine's geographic pieces and the figures are joined (``placements.bench.pieces``).
Quality comes from ``placements.match.build_result`` for every method that gives an assignment, so
the engine and the baselines are measured by one code.

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
    s = result.summary
    miles = result.matches["distance_miles"].to_numpy(dtype=float) if len(result.matches) else np.zeros(0)
    known = miles[~np.isnan(miles)]
    return {
        "status": s.status,
        "needing": s.needing_placement,
        "placed": s.placed,
        "emergency_needing": s.emergency_needing,
        "emergency_placed": s.emergency_placed,
        "sibling_groups": s.sibling_groups,
        "sibling_groups_split": s.sibling_groups_split,
        "extra_homes": s.extra_homes_for_split_groups,
        "under12_in_residential": s.under12_in_residential,
        "mean_miles": round(float(known.mean()), 2) if len(known) else None,
        "over_20_miles": s.over_20_miles,
        "weekly_cost": s.total_weekly_cost,
        "objective": s.objective,
        "bound": s.bound,
        "gap": s.gap,
    }


def _violations(
    instance: Instance, assignment: dict[str, str], as_of: Any, whole_cohort: bool, policy: Policy
) -> dict[str, int]:
    """Broken rules by rule code, under the authority's policy (its Ofsted rule and the stability rule too)."""
    from placements.validate import validate

    found = validate(instance, assignment, as_of, whole_cohort, policy)
    return dict(sorted(Counter(str(v.rule) for v in found).items()))


def _miles(result: MatchResult) -> tuple[float, int]:
    """Sum and count of the known distances of an answer, so pieces' means can be joined."""
    miles = result.matches["distance_miles"].to_numpy(dtype=float) if len(result.matches) else np.zeros(0)
    known = miles[~np.isnan(miles)]
    return float(known.sum()), len(known)


def _scored(pairs: Any, home: dict[int, int], name: str, t0: float) -> MatchResult:
    from placements.result import build_result, heuristic_stats

    return build_result(pairs.elig, home, heuristic_stats(name), t0)


def _answered(result: MatchResult, times: dict[str, float | None]) -> dict[str, Any]:
    return {
        "quality": quality(result),
        "times": times,
        "assignment": result.assignment,
        "miles": _miles(result),
        "as_of": result.as_of,
    }


def solve(
    method: str, instance: Instance, policy: Policy, whole_cohort: bool, tiers: dict[str, int] | None
) -> dict[str, Any]:
    """One run of ``method`` on one instance as one model (no pieces), unvalidated.

    {"quality", "times", "assignment" (None for the LP), "miles" (sum and count of known distances)}.
    """
    t0 = time.perf_counter()
    if method == "engine":
        from placements.match import match

        result = match(instance, policy, whole_cohort=whole_cohort)
        time.sleep(float(os.environ.get(SLOW_ENV, "0") or 0))
        total = time.perf_counter() - t0
        s = result.summary
        out = _answered(
            result,
            {
                "pairs_s": s.seconds_pairs,
                "build_s": s.seconds_build,
                "solve_s": s.seconds_solve,
                "total_s": total,
            },
        )
        out["quality"].update(
            tiers_1_3_optimal=s.tiers_1_3_optimal, bound_scope=s.bound_scope, proven_after=s.proven_after
        )
        return out
    if method in ("greedy-arrival", "greedy-hardest"):
        from placements.baselines import greedy

        result = greedy(instance, policy, whole_cohort, method.removeprefix("greedy-"))  # type: ignore[arg-type]
        total = time.perf_counter() - t0
        return _answered(result, {"pairs_s": None, "build_s": None, "solve_s": None, "total_s": total})

    from placements.bench.pairs import admissible_pairs

    pairs = admissible_pairs(instance, policy, whole_cohort)
    t_pairs = time.perf_counter() - t0
    if method == "lp":
        from placements.bench.lp import lp_bound

        lp = lp_bound(pairs, tiers)
        total = time.perf_counter() - t0
        q = {
            "status": "LP",
            "needing": len(pairs.emergency),
            "placed": round(lp.placed, 3),
            "emergency_needing": int(pairs.emergency.sum()),
            "emergency_placed": round(lp.emergency, 3),
            "extra_homes": round(lp.extra_homes, 3),
            "bound": lp.penalty_bound,
            "patterns": lp.patterns,
        }
        times = {
            "pairs_s": t_pairs + lp.patterns_seconds,
            "build_s": lp.build_seconds,
            "solve_s": lp.solve_seconds,
            "total_s": total,
        }
        return {"quality": q, "times": times, "assignment": None, "miles": (0.0, 0), "as_of": None}
    if method == "flow":
        from placements.bench.flow import flow_rows

        home, build, solve_s = flow_rows(pairs)
    elif method == "stable":
        from placements.bench.stable import stable_rows

        home, build, solve_s = stable_rows(pairs)
    else:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
    total = time.perf_counter() - t0
    result = _scored(pairs, home, method, t0)
    return _answered(result, {"pairs_s": t_pairs, "build_s": build, "solve_s": solve_s, "total_s": total})


def _piece(task: tuple[str, Instance, Policy, bool, dict[str, int] | None]) -> dict[str, Any]:
    """One piece of a large instance, in a pool process (``pieces.run_all``)."""
    return solve(*task)


def _engine_in_pieces(instance: Instance, policy: Policy, whole_cohort: bool, piece_children: int) -> dict[str, Any]:
    from placements.bench.pieces import PIECE_WORKERS, pieces, tiers_by_piece
    from placements.decompose import match_in_pieces

    t0 = time.perf_counter()
    result = match_in_pieces(instance, policy, whole_cohort, max_children=piece_children, workers=PIECE_WORKERS)
    time.sleep(float(os.environ.get(SLOW_ENV, "0") or 0))
    total = time.perf_counter() - t0
    s = result.summary
    out = _answered(
        result,
        {"pairs_s": s.seconds_pairs, "build_s": s.seconds_build, "solve_s": s.seconds_solve, "total_s": total},
    )
    q = out["quality"]
    q.update(
        tiers_1_3_optimal=s.tiers_1_3_optimal,
        pieces=s.pieces,
        pieces_optimal=s.pieces_optimal,
        bound_scope=s.bound_scope,
        tiers_bound=s.tiers_bound,
    )
    # Outside the timed window: each piece's tiers (1)-(3), for the LP relaxation of that piece.
    out["piece_tiers"] = tiers_by_piece(pieces(instance, policy, piece_children), result.matches)
    for key in ("emergency_placed", "placed", "extra_homes"):
        if key != "extra_homes" and sum(t[key] for t in out["piece_tiers"]) > q[key]:
            raise RuntimeError(f"pieces' {key} add up to more than the joined answer's; this is a bug")
    return out


def _baseline_in_pieces(
    method: str,
    instance: Instance,
    policy: Policy,
    whole_cohort: bool,
    tiers: dict[str, Any] | None,
    piece_children: int,
) -> dict[str, Any]:
    from placements.bench.pieces import join_quality, pieces, run_all
    from placements.decompose import whole_groups
    from placements.result import sibling_figures

    t0 = time.perf_counter()
    subs = pieces(instance, policy, piece_children)
    by_piece = (tiers or {}).get("pieces")
    if by_piece is not None and len(by_piece) != len(subs):
        raise RuntimeError(f"{len(by_piece)} pieces' tiers for {len(subs)} pieces; this is a bug")
    tasks = [(method, sub, policy, whole_cohort, by_piece[k] if by_piece else None) for k, sub in enumerate(subs)]
    outs = run_all(_piece, tasks)
    total = time.perf_counter() - t0
    q = join_quality([o["quality"] for o in outs], [o["miles"] for o in outs] if method != "lp" else [])
    times: dict[str, float | None] = {}
    for key in ("pairs_s", "build_s", "solve_s"):
        vals = [o["times"][key] for o in outs]
        times[key] = None if None in vals else sum(v for v in vals if v is not None)
    times["total_s"] = total
    assignment = None
    if method != "lp":
        assignment = {}
        for o in outs:
            assignment.update(o["assignment"])
        # Sibling groups counted over the whole instance, as the engine's joined answer is: a group
        # matched in two pieces looks whole to each piece though its members live apart.
        groups, split, extra = sibling_figures(whole_groups(instance, whole_cohort), assignment)
        q.update(sibling_groups=groups, sibling_groups_split=len(split), extra_homes=extra)
    return {"quality": q, "times": times, "assignment": assignment, "as_of": outs[0]["as_of"] if outs else None}


def run(
    method: str,
    instance: Instance,
    policy: Policy,
    whole_cohort: bool,
    tiers: dict[str, Any] | None,
    piece_children: int | None = None,
) -> dict[str, Any]:
    """One run of ``method``: {"quality", "times", "violations"} (and "piece_tiers" for the engine in pieces).

    Times in seconds. ``piece_children`` makes every method match the geographic pieces of
    ``placements.decompose.plan_pieces`` (the engine through ``match_in_pieces``, each baseline
    piece by piece, ``placements.bench.pieces``); bounds then hold per piece only, and the quality
    says so (``bound_scope``). ``tiers``: the engine's proven tiers (1)-(3) for the LP's stage B,
    with "pieces", the same per piece, when the engine ran in pieces.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
    if piece_children and method == "engine":
        out = _engine_in_pieces(instance, policy, whole_cohort, piece_children)
    elif piece_children:
        out = _baseline_in_pieces(method, instance, policy, whole_cohort, tiers, piece_children)
    else:
        out = solve(method, instance, policy, whole_cohort, tiers)
    assignment, as_of = out.pop("assignment"), out.pop("as_of")
    out.pop("miles", None)
    out["violations"] = (
        None
        if assignment is None
        else _violations(instance, assignment, as_of or policy.as_of_date(), whole_cohort, policy)
    )
    return out
