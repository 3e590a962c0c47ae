"""``match(instance, policy) -> MatchResult``: the one solve entry point."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from placements.eligibility import Eligibility, make_scope
from placements.errors import InputError, Problem
from placements.instance import Instance
from placements.model.flows import bundled_flow, children_first, groups_first, groups_first_pairs, tier_bound
from placements.model.greedy import greedy_rows, group_greedy, rows_to_patterns
from placements.model.mip import MipModel
from placements.model.patterns import Patterns, build_patterns, expresses
from placements.model.pricing import FullPairs, full_pairs
from placements.model.score_bound import piece_table
from placements.model.solution import Solution, extra_homes, make_solution
from placements.policy import Policy
from placements.result import MatchResult, SolverStats, build_result
from placements.validate import check_held

if TYPE_CHECKING:
    from placements.model.cpsat import CpSatModel


#: What a bound covers when only the model's pairs were priced (CP-SAT with ``candidates_per_setting``).
PRUNED_SCOPE = "the model's pairs only (the K nearest homes per setting and the starts' homes)"
#: A model of at most this many columns (a daily match: 740-920) also starts from ``groups_first``. On the
#: five daily bench instances it is the best start: its score is 0-7.6% above the optimum against 0.3-7.7%
#: for ``group_greedy``, which narrows the quality stage's proof window (daily-s3: optimal, no MIP at all).
#: Larger unpruned models (a city's whole cohort) keep the starts their time-limited figures were measured with.
SMALL_MODEL = 2000


def _solve(
    elig: Eligibility, policy: Policy, t0: float, grow: bool = True
) -> tuple[Patterns, Solution, float, FullPairs | None]:
    """Build the model, run the chosen back end from the best lawful start; with no pattern the empty
    proposal is optimal.

    ``policy.time_limit_seconds`` counts from ``t0``, the start of ``match``: pairs, the starts and
    the model's building are inside it (at England's size they are a fifth of each piece's time).
    With ``candidates_per_setting`` the model holds each child's K nearest homes per setting plus the
    pairs of a flow start found over every admissible pair, and every bound is priced over all of them.
    """
    n_rows = len(elig.kids)
    pruned = policy.candidates_per_setting is not None and not bool(np.array_equal(elig.candidates, elig.admissible))
    # Every admissible pair with its penalty, when the model holds only some of them: for starts and pricing.
    full = full_pairs(elig) if pruned else None
    placed_bound = tier_bound(elig)
    emergency = elig.emergency()
    extra = None
    wide: list[dict[int, int]] = []
    tiers_proven_at = None
    if full is not None:
        # A bundled flow places as many (emergencies first) as a plain one, so one that meets the
        # bound proves tiers (1)-(2) here, before any model is built, when the model will express it.
        bundled = bundled_flow(elig, full, fix_exclusive=False)
        if (int(emergency[list(bundled)].sum()), len(bundled)) == placed_bound and expresses(elig, bundled):
            tiers_proven_at = time.perf_counter()
        wide = [bundled, groups_first_pairs(elig, full)]
        r = np.array([x for h in wide for x in sorted(h)], dtype=np.int64)
        p = np.array([h[x] for h in wide for x in sorted(h)], dtype=np.int64)
        new = np.zeros(elig.candidates.shape, dtype=bool)
        new[r, p] = True
        new &= ~elig.candidates
        r, p = np.nonzero(new)
        extra = (r, p, full.penalty[r, p])
    pats = build_patterns(elig, extra)
    if len(pats) == 0:
        sol = make_solution(pats, np.zeros(0, dtype=np.int64), True, True, 0, (), policy.backend)
        now = time.perf_counter()
        proven = {"tiers_1_2": now, "tier_3": now, "score": now}
        return pats, dataclasses.replace(sol, proven_at=proven, tiers_bound=placed_bound), 0.0, full
    # A flow start counts only when the model can express it and it keeps every protected settled
    # child in a home (the stability rule; the flows know neither rule). Pruned (region, pieces): the
    # flow starts over every admissible pair are among the proposals.
    flow_starts = [x for x in (_lawful(pats, home) for home in wide) if x is not None]
    # Unpruned (a daily match, a city's whole cohort): the first stage starts from the greedy
    # proposals, whose LP-guided MIP answer is a better start for tiers (3)-(4) than a flow's (city:
    # 110,004 against 110,718 after 120 s, measured side by side). Pruned (region, pieces): starts over
    # every admissible pair. Either way the placed stage is skipped when the start meets the flows'
    # bound (every daily bench instance: one LP fewer).
    # Protected settled children must keep a home (and may move only where a pattern allows): the
    # greedy start has them stay where they live.
    greedy = greedy_rows(elig, "hardest", stay=bool(pats.required))
    proposals = [rows_to_patterns(pats, greedy), group_greedy(pats)]
    if pruned or len(pats) <= SMALL_MODEL:
        proposals.append(rows_to_patterns(pats, groups_first(pats, emergency, n_rows)))
    if pruned:
        proposals += flow_starts
    start = _best_start(pats, proposals)
    if not pruned and _tiers(pats, start) != placed_bound:
        # Unpruned, a flow start is made only when the start falls short of the bound (each daily
        # bench instance's meets it): it may prove tiers (1)-(2), and it is the fallback below.
        flow_starts = [x for x in [_lawful(pats, children_first(elig))] if x is not None]
    # Any lawful answer that meets the flows' bound proves tiers (1)-(2) (the bundled flow may have, above).
    if tiers_proven_at is None and any(_tiers(pats, x) == placed_bound for x in [start, *flow_starts]):
        tiers_proven_at = time.perf_counter()
    if policy.backend == "cpsat":
        from placements.model.cpsat import CpSatModel  # imported only when chosen: ~60 ms at start-up

        model: CpSatModel | MipModel = CpSatModel(pats, n_rows)
    else:
        model = MipModel(pats, n_rows, policy.backend)
    remaining = max(0.0, policy.time_limit_seconds - (time.perf_counter() - t0))
    if isinstance(model, MipModel):
        pricing = (elig, full) if full is not None else None
        sol = model.solve(remaining, policy.workers, policy.seed, start, placed_bound, pricing, grow)
        best_flow = _best_start(pats, flow_starts) if flow_starts else None
        flow_tiers = _tiers(pats, best_flow) if best_flow is not None else (0, 0)
        if best_flow is not None and (sol.emergency_placed, sol.placed) < flow_tiers:  # the first stage ran out of time
            left = max(0.0, policy.time_limit_seconds - (time.perf_counter() - t0))
            model = MipModel(pats, n_rows, policy.backend)
            sol = model.solve(left, policy.workers, policy.seed, best_flow, placed_bound, pricing, grow)
        if tiers_proven_at is not None and sol.proven_at and "tiers_1_2" in sol.proven_at:
            sol = dataclasses.replace(sol, proven_at={**sol.proven_at, "tiers_1_2": tiers_proven_at})
    else:
        sol = model.solve(remaining, policy.workers, policy.seed, start)
        if pruned:  # CP-SAT's bounds are not priced: they cover the model's pairs only
            sol = dataclasses.replace(sol, bound_scope=PRUNED_SCOPE)
    return pats, dataclasses.replace(sol, tiers_bound=placed_bound), model.build_seconds, full


def _tiers(pats: Patterns, chosen: np.ndarray) -> tuple[int, int]:
    """(emergency children placed, children placed) of a set of patterns."""
    return int(pats.emergency[chosen].sum()), int(pats.size[chosen].sum())


def _lawful(pats: Patterns, home_of_row: dict[int, int]) -> np.ndarray | None:
    """A flow's answer as the model's columns, or None when the model has no such pattern (a sibling
    group's subset the stability rule forbids) or a protected settled child is left without a home."""
    if any(r not in home_of_row for r in pats.required):
        return None
    try:
        return rows_to_patterns(pats, home_of_row)
    except KeyError:
        return None


def _best_start(pats: Patterns, proposals: list[np.ndarray]) -> np.ndarray:
    """The lexicographically best of several lawful proposals, by the engine's own tiers (first: the
    protected settled children who keep a home, which every answer must do)."""
    required = set(pats.required)

    def key(chosen: np.ndarray) -> tuple[int, int, int, int, int]:
        kept = sum(1 for i in chosen.tolist() for r in pats.members[i] if r in required)
        return (
            -kept,
            -int(pats.emergency[chosen].sum()),
            -int(pats.size[chosen].sum()),
            extra_homes(pats, chosen),
            int(pats.penalty[chosen].sum()),
        )

    return min(proposals, key=key)


def match(
    instance: Instance,
    policy: Policy | None = None,
    whole_cohort: bool = False,
    settled: Mapping[str, str] | None = None,
    grow_bounds: bool = True,
    score_table: bool = False,
) -> MatchResult:
    """Propose the best lawful home for every child needing one (or every child, ``whole_cohort``).

    Tiers in strict priority: emergency children placed; children placed; fewest extra homes for
    split sibling groups; then the quality score of ``policy.weights``. Tiers (1)-(3) are proven
    optimal; the score is optimal or reported with its gap when ``policy.time_limit_seconds`` stops it.

    The team's decisions in ``instance.decisions`` are honoured: rejected pairs are never proposed;
    held children stay in their held home (not matched again; the home's room falls by one). Raises
    ``InputError`` when the held pairs are not lawful on their own (see ``validate.check_held``).

    Settled children (in a whole cohort, every ``placed`` child with a ``current_place_id``; in a daily
    match, those named in ``settled``, child id -> the home they live in and may keep) are matched
    under ``policy.stability``: by default none is left without a home or moved to a home worse for
    them, and each move costs ``weights.moves_settled_child`` (``Eligibility.protected``).

    ``grow_bounds``: with ``candidates_per_setting``, grow the LPs by column generation so the bounds
    over every admissible pair are strong (``MipModel.solve``'s ``grow``); ``decompose`` turns it off
    for the pieces and the repair, where the time goes to the answer.

    ``score_table``: also price this instance's part of a whole instance's score bound (a piece of a
    match in pieces: ``model.score_bound``), in the result's ``score_table``.
    """
    policy = policy or Policy()
    as_of = policy.as_of_date()
    held_problems = check_held(instance, as_of, whole_cohort, policy)
    if held_problems:
        raise InputError([Problem("decisions.csv", None, "place_id", str(v)) for v in held_problems])
    t0 = time.perf_counter()
    scope = make_scope(instance, whole_cohort, settled)
    elig = Eligibility(instance, policy, scope, as_of)
    pats, sol, build_seconds, full = _solve(elig, policy, t0, grow_bounds)
    t_pairs = time.perf_counter() - t0 - build_seconds - sum(s.solve_seconds for s in sol.stages)

    home_of_row = {r: int(pats.place[i]) for i in sol.chosen for r in pats.members[i]}
    solver = SolverStats(
        status=sol.status,
        tiers_1_3_optimal=sol.tiers_optimal,
        bound=sol.penalty_bound,
        backend=sol.backend,
        seed=policy.seed,
        workers=policy.workers,
        seconds_pairs=round(t_pairs, 3),
        seconds_build=round(build_seconds, 3),
        seconds_solve=round(sum(s.solve_seconds for s in sol.stages), 3),
        patterns=len(pats),
        bound_scope=sol.bound_scope,
        proven_after=None if sol.proven_at is None else {k: round(v - t0, 3) for k, v in sol.proven_at.items()},
        tiers_bound=None
        if sol.tiers_bound is None
        else {"emergency_placed": sol.tiers_bound[0], "placed": sol.tiers_bound[1]},
    )
    result = build_result(elig, home_of_row, solver, t0)
    if result.summary.placed != sol.placed or result.summary.objective != sol.penalty:
        raise RuntimeError("the result tables disagree with the solver's solution; this is a bug")
    if score_table:
        every = full if full is not None else full_pairs(elig, pruned=False)
        result = dataclasses.replace(result, score_table=piece_table(elig, every))
    return result
