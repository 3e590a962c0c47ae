"""The LP relaxation of the engine's pattern model: the bound, and the speed reference of the CI gate.

Built from ``placements.model.patterns`` (read-only) with the engine's rows: each child in at most
one pattern, a group uses a home through one pattern, each home's capacity/limit rows, and per
sibling group ``z_g <= sum of its patterns``. GLOP solves, as the engine's stages do:

* stage A: maximise the exact lexicographic weighting of (emergency placed, placed, -extra homes);
  its value bounds tiers (1)-(3) of any lawful answer;
* stage B: with tiers (1)-(3) held at the engine's proven levels, minimise the score penalty; its
  value (rounded up) bounds the score of any answer that is optimal in tiers (1)-(3). Stage B needs
  those levels, so it is run only when the engine's row proved them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from ortools.linear_solver import pywraplp

from placements.bench.pairs import Pairs
from placements.model.patterns import build_patterns, index_patterns, place_rows
from placements.model.solution import tier_weights


@dataclass(frozen=True)
class LpResult:
    emergency: float  # stage A's values (fractional)
    placed: float
    extra_homes: float
    tiers_bound: float
    penalty_bound: int | None  # stage B, rounded up; None without the engine's tier levels
    patterns: int
    patterns_seconds: float
    build_seconds: float
    solve_seconds: float


def lp_bound(pairs: Pairs, tiers: dict[str, int] | None) -> LpResult:
    """``tiers``: the engine's proven {emergency_placed, placed, extra_homes}, or None."""
    t0 = time.perf_counter()
    pats = build_patterns(pairs.elig)
    t1 = time.perf_counter()
    s = pywraplp.Solver.CreateSolver("GLOP")
    w = [s.NumVar(0.0, 1.0, "") for _ in range(len(pats))]
    ix = index_patterns(pats)
    for idx in ix.by_row + ix.by_group_place:
        s.Add(s.Sum([w[i] for i in idx]) <= 1)
    for p, idx in ix.by_place.items():
        for coefs, rhs in place_rows(pats, p, idx):
            s.Add(s.Sum([c * w[i] for i, c in coefs.items()]) <= rhs)
    emergency = s.Sum([int(e) * w[i] for i, e in enumerate(pats.emergency.tolist()) if e])
    placed = s.Sum([int(k) * w[i] for i, k in enumerate(pats.size.tolist())])
    terms: list[Any] = []
    for idx in ix.by_multi_group.values():
        z = s.NumVar(0.0, 1.0, "")
        s.Add(z <= s.Sum([w[i] for i in idx]))
        terms.extend(w[i] for i in idx)
        terms.append(-z)
    extra = s.Sum(terms)
    penalty = s.Sum([int(v) * w[i] for i, v in enumerate(pats.penalty.tolist())])
    we, wp, wx = tier_weights(len(pairs.emergency))
    t2 = time.perf_counter()
    s.Maximize(we * emergency + wp * placed - wx * extra)
    if s.Solve() != pywraplp.Solver.OPTIMAL:
        raise RuntimeError("LP relaxation (stage A) did not solve")
    a = (emergency.solution_value(), placed.solution_value(), extra.solution_value(), s.Objective().Value())
    bound = None
    if tiers is not None:
        s.Add(emergency >= tiers["emergency_placed"] - 1e-6)
        s.Add(placed >= tiers["placed"] - 1e-6)
        s.Add(extra <= tiers["extra_homes"] + 1e-6)
        s.Minimize(penalty)
        if s.Solve() != pywraplp.Solver.OPTIMAL:
            raise RuntimeError("LP relaxation (stage B) did not solve")
        bound = math.ceil(s.Objective().Value() - 1e-6)
    t3 = time.perf_counter()
    return LpResult(a[0], a[1], a[2], a[3], bound, len(pats), t1 - t0, t2 - t1, t3 - t2)
