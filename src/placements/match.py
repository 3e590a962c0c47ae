"""``match(instance, policy) -> MatchResult``: the one solve entry point."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from placements.codes import Setting, Urgency
from placements.eligibility import PENALTY_PARTS, Eligibility, make_scope
from placements.errors import InputError, Problem
from placements.explain import shortlist, unplaced_reasons
from placements.instance import Instance
from placements.model.greedy import greedy_rows, group_greedy, rows_to_patterns
from placements.model.mip import MipModel
from placements.model.patterns import Patterns, build_patterns, group_rows
from placements.model.solution import Solution, extra_homes, make_solution
from placements.policy import Policy
from placements.result import MatchResult
from placements.validate import check_held

if TYPE_CHECKING:
    from placements.model.cpsat import CpSatModel

OVER_MILES = 20.0


def _solve(elig: Eligibility, pats: Patterns, policy: Policy, t0: float) -> tuple[Solution, float]:
    """Run the chosen back end from the greedy's proposal; with no pattern the empty proposal is optimal.

    ``policy.time_limit_seconds`` counts from ``t0``, the start of ``match``: pairs, the start and
    the model's building are inside it (at England's size they are a fifth of each piece's time).
    """
    n_rows = len(elig.kids)
    if len(pats) == 0:
        return make_solution(pats, np.zeros(0, dtype=np.int64), True, True, 0, (), policy.backend), 0.0
    start = _best_start(pats, [rows_to_patterns(pats, greedy_rows(elig, "hardest")), group_greedy(pats)])
    if policy.backend == "cpsat":
        from placements.model.cpsat import CpSatModel  # imported only when chosen: ~60 ms at start-up

        model: CpSatModel | MipModel = CpSatModel(pats, n_rows)
    else:
        model = MipModel(pats, n_rows, policy.backend)
    remaining = max(0.0, policy.time_limit_seconds - (time.perf_counter() - t0))
    return model.solve(remaining, policy.workers, policy.seed, start), model.build_seconds


def _best_start(pats: Patterns, proposals: list[np.ndarray]) -> np.ndarray:
    """The lexicographically best of several lawful proposals, by the engine's own tiers."""

    def key(chosen: np.ndarray) -> tuple[int, int, int, int]:
        return (
            -int(pats.emergency[chosen].sum()),
            -int(pats.size[chosen].sum()),
            extra_homes(pats, chosen),
            int(pats.penalty[chosen].sum()),
        )

    return min(proposals, key=key)


def match(instance: Instance, policy: Policy | None = None, whole_cohort: bool = False) -> MatchResult:
    """Propose the best lawful home for every child needing one (or every child, ``whole_cohort``).

    Tiers in strict priority: emergency children placed; children placed; fewest extra homes for
    split sibling groups; then the quality score of ``policy.weights``. Tiers (1)-(3) are proven
    optimal; the score is optimal or reported with its gap when ``policy.time_limit_seconds`` stops it.

    The team's decisions in ``instance.decisions`` are honoured: rejected pairs are never proposed;
    held children stay in their held home (not matched again; the home's room falls by one). Raises
    ``InputError`` when the held pairs are not lawful on their own (see ``validate.check_held``).
    """
    policy = policy or Policy()
    as_of = policy.as_of_date()
    held_problems = check_held(instance, as_of, whole_cohort)
    if held_problems:
        raise InputError([Problem("decisions", None, "decision", str(v)) for v in held_problems])
    t0 = time.perf_counter()
    scope = make_scope(instance, whole_cohort)
    elig = Eligibility(instance, policy, scope, as_of)
    pats = build_patterns(elig)
    t_pairs = time.perf_counter() - t0
    sol, build_seconds = _solve(elig, pats, policy, t0)

    home_of_row = {r: int(pats.place[i]) for i in sol.chosen for r in pats.members[i]}
    solver = {
        "status": sol.status,
        "tiers_1_3_optimal": sol.tiers_optimal,
        "objective": sol.penalty,
        "bound": sol.penalty_bound,
        "gap": round((sol.penalty - sol.penalty_bound) / sol.penalty, 6) if sol.penalty > 0 else 0.0,
        "seconds_pairs": round(t_pairs, 3),
        "seconds_build": round(build_seconds, 3),
        "seconds_solve": round(sum(s.solve_seconds for s in sol.stages), 3),
        "backend": sol.backend,
        "seed": policy.seed,
        "workers": policy.workers,
        "patterns": len(pats),
    }
    result = build_result(elig, home_of_row, solver, t0)
    if result.summary_data["placed"] != sol.placed or result.summary_data["objective"] != sol.penalty:
        raise RuntimeError("the result tables disagree with the solver's solution; this is a bug")
    return result


