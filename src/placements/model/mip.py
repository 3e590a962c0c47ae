"""The pattern model on a MIP back end that ships with OR-Tools (SCIP or HiGHS), with LP-guided reduction.

Same variables and constraints as ``cpsat.py``, in three lexicographic stages (placed, extra homes,
score). Each stage runs:

1. the LP relaxation of the *full* model with GLOP, giving a bound ``z_lp`` and reduced costs ``d``;
2. a MIP over the LP's support, then over the columns with ``d_j >= -tau`` in the objective's
   direction (plus the incumbent's), giving ``z_inc`` and the window MIP's own bound;
3. reduced-cost fixing: a solution using a dropped column j is worth at most ``z_lp + d_j``, so the
   full model is bounded by the weaker of ``z_lp - tau`` and the window's bound. Objectives are
   integers: once that bound is within one unit of ``z_inc`` the incumbent is optimal for the full
   model; otherwise tau is widened (four times, at most to exactly what fixing needs) and solved again.

A model over every admissible pair of at most ``DIRECT_PROOF_COLUMNS`` columns (the city's whole cohort)
skips the narrower windows, and above ``BRANCH_COLUMNS`` columns the support's MIP too: it goes from the LP
straight to the proof window. Its windows get a complete hint (``_hint``) and ``SCIP_PARAMS``, and each
proof window on the city closes at its root (docs/solvers.md, "The city score"). Larger and pruned models
keep the hint of the pattern columns only and SCIP's defaults (on region-s1 they were not measured enough).

Before step 2, a model of at most ``BRANCH_COLUMNS`` columns (a daily match) branches on its LP by hand
(``branch``: a few GLOP solves with sibling-group columns fixed at 0 or 1), which proves every daily bench
instance without a MIP; such a model's SCIP copy is made only when a window needs it (``MipModel.mip``).

Lone children's columns are continuous in every MIP (``implied_integral``: once the sibling
groups' columns are whole, what is left is totally unimodular), which is what lets SCIP prove the
extra-homes tier on a whole cohort: on the demo's, with every column binary it found no answer in
240 s; with them continuous it proves the optimum (6 extra homes) at the root in about 50 s.
Both MIP solvers run single-threaded and deterministically, so the same input gives the same
answer on any number of cores. Figures and commands: ``docs/solvers.md``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import linear_solver_pb2, pywraplp

from placements.eligibility import Eligibility
from placements.model.branch import branch
from placements.model.patterns import PatternIndex, Patterns, fewest_homes, index_patterns, place_rows
from placements.model.pricing import (
    Column,
    Duals,
    FullPairs,
    Multipliers,
    fewest_homes_full,
    lagrangian_bound,
    priced_columns,
    protected_welfare,
)
from placements.model.solution import Solution, StageStats, extra_homes, make_solution, tier_weights

log = logging.getLogger(__name__)
SOLVERS = {"scip": "SCIP", "highs": "HIGHS"}
#: Initial reduced-cost window, in objective units (one extra home in stage A, one penalty point in B).
FIRST_TAU = 1.0
#: Windows tried per stage before giving up on a proof (each four times wider than the last).
MAX_WINDOWS = 8
#: A proof window of at most this many columns (or four times the first window) is tried first.
PROOF_WINDOW_COLUMNS = 2000
#: A model over every admissible pair of at most this many columns goes straight to the proof window (past
#: the MIP on the LP's support too, above ``BRANCH_COLUMNS``). With SCIP's hint complete and probing off,
#: the four narrower windows before it on the city's score (tau 1, 4, 16, 64: about 1 s together) cost more
#: than the better incumbents they find save the proof window: the city's whole cohort (20,208 columns)
#: proves its score in 3.4 s against 4.3 s through them (medians of 3 interleaved runs, docs/solvers.md
#: "The city score"). Pruned and larger models (a region's, where no proof window ends in time) keep the
#: widening windows, whose incumbents are what such a match returns; that path was not re-measured.
DIRECT_PROOF_COLUMNS = 30_000
#: A model of at most this many columns (a daily match) branches on its LP before any proof window (``branch``).
BRANCH_COLUMNS = 2000
#: LPs solved by that branching at most. On 16 more daily instances (``synth --profile nottingham``, seeds
#: 6-21), pairs + build + solve summed over the 16, three alternating rounds: 8 LPs 618/539/407 ms, 16 LPs
#: 501/371/358 ms, 32 LPs 472/442/505 ms against 16's 390/460/397 (every figure of every answer the same).
BRANCH_SOLVES = 16
#: A window holding more than this share of the columns is widened to the proof window at once.
WIDE_WINDOW = 0.15
#: SCIP's parameters in the windows of a model that goes straight to the proof window (``MipModel.direct``:
#: the city's whole cohort). On region-s1's whole cohort (461,577 columns, 120 s, one run each) they and
#: the complete hint left the score's gap at 6.3% against 23.7%, but the placed stage's proof window, cut
#: short by its time, ended 8 children lower (3,297 against 3,305): tier (2) comes first, so larger models
#: keep SCIP's defaults until an A/B over several runs says otherwise.
#: Probing in presolve (a trial fixing of each binary) found a handful of fixings on the city's whole
#: cohort and took about 1 s of the score's proof window and 0.5 s of the homes stage's; the root's cut
#: rounds stop after 2 that do not move the bound (SCIP's default 10), as the homes window's bound is 37
#: from its first LP and its answer comes from the feasibility pump after the cuts. Whole cohort, medians
#: of 3 interleaved runs (docs/solvers.md, "The city score"): score proven 4.3 s with probing off against
#: 7.0 s with it, then 2.9 s against 3.4 s.
SCIP_PARAMS = "propagating/probing/maxprerounds = 0\nseparating/maxstallroundsroot = 2\n"
#: Safety margin on reduced-cost comparisons, relative to the objective's size (LP tolerances).
REL_EPS = 1e-7


Terms = list[tuple[pywraplp.Variable, float]]


@dataclass
class _Built:
    solver: pywraplp.Solver
    w: list[pywraplp.Variable]
    objectives: dict[str, Terms]  # "placed" (tiers 1-2), "homes" (tier 3), "quality" (tier 4)
    holds: dict[str, pywraplp.Constraint]  # rows holding "emergency", "placed", "extra" (free until set)
    place_cons: list[tuple[int, str, pywraplp.Constraint]]  # (home, "capacity" or "limit", row)
    #: The objective the solver holds: minimise "quality" as loaded from the proto (``_proto``).
    objective: tuple[str, bool] = ("quality", False)
    #: Every column as loaded: ``w``, then each sibling group's z (``_Proto.z_at``).
    variables: list[pywraplp.Variable] = dataclasses.field(default_factory=list)

    def set_objective(self, name: str, maximise: bool) -> None:
        if self.objective == (name, maximise):
            return  # one SWIG call per term saved (a daily match's MIP copy: 0.7 ms)
        self.objective = (name, maximise)
        objective = self.solver.Objective()
        objective.Clear()
        for v, c in self.objectives[name]:
            objective.SetCoefficient(v, c)
        objective.SetOptimizationDirection(maximise)


def exact_params() -> pywraplp.MPSolverParameters:
    """Solve to a zero relative gap. OR-Tools' default (1e-4) lets SCIP call an answer optimal when
    it is within 0.01%: 13 points on a region's placed objective, a dozen on a city's score. The
    proofs here rest on the window MIP's bound, so every MIP reports its real bound and stops only
    when it meets it (or runs out of time)."""
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, 0.0)
    return params


def implied_integral(pats: Patterns) -> np.ndarray:
    """Columns that may be continuous in the MIP: a lone child (not living alone) in a home.

    Once the other columns are fixed at whole values, these columns appear only in rows of two
    laminar families: per child (plus the rows counting all children and the emergency children
    placed, each a union of child rows) and per home (capacity and limit, both with coefficient
    1 for them). Such a matrix is totally unimodular, so every vertex of what remains is whole:
    the MIP needs to branch only on sibling groups and children who must live alone, about 30,000
    of the whole cohort's 71,039 columns. ``MipModel._whole`` turns an answer whose relaxed
    columns came back fractional (a non-vertex answer from a heuristic) into a whole one that is
    at least as good.
    """
    sizes = np.array([len(g) for g in pats.groups], dtype=np.int64)
    if len(pats) == 0:
        return np.zeros(0, dtype=bool)
    relaxed: np.ndarray = (sizes[pats.group] == 1) & ~pats.exclusive
    return relaxed


@dataclass
class _Proto:
    """The model as one ``MPModelProto`` (the MIP's integrality) and where its named rows are."""

    proto: linear_solver_pb2.MPModelProto
    holds_at: dict[str, int]  # row of each tier's hold
    place_at: list[tuple[int, str, int]]  # (home, "capacity" or "limit", row)
    extra_idx: list[int]  # columns of the extra-homes sum
    extra_coef: list[float]
    #: Rows column generation extends (``_ColumnGeneration``): per child its "at most one home" row,
    #: per protected child its "keeps a home" row, per (group, home) its "one pattern" row, per group
    #: of 2+ its (variable z, row z <= sum of its patterns).
    child_at: dict[int, int] = dataclasses.field(default_factory=dict)
    required_at: dict[int, int] = dataclasses.field(default_factory=dict)
    gp_at: dict[tuple[int, int], int] = dataclasses.field(default_factory=dict)
    z_at: dict[int, tuple[int, int]] = dataclasses.field(default_factory=dict)


def _proto(pats: Patterns, ix: PatternIndex, relaxed: np.ndarray) -> _Proto:
    """The model built once from the arrays, for both solvers' copies (``_load``).

    Setting coefficients one by one through pywraplp (a SWIG call each) was most of the model's
    building time: 1.5 million calls at region scale. The proto's repeated fields are filled with
    whole lists and each solver loads it in C++ (measured in docs/solvers.md).
    """
    proto = linear_solver_pb2.MPModelProto()  # minimising by default
    add_var = proto.variable.add
    # The quality objective (the last stage's, and the first MIP's of most daily matches) is loaded with the model.
    for r, pen in zip(relaxed.tolist(), pats.penalty.astype(float).tolist(), strict=True):
        add_var(lower_bound=0.0, upper_bound=1.0, is_integer=not r, objective_coefficient=pen)
    n = len(pats)
    multi = list(ix.by_multi_group.items())
    for _ in multi:
        add_var(lower_bound=0.0, upper_bound=1.0, is_integer=True)
    inf = math.inf

    def row(idx: list[int], coefs: list[float], lb: float, ub: float) -> int:
        ct = proto.constraint.add(lower_bound=lb, upper_bound=ub)
        ct.var_index.extend(idx)
        ct.coefficient.extend(coefs)
        return len(proto.constraint) - 1

    child_at, required_at, gp_at, z_at = {}, {}, {}, {}
    for r, idx in zip(ix.row_ids, ix.by_row, strict=True):  # each child lives in at most one home
        child_at[r] = row(idx, [1.0] * len(idx), -inf, 1.0)
    # a settled child the stability rule protects keeps a home
    for r, idx in zip(pats.required, ix.required, strict=True):
        required_at[r] = row(idx, [1.0] * len(idx), 1.0, inf)
    for key, idx in zip(ix.gp_keys, ix.by_group_place, strict=True):  # a group uses a home through one pattern
        gp_at[key] = row(idx, [1.0] * len(idx), -inf, 1.0)
    place_at: list[tuple[int, str, int]] = []
    for p, idx in ix.by_place.items():  # capacity, fostering limit, living alone
        size = int(pats.size[idx].sum())
        kinds = (["capacity"] if size > pats.capacity[p] else []) + ["limit"]
        for kind, (coefs, rhs) in zip(kinds, place_rows(pats, p, idx), strict=False):
            place_at.append((p, kind, row(list(coefs), [float(c) for c in coefs.values()], -inf, float(rhs))))
    extra_idx: list[int] = []
    extra_coef: list[float] = []
    for k, (g, idx) in enumerate(multi):  # extra homes = homes used - (group placed at all)
        z = n + k
        z_at[g] = (z, row([z, *idx], [1.0] + [-1.0] * len(idx), -inf, 0.0))  # z <= sum of its patterns
        extra_idx.extend(idx)
        extra_coef.extend([1.0] * len(idx))
        extra_idx.append(z)
        extra_coef.append(-1.0)
    emergency_idx = np.flatnonzero(pats.emergency).tolist()
    # Rows holding earlier tiers, slack until a stage sets them. A row free on both sides is dropped
    # when the proto loads, so each starts with one bound that always holds.
    holds_at = {
        "emergency": row(emergency_idx, pats.emergency[emergency_idx].astype(float).tolist(), 0.0, inf),
        "placed": row(list(range(n)), pats.size.astype(float).tolist(), 0.0, inf),
        "extra": row(extra_idx, extra_coef, -inf, float(n + 1)),
    }
    return _Proto(proto, holds_at, place_at, extra_idx, extra_coef, child_at, required_at, gp_at, z_at)


def _load(model: _Proto, pats: Patterns, n_rows: int, name: str, relax: bool) -> _Built:
    """One solver's copy of the model; with ``relax`` the LP relaxation, from a copy with every column continuous."""
    proto = model.proto
    if relax:
        proto = linear_solver_pb2.MPModelProto()
        proto.CopyFrom(model.proto)
        for v in proto.variable:
            v.is_integer = False
    s = pywraplp.Solver.CreateSolver(name)
    if s is None:  # pragma: no cover - all ship inside the ortools wheel
        raise RuntimeError(f"OR-Tools was built without {name}")
    error = s.LoadModelFromProto(proto)
    if error:  # pragma: no cover - the proto is built above
        raise RuntimeError(f"the model did not load: {error}; this is a bug")
    variables, constraints = s.variables(), s.constraints()
    w = variables[: len(pats)]
    we, wp, _ = tier_weights(n_rows)
    weighted = pats.size.astype(float) + (we // wp) * pats.emergency.astype(float)
    penalty_idx = np.flatnonzero(pats.penalty).tolist()
    objectives: dict[str, Terms] = {
        "placed": list(zip(w, weighted.tolist(), strict=True)),
        "homes": [(variables[i], c) for i, c in zip(model.extra_idx, model.extra_coef, strict=True)],
        "quality": [(w[i], float(pen)) for i, pen in zip(penalty_idx, pats.penalty[penalty_idx].tolist(), strict=True)],
    }
    holds = {k: constraints[v] for k, v in model.holds_at.items()}
    place_cons = [(p, kind, constraints[k]) for p, kind, k in model.place_at]
    return _Built(s, w, objectives, holds, place_cons, variables=variables)


def _response(solver: pywraplp.Solver) -> linear_solver_pb2.MPSolutionResponse:
    """The last solve's values and reduced costs in one call (one SWIG call per variable is slow)."""
    response = linear_solver_pb2.MPSolutionResponse()
    solver.FillSolutionResponseProto(response)
    return response


#: Back ends given the incumbent as a hint. OR-Tools 9.15's HiGHS crashes the process (a segmentation
#: fault) when a hint is set on the demo's daily windows, so HiGHS starts without one; every window
#: still holds the incumbent's columns, and the incumbent is kept when a window finds nothing better.
HINTED = frozenset({"scip"})


class MipModel:
    def __init__(self, pats: Patterns, n_rows: int, backend: str = "scip"):
        t0 = time.perf_counter()
        self.pats, self.backend, self.n_rows = pats, backend, n_rows
        self.ix = index_patterns(pats)
        self.relaxed = implied_integral(pats)
        self.proto = _proto(pats, self.ix, self.relaxed)
        self.cover_lp: dict[int, pywraplp.Constraint] = {}  # the LP copy's cover rows, per group
        self.colgen: _ColumnGeneration | None = None
        self.lp = _load(self.proto, pats, n_rows, "GLOP", relax=True)
        # A small model's MIP copy is made when a window first needs it (``mip``): branching on the LP
        # proves every daily bench instance without one, and SCIP's copy costs about 3 ms to load and
        # 2-4 ms to free. Larger models load it here, from the proto, as they always have.
        self._mip = None if len(pats) <= BRANCH_COLUMNS else _load(self.proto, pats, n_rows, SOLVERS[backend], False)
        self.window = np.ones(len(pats), dtype=bool)  # the MIP's columns with upper bound 1 (the last window)
        self.lp_solved_for: str | None = None  # the stage whose LP ``self.lp`` holds a solution of
        self.objective = ("quality", False)  # the stage's objective, the MIP copy's in ``_solve_window``
        #: Straight to the proof window, with the complete hint and ``SCIP_PARAMS`` (``DIRECT_PROOF_COLUMNS``);
        #: ``solve`` sets it.
        self.direct = False
        self.build_seconds = time.perf_counter() - t0

    @property
    def mip(self) -> _Built:
        """The MIP solver's copy of the model, made on first use from the LP's copy as it stands then.

        The LP's copy holds everything both copies were given since they were built (the cover rows,
        the holds' bounds, every column free): exported with the proto's integrality it is the same
        model, and it carries the LP's objective.
        """
        if self._mip is None:
            proto = linear_solver_pb2.MPModelProto()
            self.lp.solver.ExportModelToProto(proto)
            for v, built in zip(proto.variable, self.proto.proto.variable, strict=True):
                v.is_integer = built.is_integer
            self._mip = _load(
                dataclasses.replace(self.proto, proto=proto), self.pats, self.n_rows, SOLVERS[self.backend], False
            )
            self._mip.objective = self.lp.objective
        return self._mip

    def _copies(self) -> list[_Built]:
        """The solver copies made so far (a bound or row given to them reaches a later MIP copy through the LP's)."""
        return [self.lp] if self._mip is None else [self.lp, self._mip]

    def _lp(
        self, name: str, maximise: bool, deadline: float | None = None
    ) -> tuple[float, np.ndarray, np.ndarray] | None:
        """The stage's LP relaxation over every column: its value, the reduced costs and the values.

        Reduced costs are signed as the improvement per unit in the objective's direction (<= 0 at
        the LP optimum).
        """
        lp = self.lp
        self.lp_solved_for = None
        lp.set_objective(name, maximise)
        if deadline is not None:
            remaining = deadline - time.perf_counter()
            if remaining <= 0.05:
                return None
            lp.solver.SetTimeLimit(max(1, int(remaining * 1000)))
        code = lp.solver.Solve()
        if code != pywraplp.Solver.OPTIMAL:
            if deadline is not None and time.perf_counter() >= deadline - 0.1:
                return None  # out of time: the caller keeps what it holds
            raise RuntimeError(f"LP relaxation of stage {name} did not solve ({code})")  # pragma: no cover
        self.lp_solved_for = name
        response = _response(lp.solver)
        n = len(lp.w)
        d = np.array(response.reduced_cost[:n]) * (1.0 if maximise else -1.0)
        x = np.array(response.variable_value[:n])
        return lp.solver.Objective().Value(), d, x

    def multipliers(self, stage: str) -> Multipliers:
        """Stage ``stage``'s LP duals as non-negative multipliers in the "minimise" direction (``pricing``).

        When that LP was not solved (the stage ran out of time first) the multipliers are zero, which
        still gives a bound (a weak one); the solver's duals would belong to another stage's LP.

        OR-Tools' duals follow the objective's sense: for a minimisation a binding ``<=`` row has a
        dual <= 0 and a ``>=`` row one >= 0 (the other way round when maximising). Any dual of the
        wrong sign (a tolerance) is taken as 0, which keeps the bound valid.
        """
        lp = self.lp
        m = len(self.pats.capacity)
        cap, lim = np.zeros(m), np.zeros(m)
        if self.lp_solved_for != stage:
            return Multipliers(cap, lim)
        flip = -1.0 if lp.solver.Objective().maximization() else 1.0
        for p, kind, ct in lp.place_cons:
            (cap if kind == "capacity" else lim)[p] = max(0.0, -flip * ct.dual_value())
        required = np.zeros(self.n_rows)
        constraints = lp.solver.constraints()
        for r, k in self.proto.required_at.items():
            required[r] = max(0.0, flip * constraints[k].dual_value())
        return Multipliers(
            cap,
            lim,
            emergency=max(0.0, flip * lp.holds["emergency"].dual_value()),
            placed=max(0.0, flip * lp.holds["placed"].dual_value()),
            extra=max(0.0, -flip * lp.holds["extra"].dual_value()),
            required=required,
        )

    def _stage(
        self, name: str, maximise: bool, incumbent: np.ndarray | None, deadline: float, seed: int
    ) -> tuple[StageStats, np.ndarray | None, float, bool]:
        """One lexicographic stage; returns stats, chosen columns, objective value and whether proven.

        ``incumbent`` is a lawful proposal under the rows held so far, or None when there is none
        (then the chosen columns come back None if the MIP finds nothing in time).
        """
        t0 = time.perf_counter()
        lp_answer = self._lp(name, maximise, deadline)
        if lp_answer is None:
            log.debug("stage %s: no time left for its LP; keeping the incumbent", name)
            value = self._value(name, incumbent) if incumbent is not None else float("nan")
            bound = np.inf if maximise else -np.inf
            stats = StageStats(
                name, "FEASIBLE" if incumbent is not None else "NOT_FOUND", value, bound, 0.0, time.perf_counter() - t0
            )
            return stats, incumbent, value, False
        z_lp, d, x_lp = lp_answer
        log.debug("stage %s: LP %.1f in %.2f s", name, z_lp, time.perf_counter() - t0)
        eps = REL_EPS * max(1.0, abs(z_lp))
        sign = 1.0 if maximise else -1.0

        self.objective = (name, maximise)  # the MIP copy's, set when a window runs (the copy may not exist yet)
        tau = FIRST_TAU
        # The incumbent is lawful and its columns are always kept: start from its value, so a
        # time-limited MIP answer is taken only when it is at least as good.
        chosen, proven, status = incumbent, False, "FEASIBLE" if incumbent is not None else "NOT_FOUND"
        z_inc = self._value(name, incumbent) if incumbent is not None else -sign * np.inf
        if incumbent is not None and sign * (z_lp - z_inc) < 1.0 - eps:
            # The LP cannot beat the incumbent by a whole unit and objectives are integers: the
            # incumbent is optimal, no MIP needed (often so for tiers 1-2, which a greedy meets).
            log.debug("stage %s: incumbent %.1f meets the LP bound", name, z_inc)
            stats = StageStats(name, "OPTIMAL", float(z_inc), z_lp, 0.0, time.perf_counter() - t0)
            return stats, chosen, float(z_inc), True
        kept = np.zeros(len(d), dtype=bool)
        if incumbent is not None:
            kept[incumbent] = True
        best = z_lp  # the best bound on the full model known so far, in the objective's direction
        if chosen is not None and len(d) <= BRANCH_COLUMNS:
            # A few LPs with sibling-group columns fixed at 0 or 1 (``branch``) often prove a daily
            # match's incumbent where SCIP's windows took 45 ms (the demo: four LPs, no SCIP copy made).
            tree = branch(
                self.lp.solver,
                self.lp.w,
                ~self.relaxed,
                maximise,
                (z_lp, x_lp),
                z_inc,
                1.0 - 2 * eps,
                BRANCH_SOLVES,
                deadline,
            )
            if tree.solves and self.lp.solver.Solve() != pywraplp.Solver.OPTIMAL:
                # The root LP again, whose duals ``multipliers`` reads; out of time, there are none to read.
                self.lp_solved_for = None
            best = tree.bound
            if tree.whole is not None and sign * (self._value(name, tree.whole) - z_inc) > 1e-6:
                chosen, z_inc, status = tree.whole, self._value(name, tree.whole), "FEASIBLE"
                kept[:] = False
                kept[chosen] = True
            log.debug("stage %s: %d LPs branched, bound %.1f", name, tree.solves, tree.bound)
            if sign * (best - z_inc) < 1.0 - eps:
                stats = StageStats(name, "OPTIMAL", float(z_inc), float(best), 0.0, time.perf_counter() - t0)
                return stats, chosen, float(z_inc), True
        # A quick incumbent from the LP's own support (the columns it uses, plus the incumbent's):
        # a few thousand columns at most, so the MIP there takes a fraction of a second, and at
        # region scale it finds what a window over every column does not in minutes. On a daily
        # match the LP is nearly whole (a handful of fractional columns), so this MIP of a few dozen
        # columns often finds the optimum and the proof window below shrinks to a few columns or none.
        support = (x_lp > 1e-6) | kept
        # Not for a larger model that goes straight to the proof window (``direct``): that window starts
        # from the incumbent, hinted whole, and the support's MIP (0.1-0.2 s a stage on the city) saves it
        # less than it costs (score proven 3.16 -> 2.90 s without it, medians of 6 interleaved runs). A
        # daily match keeps it: there it often finds the LP's value, so no proof window runs at all.
        if support.sum() < len(d) and not (self.direct and chosen is not None and len(d) > BRANCH_COLUMNS):
            # Only an incumbent is wanted here (its bound proves nothing for the full model), so
            # this MIP may stop within OR-Tools' default 0.01% instead of proving its own optimum.
            code, found, value, _ = self._solve_window(
                name, support, deadline, seed, t0, "LP support", exact=False, absgap=1.0 - 2 * eps
            )
            if found is not None and sign * (value - z_inc) > 1e-6:
                chosen, z_inc, status = found, value, "FEASIBLE"
                kept[:] = False
                kept[chosen] = True
                if sign * (best - z_inc) < 1.0 - eps:
                    stats = StageStats(name, "OPTIMAL", float(z_inc), float(best), 0.0, time.perf_counter() - t0)
                    return stats, chosen, float(z_inc), True
        if chosen is not None:
            # Go straight to the proof window when it is small (the daily match: a few hundred
            # columns): the window of the first tau would cost a MIP solve and prove nothing.
            proof_tau = sign * (z_lp - z_inc) - 1.0 + 2 * eps
            small = max(PROOF_WINDOW_COLUMNS, 4 * int(np.count_nonzero(d >= -tau - eps)))
            if proof_tau > tau and (self.direct or np.count_nonzero(d >= -proof_tau - eps) <= small):
                tau = proof_tau
        for _attempt in range(MAX_WINDOWS):
            keep = (d >= -tau - eps) | kept
            code, found, value, w_bound = self._solve_window(
                name, keep, deadline, seed, t0, f"tau {tau:.1f}", chosen, absgap=1.0 - 2 * eps
            )
            if code is not None:
                # An answer using a dropped column is worth at most z_lp - tau (reduced-cost
                # fixing); one inside the window at most the window MIP's own bound. The weaker of
                # the two bounds the full model, even when the window MIP ran out of time.
                full = w_bound if keep.all() else sign * max(sign * w_bound, sign * z_lp - tau)
                best = sign * min(sign * best, sign * full)
            if code == pywraplp.Solver.INFEASIBLE and chosen is None and not keep.all():
                tau = np.inf  # no lawful answer in the window and none held: open every column
                continue
            if found is not None and sign * (value - z_inc) > 1e-6:
                chosen, z_inc, status = found, value, "FEASIBLE"
            if chosen is not None and sign * (best - z_inc) < 1.0 - eps:
                # Objectives are integers: nothing in the full model beats z_inc by a whole unit.
                proven, status = True, "OPTIMAL"
                break
            if found is None or code != pywraplp.Solver.OPTIMAL:
                break  # out of time, or no answer in time: keep the incumbent
            gap = sign * (z_lp - z_inc)  # how much better the LP is than the restricted optimum
            # Widen the window: four times as wide, and at most to exactly what fixing allows (that
            # solve, if it ends optimal, is the proof). Smaller windows first find better incumbents
            # cheaply, and every better incumbent narrows the window the proof needs.
            tau = min(gap - 1.0 + 2 * eps, max(4.0 * tau, 4.0 * FIRST_TAU))
            if np.count_nonzero(d >= -tau - eps) > WIDE_WINDOW * len(d):
                # A window this wide costs nearly what the whole model does, and the whole model
                # lets the MIP solver's own cuts and heuristics work on everything at once (on the
                # demo's whole cohort its answer was 1.4% better than a 21% window's in the same time).
                tau = gap - 1.0 + 2 * eps
        value = float(z_inc)
        stats = StageStats(name, status, value, float(best), 0.0, time.perf_counter() - t0)
        return stats, chosen, value, proven

    def _add_cover_rows(self) -> None:
        """Per sibling group: sum over its patterns of (size - 1) * w <= |g| - fewest homes.

        A group whose members can be housed in no fewer than F homes (``fewest_homes``) uses at
        least F - (members left without a home) homes, as leaving one member out lowers the fewest
        by at most one. With homes = sum w and members housed = sum size * w this is the row above,
        valid for every lawful answer. It stops the LP from splitting many groups by halves, which
        is what made tier 3 and the score hard to prove.
        """
        ix = self.ix
        for g, fewest in fewest_homes(self.pats, ix.by_multi_group).items():
            if fewest < 2:
                continue
            idx = ix.by_multi_group[g]
            rhs = len(self.pats.groups[g]) - fewest
            for built in self._copies():
                ct = built.solver.Constraint(-built.solver.infinity(), float(rhs))
                for i in idx:
                    if self.pats.size[i] > 1:
                        ct.SetCoefficient(built.w[i], float(self.pats.size[i] - 1))
                if built is self.lp:
                    self.cover_lp[g] = ct

    def column_generation(
        self, name: str, maximise: bool, elig: Eligibility, full: FullPairs, deadline: float
    ) -> ColgenStats:
        """Grow the LP copy by the admissible columns the pruned model left out that price out
        (``_ColumnGeneration``), solving the stage's LP until none does or ``deadline``."""
        if self.colgen is None:
            t0 = time.perf_counter()
            # The MIP copy is made from the LP's (``mip``): made now, before the LP grows, it is the pruned model.
            _ = self.mip
            self.colgen = _ColumnGeneration(self, elig, full, self.proto)
            log.debug("column generation: set up in %.2f s", time.perf_counter() - t0)
        return self.colgen.run(name, maximise, deadline)

    def _solve_window(
        self,
        name: str,
        keep: np.ndarray,
        deadline: float,
        seed: int,
        t0: float,
        label: str,
        hint: np.ndarray | None = None,
        exact: bool = True,
        absgap: float = 0.0,
    ) -> tuple[int | None, np.ndarray | None, float, float]:
        """The MIP over the kept columns only: (solver status or None when out of time, chosen
        columns or None when it found no answer, value, the MIP's bound over the kept columns).

        ``absgap`` (SCIP only): stop once the bound is within this of the answer. Objectives are
        integers, so a bound within ``1 - 2 eps`` already proves that nothing is a whole unit better;
        without it SCIP goes on pushing every open node's bound up to the answer itself. Measured:
        the demo's small windows end sooner; the whole cohort's 51-minute proof does not (docs/solvers.md).
        """
        mip = self.mip
        mip.set_objective(*self.objective)
        changed = np.flatnonzero(keep != self.window)  # one SWIG call per column whose bound changes
        if len(changed) == 0:
            # The window just solved, again (a small model's LP support can be its proof window, solved
            # now to a zero gap). MPSolver passes a model to SCIP only after a change, so SCIP would still
            # be in its solved stage, refuse the hint and report ABNORMAL: touching one bound makes it solve anew.
            changed = np.zeros(1, dtype=np.int64)
            mip.w[0].SetUb(0.0 if keep[0] else 1.0)
        for j, k in zip(changed.tolist(), keep[changed].tolist(), strict=True):
            mip.w[j].SetUb(1.0 if k else 0.0)
        self.window = keep.copy()
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            return None, None, float("nan"), float("nan")
        mip.solver.SetTimeLimit(max(1, int(remaining * 1000)))
        if self.backend == "scip":
            mip.solver.SetSolverSpecificParametersAsString(
                f"randomization/randomseedshift = {seed % 2**31}\nlimits/absgap = {max(absgap, 0.0):.6f}\n"
                + (SCIP_PARAMS if self.direct else "")
            )
        if hint is not None and self.backend in HINTED:
            if self.direct:
                mip.solver.SetHint(mip.variables, self._hint(hint))
            else:
                values = np.zeros(len(keep))
                values[hint] = 1.0
                mip.solver.SetHint(mip.w, values.tolist())
        code = mip.solver.Solve(exact_params()) if exact else mip.solver.Solve()
        log.debug(
            "stage %s: %s, %d of %d columns, %s (bound %.1f) in %.2f s",
            name,
            label,
            int(keep.sum()),
            len(keep),
            code,
            mip.solver.Objective().BestBound() if code in (0, 1) else float("nan"),
            time.perf_counter() - t0,
        )
        direction = 1.0 if mip.solver.Objective().maximization() else -1.0
        if code == pywraplp.Solver.INFEASIBLE:
            return code, None, float("nan"), -direction * np.inf  # nothing in the window at all
        if code not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return None, None, float("nan"), float("nan")
        bound = float(mip.solver.Objective().BestBound())
        if not np.isfinite(bound):  # no bound reported: exact when optimal, else nothing is known
            bound = float(mip.solver.Objective().Value()) if code == pywraplp.Solver.OPTIMAL else direction * np.inf
        values = np.array(_response(mip.solver).variable_value[: len(mip.w)])
        if np.any((values > 1e-6) & (values < 1.0 - 1e-6)):
            whole = self._whole(values, keep)
            if whole is None:  # the window's answer could not be made whole: as if it had found none
                return None, None, float("nan"), float("nan")
            values = whole
        chosen = np.flatnonzero(values > 0.5).astype(np.int64)
        value = self._value(name, chosen)
        return code, chosen, value, bound

    def _hint(self, chosen: np.ndarray) -> list[float]:
        """The values of every MIP column for the answer ``chosen``: its patterns at 1, and each group's
        "placed at all" variable z at 1 when the answer houses one of its members.

        A hint that leaves a variable out is a partial solution to SCIP, which runs its completion
        heuristic (a sub-MIP) before presolving; on the city's whole cohort that took about 1.2 s of the
        score's proof window, and every window paid it. With every variable given, SCIP checks the
        hint and takes it (docs/solvers.md, "The city score"). z at 1 is lawful whenever the group has a
        pattern in the answer (z <= sum of its patterns) and keeps the held extra homes where they are.
        """
        values = np.zeros(len(self.proto.proto.variable))
        values[chosen] = 1.0
        used = np.zeros(len(self.pats.groups), dtype=bool)
        used[self.pats.group[chosen]] = True
        for g, (z, _) in self.proto.z_at.items():
            values[z] = 1.0 if used[g] else 0.0
        result: list[float] = values.tolist()
        return result

    def _whole(self, values: np.ndarray, keep: np.ndarray) -> np.ndarray | None:
        """A whole answer at least as good as ``values``, whose relaxed columns may be fractional
        (None if the solver fails, which it never should: the caller keeps its incumbent).

        Fixes every other column at its (whole) value and solves again with the relaxed columns
        made whole: by ``implied_integral`` the LP over them has whole vertices, so this is one LP
        at the root and never worse than the answer held. The window's hint is dropped first: with
        columns fixed it may break their bounds, and SCIP then failed with an invalid call (region-s1
        in pieces of 1,200 children, 60 s: "re-solving with the sibling groups fixed failed (4)").
        """
        mip = self.mip
        for v, x, r in zip(mip.w, values.tolist(), self.relaxed.tolist(), strict=True):
            if r:
                v.SetInteger(True)
            else:
                v.SetBounds(round(x), round(x))
        mip.solver.SetHint([], [])
        mip.solver.SetTimeLimit(60_000)  # one LP with whole vertices; the limit is only a guard
        code = mip.solver.Solve(exact_params())
        solved = code in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE)
        whole = np.array([v.solution_value() for v in mip.w]) if solved else None
        for v, r, k in zip(mip.w, self.relaxed.tolist(), keep.tolist(), strict=True):
            if r:
                v.SetInteger(False)
            v.SetBounds(0.0, 1.0 if k else 0.0)
        if whole is None:
            log.warning("re-solving a window with the sibling groups fixed failed (%s); its answer is not used", code)
        return whole

    def _value(self, name: str, chosen: np.ndarray) -> float:
        """Objective of a set of patterns, computed from the arrays (not from a solver)."""
        pats = self.pats
        if name == "quality":
            return float(pats.penalty[chosen].sum())
        if name == "homes":
            return float(extra_homes(pats, chosen))
        we, wp, _ = tier_weights(self.n_rows)
        return float((we // wp) * pats.emergency[chosen].sum() + pats.size[chosen].sum())

    def solve(
        self,
        time_limit: float,
        workers: int,
        seed: int,
        start: np.ndarray | None = None,
        placed_bound: tuple[int, int] | None = None,
        pricing: tuple[Eligibility, FullPairs] | None = None,
        grow: bool = True,
    ) -> Solution:
        """Three lexicographic stages; ``start`` is a lawful proposal (pattern indices) to improve on.

        1. "placed": emergency children placed, then children placed (exact weights, n+1).
        2. "homes": fewest extra homes for split sibling groups, holding (1).
        3. "quality": the score, holding (1) and (2).

        ``placed_bound``: (emergency children, children) no lawful answer exceeds (``flows.tier_bound``,
        over every admissible pair); when ``start`` meets it, tiers (1)-(2) are proven and the first
        stage is skipped. ``pricing``: the eligibility and every admissible pair when the model holds
        only some of them (``candidates_per_setting``); the proofs and the score's bound then hold
        over every admissible pair (``pricing.lagrangian_bound``), not only the model's, priced from the
        duals of the homes and score LPs grown by the columns that price out (``_ColumnGeneration``).
        ``grow``: False prices them from the pruned LPs' duals only, and the score's stage keeps all its
        time (a match in pieces: its joined score has no whole-instance bound for the growth to serve).

        Each later stage holds each earlier tier with its own row, which for integer solutions is
        the same as holding their weighted sum and gives a tighter LP. Every stage also carries
        the cover rows of ``_add_cover_rows`` (a group needs at least the fewest homes that can
        take the members it houses), which keep the LP from splitting many groups by halves.
        """
        pats = self.pats
        deadline = time.perf_counter() + time_limit
        start = np.zeros(0, dtype=np.int64) if start is None else start

        def share(fraction: float) -> float:
            """A stage's own deadline: a fraction of the time left, so later stages get their turn."""
            now = time.perf_counter()
            return now + fraction * max(deadline - now, 0.0)

        self.direct = pricing is None and len(pats) <= DIRECT_PROOF_COLUMNS
        self._add_cover_rows()
        if placed_bound is not None and (int(pats.emergency[start].sum()), int(pats.size[start].sum())) == tuple(
            placed_bound
        ):
            value = self._value("placed", start)
            stage_p = StageStats("placed", "OPTIMAL", value, value, 0.0, 0.0)
            chosen, proven_p = start, True
            log.debug("stage placed: the flow start meets the flow bound %s", placed_bound)
        else:
            stage_p, found, _, proven_p = self._stage("placed", True, start, share(0.4), seed)
            chosen = start if found is None else found  # with an incumbent a stage always has an answer
        e_a = int(pats.emergency[chosen].sum())
        p_a = int(pats.size[chosen].sum())
        for built in self._copies():
            built.holds["emergency"].SetLb(e_a - 1e-6)
            built.holds["placed"].SetLb(p_a - 1e-6)
        # Tier 3: the start often meets the homes LP's bound (the cover rows make it exact on most
        # cohorts), and then no MIP is needed; otherwise the homes stage proper. Its LP is
        # degenerate (a lone child's homes all look alike to it), so its window is nearly every
        # column, but with lone children's columns continuous (``implied_integral``) SCIP proves
        # it at the root on the demo's whole cohort.
        stage_p_done = time.perf_counter()
        stage_h, found, _, proven_h = self._stage("homes", False, chosen, share(0.5), seed)
        chosen = chosen if found is None else found
        x_a = extra_homes(pats, chosen)
        if pricing is not None:
            # The pruned model's proofs say nothing of the pairs it was not given: tiers (1)-(2) are
            # proven over every admissible pair only by the flow bound, tier (3) by pricing, from the
            # duals of the homes LP grown by the columns that price out (column generation).
            proven_p = placed_bound is not None and (e_a, p_a) == tuple(placed_bound)
            elig, full = pricing
            t_priced = time.perf_counter()
            pruned_h = lagrangian_bound(elig, pats, full, "homes", self.multipliers("homes"), (e_a, p_a, 0.0))
            cg: ColgenStats | str = "no growth (not asked for)"
            grown_h = -np.inf
            if grow:
                cg = self.column_generation("homes", False, elig, full, share(COLGEN_SHARE))
                assert cg.multipliers is not None
                grown_h = lagrangian_bound(elig, pats, full, "homes", cg.multipliers, (e_a, p_a, 0.0))
            homes_bound = max(pruned_h, grown_h)  # each is a bound; the grown LP's is the stronger as a rule
            proven_h = bool(x_a <= np.ceil(homes_bound - 1e-6))
            log.debug(
                "stage homes: bound over every admissible pair %.2f from the pruned LP's duals, %.2f after %s"
                " (pruned model %.2f)",
                pruned_h,
                grown_h,
                cg,
                stage_h.bound,
            )
            # Pricing and column generation count as the stage's solving (the bench's "solve s").
            stage_h = dataclasses.replace(stage_h, solve_seconds=stage_h.solve_seconds + time.perf_counter() - t_priced)
        stage_h_done = time.perf_counter()
        for built in self._copies():
            built.holds["extra"].SetUb(x_a + 1e-6)
        # The score's stage works on the pruned model; its bound is grown after, in what the stage leaves
        # (region-s1: it proves the pruned model's optimum at about 57 s of 120) and at least a reserve
        # of SCORE_ROUNDS rounds as long as the homes LP's took, at most COLGEN_SHARE of the time left;
        # when that share cannot hold two such rounds (region-6k: a round of 6.7 s and 9 s left) the
        # stage keeps the whole of its time and the bound is priced from the pruned LP's duals.
        grow_score, stage_deadline = False, deadline
        if self.colgen is not None and isinstance(cg, ColgenStats):
            self.colgen.grow(False)
            per_round = cg.seconds / max(cg.rounds, 1)
            left = deadline - time.perf_counter()
            grow_score = COLGEN_SHARE * left >= 2.0 * per_round
            if grow_score:
                stage_deadline = deadline - min(COLGEN_SHARE * left, SCORE_ROUNDS * per_round)
        stage_b, found_b, value_b, proven_b = self._stage("quality", False, chosen, stage_deadline, seed)
        chosen_b = chosen if found_b is None else found_b
        proven_at: dict[str, float] = {}
        if proven_p:
            proven_at["tiers_1_2"] = stage_p_done
        if proven_p and proven_h:
            proven_at["tier_3"] = stage_h_done
        if proven_b:
            bound = int(round(value_b))
        elif np.isfinite(stage_b.bound):
            bound = int(np.ceil(stage_b.bound - 1e-6))
        else:
            bound = 0  # no LP in time: every penalty is >= 0, the only bound known
        if pricing is not None:
            levels = (e_a, p_a, float(x_a))
            t_priced = time.perf_counter()
            pruned_b = lagrangian_bound(elig, pats, full, "quality", self.multipliers("quality"), levels)
            grown_b = -np.inf
            if grow_score:
                cg = self.column_generation("quality", False, elig, full, deadline)
                assert cg.multipliers is not None
                grown_b = lagrangian_bound(elig, pats, full, "quality", cg.multipliers, levels)
            priced = max(pruned_b, grown_b)
            log.debug(
                "stage quality: bound over every admissible pair %.1f from the pruned LP's duals, %.1f after %s"
                " (pruned model %d)",
                pruned_b,
                grown_b,
                cg if grow_score else "no growth (too little time left)",
                bound,
            )
            stage_b = dataclasses.replace(stage_b, solve_seconds=stage_b.solve_seconds + time.perf_counter() - t_priced)
            bound = min(bound, max(0, int(np.ceil(priced - 1e-6 * max(1.0, abs(priced))))))
            proven_b = bool(proven_b and bound >= int(round(value_b)))
        if proven_p and proven_h and proven_b:
            proven_at["score"] = time.perf_counter()
        sol = make_solution(
            pats, chosen_b, proven_p and proven_h, proven_b, bound, (stage_p, stage_h, stage_b), self.backend
        )
        return dataclasses.replace(sol, proven_at=proven_at)


#: Share of the time left that column generation may take, for the homes LP and again for the score's.
COLGEN_SHARE = 0.3
#: Rounds of the homes LP's length kept back from the score's stage for growing the score's LP.
SCORE_ROUNDS = 6.0
#: Rounds in a row without the LP value moving after which column generation stops.
STALL_ROUNDS = 3
#: Columns added per sibling group (a lone child is a group of one) in one round of column generation.
COLUMNS_PER_GROUP = 2


@dataclass
class ColgenStats:
    """What column generation did for one stage's LP."""

    stage: str
    value: float  # the last LP value (the LP over every admissible pair when ``converged``)
    rounds: int
    added: int
    converged: bool  # no admissible column left out prices out
    seconds: float
    #: The multipliers of the last LP solved (zeros when none was): a later LP cut short by the time limit leaves none.
    multipliers: Multipliers | None = dataclasses.field(default=None, repr=False)


class _ColumnGeneration:
    """The LP copy of a pruned model (``MipModel.lp``), grown by the admissible columns its duals price out.

    Columns enter the LP only (the MIP copy and the pattern arrays keep the pruned model), each in
    every row it belongs to; a row the pruned model left out because it could not bind (a child
    with one column, a (group, home) with one pattern, a home with room for all its columns) is
    made when a new column needs it. The cover rows are set from the fewest homes over every
    admissible pair, so when no column prices out the LP is the LP of the model over every
    admissible pair (``tests/test_colgen.py`` checks it against the unpruned model's).
    """

    def __init__(self, model: MipModel, elig: Eligibility, full: FullPairs, proto: _Proto):
        lp, pats = model.lp, model.pats
        self.model, self.elig, self.full = model, elig, full
        solver = lp.solver
        cons, variables = solver.constraints(), solver.variables()
        self.child = {r: cons[i] for r, i in proto.child_at.items()}
        self.required = {r: cons[i] for r, i in proto.required_at.items()}
        self.gp = {key: cons[i] for key, i in proto.gp_at.items()}
        self.z = {g: (variables[v], cons[c]) for g, (v, c) in proto.z_at.items()}
        self.place = {(p, kind): ct for p, kind, ct in lp.place_cons}
        self.cover = dict(model.cover_lp)
        n_rows, m = full.admissible.shape
        self.vars_of_row: dict[int, list[pywraplp.Variable]] = {}
        self.vars_of_gp: dict[tuple[int, int], list[pywraplp.Variable]] = {}
        self.vars_at: dict[int, list[tuple[pywraplp.Variable, int, bool]]] = {}
        self.vars_of_group: dict[int, list[tuple[pywraplp.Variable, int]]] = {}
        self.have_single = np.zeros((n_rows, m), dtype=bool)
        self.have_group: set[tuple[int, int, int]] = set()
        self.multi = {g for g, rows in enumerate(pats.groups) if len(rows) > 1}
        self.bit = {r: 1 << i for rows in pats.groups for i, r in enumerate(rows)}
        for v, g, p, members, size, excl in zip(
            lp.w,
            pats.group.tolist(),
            pats.place.tolist(),
            pats.members,
            pats.size.tolist(),
            pats.exclusive.tolist(),
            strict=True,
        ):
            self._index(v, g, p, members, size, excl)
        self.added = 0
        # The cover rows over every admissible pair: a pruned model's fewest homes may be too many.
        self.welfare = protected_welfare(elig, full)
        fewest = fewest_homes_full(elig, full, self.welfare)
        #: Per cover row: its right-hand side in the pruned model and over every admissible pair.
        self.cover_rhs: dict[int, tuple[float, float]] = {}
        for g in sorted(self.multi):
            rhs = float(len(pats.groups[g]) - fewest.get(g, 1)) if fewest.get(g, 1) >= 2 else solver.infinity()
            if g in self.cover:
                self.cover_rhs[g] = (self.cover[g].ub(), rhs)
            elif rhs < solver.infinity():
                ct = solver.Constraint(-solver.infinity(), solver.infinity())
                for v, size in self.vars_of_group.get(g, []):
                    if size > 1:
                        ct.SetCoefficient(v, float(size - 1))
                self.cover[g] = ct
                self.cover_rhs[g] = (solver.infinity(), rhs)
        self.new_vars: list[pywraplp.Variable] = []  # the columns added (and z of groups that had none)
        self.grown = False

    def grow(self, on: bool) -> None:
        """Switch the LP between the model over every admissible pair found so far (``on``) and the
        pruned model (the added columns held at 0, the pruned cover rows), which the stages' windows
        and reduced-cost fixing are about."""
        if on == self.grown:
            return
        self.grown = on
        for v in self.new_vars:
            v.SetUb(1.0 if on else 0.0)
        for g, (pruned, every) in self.cover_rhs.items():
            self.cover[g].SetUb(every if on else pruned)

    def _index(self, v: pywraplp.Variable, g: int, p: int, members: tuple[int, ...], size: int, excl: bool) -> None:
        for r in members:
            self.vars_of_row.setdefault(r, []).append(v)
        self.vars_of_gp.setdefault((g, p), []).append(v)
        self.vars_at.setdefault(p, []).append((v, size, excl))
        self.vars_of_group.setdefault(g, []).append((v, size))
        if g in self.multi:
            self.have_group.add((g, sum(self.bit[r] for r in members), p))
        else:
            self.have_single[members[0], p] = True

    def duals(self) -> Duals:
        lp = self.model.lp
        y = np.array(_response(lp.solver).dual_value)
        n_rows, m = self.full.admissible.shape
        row = np.zeros(n_rows)
        for r, ct in self.child.items():
            row[r] += y[ct.index()]
        for r, ct in self.required.items():
            row[r] += y[ct.index()]
        cap, lim = np.zeros(m), np.zeros(m)
        for (p, kind), ct in self.place.items():
            (cap if kind == "capacity" else lim)[p] = y[ct.index()]
        group_place: dict[int, dict[int, float]] = {}
        for (g, p), ct in self.gp.items():
            group_place.setdefault(g, {})[p] = float(y[ct.index()])
        return Duals(
            row,
            cap,
            lim,
            group_place,
            {g: float(y[ct.index()]) for g, (_, ct) in self.z.items()},
            {g: float(y[ct.index()]) for g, ct in self.cover.items()},
            float(y[lp.holds["emergency"].index()]),
            float(y[lp.holds["placed"].index()]),
            float(y[lp.holds["extra"].index()]),
        )

    def add(self, columns: list[Column]) -> None:
        """Each column into every row it belongs to, making the rows it needs."""
        lp = self.model.lp
        solver = lp.solver
        inf = solver.infinity()
        we, wp, _ = tier_weights(self.model.n_rows)
        current = lp.objective[0]
        objective = solver.Objective()
        for col in columns:
            size = len(col.members)
            p, g = col.place, col.group
            v = solver.NumVar(0.0, 1.0, "")
            self.new_vars.append(v)
            coefs = {"placed": float(size + (we // wp) * col.emergency), "quality": float(col.penalty)}
            if g in self.multi:
                coefs["homes"] = 1.0
            for name, c in coefs.items():
                if c:
                    lp.objectives[name].append((v, c))
            if coefs.get(current):
                objective.SetCoefficient(v, coefs[current])
            for r in col.members:
                if r in self.child:
                    self.child[r].SetCoefficient(v, 1.0)
                elif self.vars_of_row.get(r):
                    ct = solver.Constraint(-inf, 1.0)
                    for u in self.vars_of_row[r]:
                        ct.SetCoefficient(u, 1.0)
                    ct.SetCoefficient(v, 1.0)
                    self.child[r] = ct
                if r in self.required:
                    self.required[r].SetCoefficient(v, 1.0)
            if g in self.multi:
                if (g, p) in self.gp:
                    self.gp[(g, p)].SetCoefficient(v, 1.0)
                elif self.vars_of_gp.get((g, p)):
                    ct = solver.Constraint(-inf, 1.0)
                    for u in self.vars_of_gp[(g, p)]:
                        ct.SetCoefficient(u, 1.0)
                    ct.SetCoefficient(v, 1.0)
                    self.gp[(g, p)] = ct
                if g not in self.z:
                    z = solver.NumVar(0.0, 1.0, "")
                    self.new_vars.append(z)
                    ct = solver.Constraint(-inf, 0.0)
                    ct.SetCoefficient(z, 1.0)
                    for u, _ in self.vars_of_group.get(g, []):
                        ct.SetCoefficient(u, -1.0)
                    self.z[g] = (z, ct)
                    lp.holds["extra"].SetCoefficient(z, -1.0)
                    lp.objectives["homes"].append((z, -1.0))
                    if current == "homes":
                        objective.SetCoefficient(z, -1.0)
                self.z[g][1].SetCoefficient(v, -1.0)
                lp.holds["extra"].SetCoefficient(v, 1.0)
                if g in self.cover and size > 1:
                    self.cover[g].SetCoefficient(v, float(size - 1))
            if col.emergency:
                lp.holds["emergency"].SetCoefficient(v, float(col.emergency))
            lp.holds["placed"].SetCoefficient(v, float(size))
            self._index(v, g, p, col.members, size, col.exclusive)
            self._place_rows(p, v, size, col.exclusive)
            self.added += 1

    def _place_rows(self, p: int, v: pywraplp.Variable, size: int, excl: bool) -> None:
        """Home ``p``'s capacity and limit rows, with ``v`` (already indexed) in them; made when first needed."""
        lp, pats = self.model.lp, self.model.pats
        solver = lp.solver
        cap, lim = int(pats.capacity[p]), int(pats.limit[p])
        at = self.vars_at[p]
        total = sum(s for _, s, _ in at)
        if (p, "capacity") in self.place:
            self.place[(p, "capacity")].SetCoefficient(v, float(size))
        elif total > cap:
            ct = solver.Constraint(-solver.infinity(), float(cap))
            for u, s, _ in at:
                ct.SetCoefficient(u, float(s))
            self.place[(p, "capacity")] = ct
            lp.place_cons.append((p, "capacity", ct))
        if (p, "limit") in self.place:
            self.place[(p, "limit")].SetCoefficient(v, float(lim if excl else size))
        elif total > lim or any(x for _, _, x in at):
            ct = solver.Constraint(-solver.infinity(), float(lim))
            for u, s, x in at:
                ct.SetCoefficient(u, float(lim if x else s))
            self.place[(p, "limit")] = ct
            lp.place_cons.append((p, "limit", ct))

    def run(self, name: str, maximise: bool, deadline: float) -> ColgenStats:
        """Solve the stage's LP, add the columns that price out, again, until none does or time is up.

        The LP is left solved with the last duals (``MipModel.multipliers`` then reads them), unless
        the time ran out during a solve (then ``multipliers`` gives zeros, still a bound)."""
        t0 = time.perf_counter()
        last = self.model.multipliers(name)  # zeros unless the stage's LP is solved already
        self.grow(True)
        we, wp, _ = tier_weights(self.model.n_rows)
        rounds, value, converged = 0, float("nan"), False
        best, stalled = np.inf, 0
        while True:
            answer = self.model._lp(name, maximise, deadline)
            if answer is None:
                break
            value = answer[0]
            last = self.model.multipliers(name)
            rounds += 1
            tol = 1e-7 * max(1.0, abs(value))
            # Degenerate rounds (columns price out but the LP value does not move) end the growth
            # after STALL_ROUNDS: the bound is priced from the duals whatever they are.
            improved = (-value if maximise else value) < best - tol
            best, stalled = (min(best, -value if maximise else value), 0 if improved else stalled + 1)
            if stalled >= STALL_ROUNDS:
                break
            t_lp = time.perf_counter()
            columns = priced_columns(
                self.elig,
                self.full,
                name,
                maximise,
                float(we // wp),
                self.duals(),
                self.have_single,
                self.have_group,
                COLUMNS_PER_GROUP,
                tol,
                self.welfare,
            )
            log.debug(
                "stage %s: column generation round %d, LP %.3f, %d columns price out (%.2f s; pricing %.2f s)",
                name,
                rounds,
                value,
                len(columns),
                time.perf_counter() - t0,
                time.perf_counter() - t_lp,
            )
            if not columns:
                converged = True
                break
            if time.perf_counter() >= deadline:
                break
            self.add(columns)
        return ColgenStats(name, value, rounds, self.added, converged, time.perf_counter() - t0, last)
