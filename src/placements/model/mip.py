"""The pattern model on a MIP back end that ships with OR-Tools (SCIP or HiGHS), with LP-guided reduction.

Same variables, constraints and two lexicographic stages as ``cpsat.py``. Each stage runs:

1. the LP relaxation of the *full* model with GLOP, giving a bound ``z_lp`` and reduced costs ``d``;
2. a MIP restricted to the columns with ``d_j >= -tau`` in the objective's direction (plus the
   incumbent's), giving ``z_inc``;
3. reduced-cost fixing: a solution using column j is worth at most ``z_lp + d_j``; both objectives
   are integers, so a column with ``z_lp + d_j < z_inc + 1`` can be in no solution better than the
   incumbent and dropping it loses nothing. If every dropped column is of that kind
   (``tau >= |z_lp - z_inc| - 1``) the restricted optimum is optimal for the full model; otherwise
   tau is widened to exactly that and the MIP solved once more, which is then provably optimal.

Why: GLOP solves the full LP in about a second even for the demo's whole cohort (82,638
patterns), and in stage B the LP leaves fewer than 5% of the columns in the first window. In stage A
of the whole cohort it prunes nothing (a lone child's homes all look alike to tiers 1-3), but the LP
is within one unit of the integer optimum there, so the first solve is already the proof; see
``docs/solvers.md``. Both MIP solvers run single-threaded and deterministically, so the same input
gives the same answer on any number of cores.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp

from placements.model.patterns import Patterns, index_patterns, place_rows
from placements.model.solution import Solution, StageStats, extra_homes, make_solution, tier_weights

log = logging.getLogger(__name__)
SOLVERS = {"scip": "SCIP", "highs": "HIGHS"}
#: Initial reduced-cost window, in objective units (one extra home in stage A, one penalty point in B).
FIRST_TAU = 1.0
#: Safety margin on reduced-cost comparisons, relative to the objective's size (LP tolerances).
REL_EPS = 1e-7


@dataclass
class _Built:
    solver: pywraplp.Solver
    w: list[pywraplp.Variable]
    tiers: pywraplp.LinearExpr
    penalty: pywraplp.LinearExpr
    parts: tuple[pywraplp.LinearExpr, pywraplp.LinearExpr, pywraplp.LinearExpr]  # emergency, placed, extra


def _build(pats: Patterns, n_rows: int, name: str, integer: bool) -> _Built:
    s = pywraplp.Solver.CreateSolver(name)
    if s is None:  # pragma: no cover - all ship inside the ortools wheel
        raise RuntimeError(f"OR-Tools was built without {name}")
    w = [s.BoolVar(f"w{i}") if integer else s.NumVar(0.0, 1.0, f"w{i}") for i in range(len(pats))]
    ix = index_patterns(pats)
    for idx in ix.by_row:  # each child lives in at most one home
        s.Add(s.Sum([w[i] for i in idx]) <= 1)
    for idx in ix.by_group_place:  # a group uses a home through one pattern
        s.Add(s.Sum([w[i] for i in idx]) <= 1)
    for p, idx in ix.by_place.items():  # capacity, fostering limit, living alone
        for coefs, rhs in place_rows(pats, p, idx):
            s.Add(s.Sum([c * w[i] for i, c in coefs.items()]) <= rhs)
    we, wp, wx = tier_weights(n_rows)
    emergency = s.Sum([int(e) * w[i] for i, e in enumerate(pats.emergency.tolist()) if e])
    placed = s.Sum([int(k) * w[i] for i, k in enumerate(pats.size.tolist())])
    extra_terms = []
    for g, idx in ix.by_multi_group.items():  # extra homes = homes used - (group placed at all)
        z = s.BoolVar(f"z{g}") if integer else s.NumVar(0.0, 1.0, f"z{g}")
        s.Add(z <= s.Sum([w[i] for i in idx]))
        extra_terms.extend(w[i] for i in idx)
        extra_terms.append(-z)
    extra = s.Sum(extra_terms)
    penalty = s.Sum([int(p) * w[i] for i, p in enumerate(pats.penalty.tolist())])
    return _Built(s, w, we * emergency + wp * placed - wx * extra, penalty, (emergency, placed, extra))


class MipModel:
    def __init__(self, pats: Patterns, n_rows: int, backend: str = "scip"):
        t0 = time.perf_counter()
        self.pats, self.backend, self.n_rows = pats, backend, n_rows
        self.lp = _build(pats, n_rows, "GLOP", integer=False)
        self.mip = _build(pats, n_rows, SOLVERS[backend], integer=True)
        self.build_seconds = time.perf_counter() - t0

    def _stage(
        self, name: str, maximise: bool, incumbent: np.ndarray, deadline: float, seed: int
    ) -> tuple[StageStats, np.ndarray, float, bool]:
        """One lexicographic stage; returns stats, chosen columns, objective value and whether proven."""
        t0 = time.perf_counter()
        lp, mip = self.lp, self.mip
        lp_obj = lp.tiers if name == "tiers" else lp.penalty
        (lp.solver.Maximize if maximise else lp.solver.Minimize)(lp_obj)
        if lp.solver.Solve() != pywraplp.Solver.OPTIMAL:  # pragma: no cover - the LP is always feasible and bounded
            raise RuntimeError(f"LP relaxation of stage {name} did not solve")
        z_lp = lp.solver.Objective().Value()
        log.debug("stage %s: LP %.1f in %.2f s", name, z_lp, time.perf_counter() - t0)
        # Improvement per unit of each column, in the direction of the objective (<= 0 at the LP optimum).
        d = np.array([v.reduced_cost() for v in lp.w]) * (1.0 if maximise else -1.0)
        eps = REL_EPS * max(1.0, abs(z_lp))
        sign = 1.0 if maximise else -1.0

        mip_obj = mip.tiers if name == "tiers" else mip.penalty
        (mip.solver.Maximize if maximise else mip.solver.Minimize)(mip_obj)
        tau = FIRST_TAU
        # The incumbent is lawful and its columns are always kept: start from its value, so a
        # time-limited MIP answer is taken only when it is at least as good.
        chosen, z_inc, proven, status = incumbent, self._value(name, incumbent), False, "FEASIBLE"
        for _attempt in range(2):
            keep = (d >= -tau - eps) | np.isin(np.arange(len(d)), incumbent)
            for v, k in zip(mip.w, keep.tolist(), strict=True):
                v.SetUb(1.0 if k else 0.0)
            remaining = deadline - time.perf_counter()
            if remaining <= 0.05:
                break
            mip.solver.SetTimeLimit(max(1, int(remaining * 1000)))
            if self.backend == "scip":
                mip.solver.SetSolverSpecificParametersAsString(f"randomization/randomseedshift = {seed % 2**31}\n")
            code = mip.solver.Solve()
            log.debug("stage %s: tau %.1f, %d of %d columns, %s in %.2f s", name, tau, int(keep.sum()), len(keep),
                      code, time.perf_counter() - t0)
            if code not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
                break  # no answer in time: keep the incumbent
            if sign * (mip_obj.solution_value() - z_inc) < -1e-6:
                break  # a time-limited answer worse than the one we hold
            chosen = np.array([i for i, v in enumerate(mip.w) if v.solution_value() > 0.5], dtype=np.int64)
            z_inc = mip_obj.solution_value()
            if code != pywraplp.Solver.OPTIMAL:
                break
            gap = sign * (z_lp - z_inc)  # how much better the LP is than the restricted optimum
            # A dropped column caps any solution using it below z_lp - tau; objectives are integers,
            # so once that is below z_inc + 1 no such solution beats z_inc.
            if tau + eps >= gap - 1.0:
                proven, status = True, "OPTIMAL"
                break
            tau = gap - 1.0 + 2 * eps  # widen to exactly what fixing allows; the next solve is proven
        value = float(z_inc)
        stats = StageStats(name, status, value, z_lp, 0.0, time.perf_counter() - t0)
        return stats, chosen, value, proven

    def _value(self, name: str, chosen: np.ndarray) -> float:
        """Objective of a set of patterns, computed from the arrays (not from a solver)."""
        pats = self.pats
        if name == "quality":
            return float(pats.penalty[chosen].sum())
        we, wp, wx = tier_weights(self.n_rows)
        homes = extra_homes(pats, chosen)
        return float(we * pats.emergency[chosen].sum() + wp * pats.size[chosen].sum() - wx * homes)

    def solve(
        self, time_limit: float, workers: int, seed: int, start: np.ndarray | None = None  # noqa: ARG002
    ) -> Solution:
        """Two stages; ``start`` is a lawful proposal (pattern indices) to improve on, e.g. the greedy's."""
        pats = self.pats
        deadline = time.perf_counter() + time_limit
        start = np.zeros(0, dtype=np.int64) if start is None else start
        stage_a, chosen_a, value_a, proven_a = self._stage("tiers", True, start, deadline, seed)
        # Stage B holds each of tiers (1)-(3) at its stage-A level. Equivalent to holding their weighted
        # sum for integer solutions, and a tighter LP: with every child placed, no fractional trade
        # between a child less and a home fewer is left.
        e_a = int(pats.emergency[chosen_a].sum())
        p_a = int(pats.size[chosen_a].sum())
        x_a = extra_homes(pats, chosen_a)
        for built in (self.lp, self.mip):
            emergency, placed, extra = built.parts
            built.solver.Add(emergency >= e_a - 1e-6)
            built.solver.Add(placed >= p_a - 1e-6)
            built.solver.Add(extra <= x_a + 1e-6)
        stage_b, chosen_b, value_b, proven_b = self._stage("quality", False, chosen_a, deadline, seed)
        chosen = chosen_b
        bound = int(np.ceil(stage_b.bound - 1e-6)) if not proven_b else int(round(value_b))
        return make_solution(pats, chosen, proven_a, proven_b, bound, (stage_a, stage_b), self.backend)
