"""The CP-SAT model over patterns, solved lexicographically in two stages.

Stage A maximises tiers (1)-(3) at once with exact weights: emergency children placed, then
children placed, then fewest extra homes used by split sibling groups. With n children in scope,
``(n+1)^2 * E + (n+1) * P - X`` orders solutions exactly as the tiers do, because P and X never
exceed n. Stage B fixes that value and minimises the quality penalty (tier 4), with a small
seeded tie-break so the optimum is unique and the answer does not depend on thread timing.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from placements.model.patterns import Patterns

#: Scale of the tie-break: the penalty is multiplied by this before the tie-break is added.
TIE_SCALE = 1 << 16


@dataclass(frozen=True)
class StageStats:
    name: str
    status: str
    objective: float
    bound: float
    build_seconds: float
    solve_seconds: float


@dataclass(frozen=True)
class Solution:
    chosen: np.ndarray  # indices of chosen patterns
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN
    tiers_optimal: bool  # tiers (1)-(3) proven
    emergency_placed: int
    placed: int
    extra_homes: int
    penalty: int
    penalty_bound: int
    stages: tuple[StageStats, ...]


class PatternModel:
    """A container for the decision variables and the constraints over them."""

    def __init__(self, pats: Patterns, n_rows: int):
        t0 = time.perf_counter()
        self.pats = pats
        m = cp_model.CpModel()
        self.model = m
        k = len(pats)
        self.w = [m.new_bool_var(f"w{i}") for i in range(k)]
        w = self.w
        by_row: dict[int, list[int]] = defaultdict(list)
        by_place: dict[int, list[int]] = defaultdict(list)
        by_group_place: dict[tuple[int, int], list[int]] = defaultdict(list)
        by_group: dict[int, list[int]] = defaultdict(list)
        for i, (g, p, members) in enumerate(zip(pats.group, pats.place, pats.members, strict=True)):
            for r in members:
                by_row[r].append(i)
            by_place[int(p)].append(i)
            by_group_place[(int(g), int(p))].append(i)
            by_group[int(g)].append(i)
        # Each child lives in at most one home.
        for idx in by_row.values():
            if len(idx) > 1:
                m.add_at_most_one(w[i] for i in idx)
        # A group uses a home through at most one pattern.
        for (g, _), idx in by_group_place.items():
            if len(idx) > 1 and len(pats.groups[g]) > 1:
                m.add_at_most_one(w[i] for i in idx)
        # Capacity, usual fostering limit, children who must live without others.
        for p, idx in by_place.items():
            size = pats.size[idx]
            excl = pats.exclusive[idx]
            cap, lim = int(pats.capacity[p]), int(pats.limit[p])
            if size.sum() > cap:
                m.add(sum(int(s) * w[i] for i, s in zip(idx, size, strict=True)) <= cap)
            if excl.any():
                expr = sum((lim if x else int(s)) * w[i] for i, s, x in zip(idx, size, excl, strict=True))
                m.add(expr <= lim)
            elif size.sum() > lim:
                m.add(sum(int(s) * w[i] for i, s in zip(idx, size, strict=True)) <= lim)
        # Extra homes: homes used by a group beyond the first.
        self.used_any = {}
        extra_terms = []
        for g, idx in by_group.items():
            if len(pats.groups[g]) > 1:
                z = m.new_bool_var(f"z{g}")
                m.add(z <= sum(w[i] for i in idx))
                self.used_any[g] = z
                extra_terms.extend(w[i] for i in idx)
                extra_terms.append(-z)
        n1 = n_rows + 1
        self.emergency = cp_model.LinearExpr.weighted_sum(w, [int(v) for v in pats.emergency]) if k else 0
        self.placed = cp_model.LinearExpr.weighted_sum(w, [int(v) for v in pats.size]) if k else 0
        self.extra = sum(extra_terms) if extra_terms else 0
        self.tiers = n1 * n1 * self.emergency + n1 * self.placed - self.extra
        self.build_seconds = time.perf_counter() - t0

    def _solver(self, seconds: float, workers: int, seed: int) -> cp_model.CpSolver:
        s = cp_model.CpSolver()
        s.parameters.max_time_in_seconds = max(seconds, 0.05)
        s.parameters.num_workers = workers
        s.parameters.random_seed = seed
        return s

    def solve(self, time_limit: float, workers: int, seed: int) -> Solution:
        pats, m, w = self.pats, self.model, self.w
        start = time.perf_counter()
        if len(pats) == 0:
            empty = StageStats("tiers", "OPTIMAL", 0, 0, self.build_seconds, 0.0)
            return Solution(np.zeros(0, dtype=np.int64), "OPTIMAL", True, 0, 0, 0, 0, 0, (empty,))
        # Stage A: tiers (1)-(3).
        m.maximize(self.tiers)
        sa = self._solver(time_limit, workers, seed)
        t = time.perf_counter()
        status_a = sa.solve(m)
        a_secs = time.perf_counter() - t
        name_a = sa.status_name(status_a)
        if status_a not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise RuntimeError(f"stage A ended {name_a}: the model has no solution, which is a bug")
        stage_a = StageStats("tiers", name_a, sa.objective_value, sa.best_objective_bound, self.build_seconds, a_secs)
        values_a = [sa.boolean_value(v) for v in w]
        best_a = int(round(sa.objective_value))

        # Stage B: fix tiers (1)-(3), minimise the penalty with a seeded tie-break.
        t = time.perf_counter()
        m.clear_hints()
        for v, val in zip(w, values_a, strict=True):
            m.add_hint(v, val)
        for g, z in self.used_any.items():
            m.add_hint(z, sa.boolean_value(z))
        m.add(self.tiers >= best_a)
        rng = np.random.default_rng(seed)
        n_rows = max(1, sum(len(g) for g in pats.groups))
        tie = rng.integers(0, max(1, TIE_SCALE // n_rows), size=len(pats))
        coeffs = [int(p) * TIE_SCALE + int(b) for p, b in zip(pats.penalty, tie, strict=True)]
        m.minimize(cp_model.LinearExpr.weighted_sum(w, coeffs))
        b_build = time.perf_counter() - t
        remaining = time_limit - (time.perf_counter() - start)
        sb = self._solver(remaining, workers, seed)
        t = time.perf_counter()
        status_b = sb.solve(m)
        b_secs = time.perf_counter() - t
        name_b = sb.status_name(status_b)
        if status_b in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = np.array([i for i, v in enumerate(w) if sb.boolean_value(v)], dtype=np.int64)
            bound = int(sb.best_objective_bound) // TIE_SCALE
        else:  # no time left for stage B: keep stage A's answer
            chosen = np.array([i for i, v in enumerate(values_a) if v], dtype=np.int64)
            bound = 0
            name_b = "FEASIBLE" if name_a == "OPTIMAL" else name_a
        stage_b = StageStats("quality", name_b, float(pats.penalty[chosen].sum()), float(bound), b_build, b_secs)
        tiers_optimal = name_a == "OPTIMAL"
        status = "OPTIMAL" if tiers_optimal and name_b == "OPTIMAL" else "FEASIBLE"
        return Solution(
            chosen=chosen,
            status=status,
            tiers_optimal=tiers_optimal,
            emergency_placed=int(pats.emergency[chosen].sum()),
            placed=int(pats.size[chosen].sum()),
            extra_homes=_extra_homes(pats, chosen),
            penalty=int(pats.penalty[chosen].sum()),
            penalty_bound=bound,
            stages=(stage_a, stage_b),
        )


def _extra_homes(pats: Patterns, chosen: np.ndarray) -> int:
    homes: dict[int, int] = defaultdict(int)
    for i in chosen:
        homes[int(pats.group[i])] += 1
    return sum(h - 1 for h in homes.values() if h > 1)