def build_result(elig: Eligibility, home_of_row: dict[int, int], solver: dict[str, Any], t0: float) -> MatchResult:
    """Officer's tables and the summary for a proposal (row in scope -> place index), however it was found.

    Used for the optimiser's answer and for the baselines, so both are measured by the same code.
    """
    instance, policy, as_of = elig.instance, elig.policy, elig.as_of
    whole_cohort = elig.scope.whole_cohort
    places = instance.places
    assignment = {elig.kids[r].child_id: places[p].place_id for r, p in sorted(home_of_row.items())}
    groups = group_rows(elig)

    # Sibling groups and whether each is split (members in two homes, or some without one).
    split_groups: set[int] = set()
    multi = [g for g in groups if len(g) > 1]
    for g in multi:
        homes = {home_of_row.get(r) for r in g}
        if len(homes) > 1:
            split_groups.update(g)
    rows = np.array(sorted(home_of_row), dtype=np.int64)
    cols = np.array([home_of_row[r] for r in rows], dtype=np.int64)
    parts = elig.penalty_parts(rows, cols) if len(rows) else pd.DataFrame(columns=list(PENALTY_PARTS))
    matches = pd.DataFrame(
        {
            "child_id": [elig.kids[r].child_id for r in rows],
            "place_id": [places[c].place_id for c in cols],
            "setting": [places[c].setting.value for c in cols],
            "provider": [places[c].provider.value for c in cols],
            "age": elig.ages[rows] if len(rows) else [],
            "urgency": [elig.kids[r].urgency.value for r in rows],
            "distance_miles": elig.distance[rows, cols] if len(rows) else [],
            "in_area": elig.in_area(rows, cols) if len(rows) else [],
            "weekly_cost": [places[c].weekly_cost for c in cols],
            "sibling_group": [elig.kids[r].sibling_group or "" for r in rows],
            "split": [r in split_groups for r in rows],
        }
    )
    parts = parts.reset_index(drop=True)
    group_of = {r: g for g in groups for r in g}
    parts["siblings_apart"] = [
        policy.weights.sibling_apart * sum(1 for o in group_of[r] if o != r and home_of_row.get(o) != home_of_row[r])
        for r in rows
    ]
    matches = pd.concat([matches, parts], axis=1)
    matches["score_penalty"] = parts.sum(axis=1).astype(np.int64).to_numpy() if len(rows) else []

    taken_by: dict[int, list[str]] = defaultdict(list)
    for r, c in home_of_row.items():
        taken_by[c].append(elig.kids[r].child_id)
    unplaced = unplaced_reasons(elig, set(home_of_row), taken_by)
    short = shortlist(elig, policy.shortlist_size)

    dist = matches["distance_miles"].to_numpy(dtype=float)
    emergency = np.array([c.urgency is Urgency.EMERGENCY for c in elig.kids], dtype=bool)
    homes_used = [len({home_of_row[r] for r in g if r in home_of_row}) for g in multi]
    summary = {
        **{k: v for k, v in solver.items() if k not in ("patterns",)},
        "objective": int(matches["score_penalty"].sum()) if len(matches) else 0,
        "seconds": round(time.perf_counter() - t0, 3),
        "as_of": as_of.isoformat(),
        "whole_cohort": whole_cohort,
        "needing_placement": len(elig.kids),
        "placed": len(home_of_row),
        "unplaced": len(elig.kids) - len(home_of_row),
        "emergency_needing": int(emergency.sum()),
        "emergency_placed": int(sum(emergency[r] for r in home_of_row)),
        "sibling_groups": len(multi),
        "sibling_groups_split": sum(1 for g in multi if g[0] in split_groups),
        "extra_homes_for_split_groups": sum(max(h - 1, 0) for h in homes_used),
        "under12_in_residential": int(
            ((matches["age"] < 12) & (matches["setting"] == Setting.RESIDENTIAL.value)).sum()
        ),
        "out_of_area": int((~matches["in_area"].astype(bool)).sum()) if elig.knows_area() else None,
        "over_20_miles": int((dist > OVER_MILES).sum()),
        "total_weekly_cost": round(float(matches["weekly_cost"].sum()), 2),
        "admissible_pairs": len(elig.pairs),
        "patterns": solver.get("patterns"),
    }
    return MatchResult(assignment, summary, matches, short, unplaced, as_of, whole_cohort)
