"""A few nodes of branch-and-bound on the LP relaxation (GLOP), before any MIP solver is called.

A daily match's quality LP is nearly whole: on the demo one sibling group of three is split 2/3 and
1/3 between two homes by capacity (LP 4,629 against an optimum of 4,632). Fixing the 1/3 column at 1
gives 4,685; at 0, 4,632 with another split, whose column fixed at 1 gives a whole 4,632 and at 0 4,633.
Every lawful answer lies in one of those cases, so none is better than 4,632: four LPs of about a
millisecond each, where the MIP on the LP's support and SCIP's proof window took 45 ms (docs/solvers.md,
"The daily match").

Why the bound is valid: each node is the LP relaxation of the model with some sibling-group columns
fixed at 0 or 1. A node's children split its lawful answers in two (a column of a whole answer is 0
or 1), so every lawful answer lies under exactly one leaf of the tree, and the LP value of that leaf is
at least as good as the answer's own objective. The best LP value over the leaves (an infeasible leaf
holds no answer) therefore bounds every lawful answer. Only columns that must be whole are branched
on: a node whose such columns are all whole has, by ``mip.implied_integral``, a whole answer of the same
value (the rest of its LP is totally unimodular), so it is a leaf whose value is attained.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import linear_solver_pb2, pywraplp

#: GLOP's parameters while branching: a branch changes one bound, so the dual simplex from the last
#: basis, without presolve (which starts each solve afresh), needs a few pivots. Demo, one branch LP:
#: 2.1-2.4 ms with the defaults, 0.5-1.7 ms with these (20 matches, medians).
BRANCH_PARAMS = "use_preprocessing: false use_dual_simplex: true"
#: A column within this of 0 or 1 counts as whole (GLOP's tolerances, and the 1e-6 slack of the hold rows).
WHOLE_TOL = 1e-5


Node = tuple[float, int, list[tuple[int, float]], np.ndarray]  # (-sign * LP value, order, fixes, values)


@contextmanager
def _glop_params(solver: pywraplp.Solver, params: str) -> Iterator[None]:
    """GLOP's parameters ``params`` while inside, its defaults again after (whatever happens)."""
    solver.SetSolverSpecificParametersAsString(params)
    try:
        yield
    finally:
        solver.SetSolverSpecificParametersAsString("")


@dataclass
class Branched:
    bound: float  # no lawful answer is better than this, in the objective's direction
    whole: np.ndarray | None  # the best whole answer found at a leaf (chosen columns), if any
    solves: int  # LPs solved


def branch(
    solver: pywraplp.Solver,
    w: list[pywraplp.Variable],
    must_be_whole: np.ndarray,
    maximise: bool,
    root: tuple[float, np.ndarray],
    incumbent: float,
    margin: float,
    max_solves: int,
    deadline: float,
) -> Branched:
    """Best-first branch-and-bound over the LP ``solver`` holds (already solved at its root, value and
    values ``root``), fixing columns of ``must_be_whole`` at 0 or 1 through their bounds.

    It stops when no open node beats ``incumbent`` (the objective's value of the caller's answer) by
    more than ``margin`` (just under a unit: objectives are integers, so nothing left can beat it by a
    whole unit), after ``max_solves`` LPs, or at the deadline; the bound it returns is valid whenever it
    stops. Every bound it changes is restored right after its LP and GLOP's parameters are its defaults
    again on return, so the solver holds the root LP again (its last solution is a branch's: the caller
    solves it again when it needs the root's duals).
    """
    with _glop_params(solver, BRANCH_PARAMS):
        sign = 1.0 if maximise else -1.0
        enough = incumbent + sign * margin  # an open node no better than this cannot beat the incumbent by a unit
        whole: np.ndarray | None = None
        closed = -np.inf  # best value times sign over the leaves closed so far
        counter = 0  # ties broken by order of creation, so the search is deterministic
        heap: list[Node] = [(-sign * root[0], counter, [], root[1])]
        solves = 0
        while heap:
            key, _, fixes, x = heap[0]
            if -key <= sign * enough:
                break  # the best open node cannot beat the incumbent by a unit, nor can any other
            frac = np.abs(x - np.round(x))
            frac[~must_be_whole] = 0.0
            j = int(np.argmax(frac))  # the most fractional column (the first of equals)
            if frac[j] <= WHOLE_TOL:
                heapq.heappop(heap)
                closed = max(closed, -key)
                if bool(np.all(np.abs(x - np.round(x)) <= WHOLE_TOL)):
                    # A whole answer better than the incumbent by a unit: the caller takes it.
                    whole = np.flatnonzero(x > 0.5).astype(np.int64)
                    enough = sign * -key + sign * margin
                continue
            if solves + 2 > max_solves or time.perf_counter() > deadline - 0.05:
                break
            heapq.heappop(heap)
            for value in (1.0, 0.0):
                child = [*fixes, (j, value)]
                for k, v in child:
                    w[k].SetBounds(v, v)
                solver.SetTimeLimit(max(1, int((deadline - time.perf_counter()) * 1000)))
                code = solver.Solve()
                solves += 1
                response = linear_solver_pb2.MPSolutionResponse()
                if code == pywraplp.Solver.OPTIMAL:  # read before the bounds change back (that discards it)
                    solver.FillSolutionResponseProto(response)
                for k, _v in child:
                    w[k].SetBounds(0.0, 1.0)
                if code == pywraplp.Solver.INFEASIBLE:
                    continue  # no lawful answer fixes the column so
                counter += 1
                if code != pywraplp.Solver.OPTIMAL:
                    # Out of time, or a numerical failure: this case is not known, so its parent's
                    # value stands for it (still a valid bound).
                    heapq.heappush(heap, (key, counter, child, np.zeros(0)))
                    return Branched(_bound(heap, closed, sign), whole, solves)
                values = np.array(response.variable_value[: len(w)])
                heapq.heappush(heap, (-sign * response.objective_value, counter, child, values))
        return Branched(_bound(heap, closed, sign), whole, solves)


def _bound(heap: list[Node], closed: float, sign: float) -> float:
    """The best value over the open and closed leaves, in the objective's own direction."""
    best = max([closed, *(-key for key, *_ in heap)])
    return float(sign * best)
