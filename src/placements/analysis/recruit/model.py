"""The recruitment MIP: which candidate households to open, with the engine's own columns deciding who lives where.

The engine's pattern model (``placements.model.patterns``: one binary ``w`` per sibling subset and
home, with its capacity, fostering-limit and living-alone rows) is built over today's places plus
every candidate household, and extended with one binary ``y_h`` per candidate household:

- ``w_i <= y_h`` for every pattern at candidate ``h`` (nobody lives in a household not recruited);
- ``y_(p,k) >= y_(p,k+1)`` for the copies of one profile (copies are identical; this removes symmetry,
  so a mix is just a count per profile);
- the engine's first three tiers (emergency children placed, children placed, fewest extra homes for split
  sibling groups, with ``z_g`` per sibling group as in the engine's model) are held at today's level at
  least, ``(n+1)^2 * emergency + (n+1) * placed - extra homes >= today's``, since a match with more homes
  never does worse; and after the engine answers a mix, at its level for every mix containing it
  (``floor_above``). Modelling tier 3 keeps the search from proposing mixes on which the engine would split
  more sibling groups than it must (issue 14 item 8);
- target mode: the target's rows (``targets.py``) as equalities, minimise the mix's cost;
- budget mode: the mix's cost within the budget, maximise the children and groups meeting the targets.

Any proposal the ordinary engine makes on today's places plus a mix is a feasible ``w`` here for that
mix, so the MIP's optimum bounds what any mix can do; ``plan.py`` asks the engine to confirm each
proposed mix and cuts off mixes it does not confirm (``exclude``). Costs are whole pounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.linear_solver import pywraplp

from placements.analysis.recruit.profiles import Candidate
from placements.analysis.recruit.targets import FAMILY_AGE, Target
from placements.codes import Setting
from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.model.patterns import build_patterns, index_patterns, place_rows
from placements.model.solution import tier_weights
from placements.policy import Policy


@dataclass(frozen=True)
class Proposal:
    status: str  # OPTIMAL, FEASIBLE (time limit) or INFEASIBLE
    households: tuple[int, ...]  # indices into the candidate list
    value: float  # the MIP objective of ``households``, in the maximising direction
    bound: float  # no mix left can do better than this


class RecruitModel:
    """Build once; ``solve`` repeatedly, cutting off mixes with ``exclude``."""

    def __init__(
        self,
        base: Instance,
        candidates: list[Candidate],
        policy: Policy,
        targets: tuple[Target, ...],
        floor: tuple[int, int, int],
        budget: float | None,
        horizon_weeks: int,
        mode: str,
        settled: dict[str, str] | None = None,
    ) -> None:
        self.candidates = candidates
        self.mode = mode
        full = base.replace(places=base.places + tuple(c.place for c in candidates))
        as_of = policy.as_of_date()
        elig = Eligibility(full, policy, make_scope(full, whole_cohort=False, settled=settled), as_of)
        pats = build_patterns(elig)
        self.patterns = len(pats)
        s = pywraplp.Solver.CreateSolver("SCIP")
        if s is None:  # pragma: no cover - SCIP ships inside the ortools wheel
            raise RuntimeError("OR-Tools was built without SCIP")
        self.solver = s
        w = [s.BoolVar(f"w{i}") for i in range(len(pats))]
        y = [s.BoolVar(f"y{h}") for h in range(len(candidates))]
        self.y = y
        ix = index_patterns(pats)
        for idx in ix.by_row:
            s.Add(s.Sum([w[i] for i in idx]) <= 1)
        for idx in ix.required:  # a settled mover the stability rule protects keeps a home
            s.Add(s.Sum([w[i] for i in idx]) >= 1)
        for idx in ix.by_group_place:
            s.Add(s.Sum([w[i] for i in idx]) <= 1)
        for p, idx in ix.by_place.items():
            for coefs, rhs in place_rows(pats, p, idx):
                s.Add(s.Sum([c * w[i] for i, c in coefs.items()]) <= rhs)
        n_base = len(base.places)
        for i, p in enumerate(pats.place.tolist()):  # patterns at candidate households need the household
            if p >= n_base:
                s.Add(w[i] <= y[p - n_base])
        for h in range(1, len(candidates)):
            if candidates[h].profile.name == candidates[h - 1].profile.name:
                s.Add(y[h] <= y[h - 1])

        n = len(elig.kids)
        e0, p0, x0 = floor
        emergency = s.Sum([int(e) * w[i] for i, e in enumerate(pats.emergency.tolist()) if e])
        placed = s.Sum([int(k) * w[i] for i, k in enumerate(pats.size.tolist())])
        extra_terms: list[Any] = []
        for g, idx in ix.by_multi_group.items():  # extra homes = homes a group uses - (group placed at all)
            z = s.BoolVar(f"z{g}")
            s.Add(z <= s.Sum([w[i] for i in idx]))
            extra_terms.extend(w[i] for i in idx)
            extra_terms.append(-z)
        extra = s.Sum(extra_terms)
        self.weights = tier_weights(n)
        we, wp, wx = self.weights
        self.tiers = we * emergency + wp * placed - wx * extra
        s.Add(self.tiers >= we * e0 + wp * p0 - wx * x0)
        self.n_rows = n

        # What each target asks of the rows in scope.
        members = pats.members
        foster = np.array([pl.setting is Setting.FOSTER for pl in full.places], dtype=bool)
        by_row: dict[int, list[int]] = {}
        for i, m in enumerate(members):
            for r in m:
                by_row.setdefault(r, []).append(i)
        # Each term: (target, child ids, patterns whose sum is 1 when that child or group meets the target).
        raw: list[tuple[Target, tuple[str, ...], list[int]]] = []
        ids = [c.child_id for c in elig.kids]
        for t in targets:
            if t is Target.ALL_PLACED:
                raw.extend((t, (ids[r],), by_row.get(r, [])) for r in range(n))
            elif t is Target.NO_UNDER12_RESIDENTIAL:
                for r in range(n):
                    if elig.ages[r] < FAMILY_AGE:
                        raw.append((t, (ids[r],), [i for i in by_row.get(r, []) if foster[pats.place[i]]]))
            else:
                for g, rows in enumerate(pats.groups):
                    if len(rows) > 1:
                        full_size = [i for i in np.flatnonzero(pats.group == g).tolist() if pats.size[i] == len(rows)]
                        raw.append((t, tuple(ids[r] for r in rows), full_size))
        # A child or group no home of today's and no profile could ever serve is beyond every mix: left out
        # of the target (and reported), so the search is about what recruiting can change.
        self.beyond: list[tuple[Target, tuple[str, ...]]] = [(t, who) for t, who, idx in raw if not idx]
        terms = [idx for _, _, idx in raw if idx]
        self.terms = len(terms)
        weight = len(candidates) + 1
        self.cost = [int(round(c.cost(horizon_weeks))) for c in candidates]
        cost_term = s.Sum([(self.cost[h] * weight + 1) * y[h] for h in range(len(candidates))])
        if mode == "target":
            for idx in terms:
                s.Add(s.Sum([w[i] for i in idx]) == 1)
            s.Maximize(-cost_term)
        else:
            if budget is not None:
                s.Add(s.Sum([self.cost[h] * y[h] for h in range(len(candidates))]) <= budget)
            self.big = sum(c * weight + 1 for c in self.cost) + 1
            met = s.Sum([w[i] for idx in terms for i in idx])
            s.Maximize(self.big * met - cost_term)
        self.weight = weight

    def value_of(self, households: tuple[int, ...], met: int) -> float:
        """The objective a mix earns when the engine's proposal meets ``met`` target terms."""
        cost = sum(self.cost[h] * self.weight + 1 for h in households)
        return float(-cost if self.mode == "target" else self.big * met - cost)

    def solve(self, time_limit: float, seed: int) -> Proposal:
        s = self.solver
        s.SetTimeLimit(max(1, int(time_limit * 1000)))
        s.SetSolverSpecificParametersAsString(f"randomization/randomseedshift = {seed % 2**31}\n")
        code = s.Solve()
        if code == pywraplp.Solver.INFEASIBLE:
            return Proposal("INFEASIBLE", (), float("-inf"), float("-inf"))
        if code not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return Proposal("NOT_SOLVED", (), float("-inf"), float("inf"))
        chosen = tuple(h for h, v in enumerate(self.y) if v.solution_value() > 0.5)
        value = s.Objective().Value()
        if code == pywraplp.Solver.OPTIMAL:
            return Proposal("OPTIMAL", chosen, value, value)
        return Proposal("FEASIBLE", chosen, value, s.Objective().BestBound())

    def floor_above(self, households: tuple[int, ...], emergency: int, placed: int, extra: int) -> None:
        """The engine's tiers 1-3 with ``households``; with any mix containing them it does at least as well
        (more homes never lower the lexicographic optimum of tiers 1-3), so the MIP must too. Cuts off the
        supersets of a rejected mix whose MIP answer places fewer children, or splits more sibling groups, than
        the engine would."""
        s, y = self.solver, self.y
        we, wp, wx = self.weights
        level = we * emergency + wp * placed - wx * extra
        s.Add(self.tiers >= level - level * s.Sum([1 - y[h] for h in households]))

    def exclude(self, households: tuple[int, ...]) -> None:
        """No-good cut: never propose exactly this mix again."""
        s, y = self.solver, self.y
        inside = set(households)
        s.Add(s.Sum([(1 - y[h]) if h in inside else y[h] for h in range(len(y))]) >= 1)
