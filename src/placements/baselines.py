"""Baselines: the way matches are made today, measured by the same code as the optimiser.

``greedy(instance, policy, order="arrival")`` is today's practice: one child at a time, in
referral order, each given the best home still free (by the same score), a sibling joining a
brother or sister already placed when that home can take them. ``order="hardest"`` takes the
children with the fewest admissible homes first, a fairer and stronger baseline.

Steps, for each child in the chosen order:
1. Candidate homes are the child's admissible homes (every pair-level hard rule holds).
2. Drop homes without room left, homes at the fostering limit (unless the newcomers are one
   sibling group alone in an empty home), and homes where a child who must live alone is, or
   where this child, if they must live alone, would not be alone with their siblings.
3. If a sibling was already placed and that home is still a candidate, take it.
4. Otherwise take the candidate with the lowest score penalty (ties: lower place index).
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np

from placements.codes import USUAL_FOSTERING_LIMIT, Urgency
from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.match import build_result
from placements.model.patterns import group_rows
from placements.policy import Policy
from placements.result import MatchResult


def greedy(
    instance: Instance, policy: Policy | None = None, whole_cohort: bool = False,
    order: Literal["arrival", "hardest"] = "arrival",
) -> MatchResult:
    policy = policy or Policy()
    t0 = time.perf_counter()
    elig = Eligibility(instance, policy, make_scope(instance, whole_cohort), policy.as_of_date())
    n = len(elig.kids)
    admissible = elig.admissible
    penalty = np.full(admissible.shape, np.iinfo(np.int64).max, dtype=np.int64)
    pairs = elig.pairs
    penalty[pairs["row"].to_numpy(), pairs["place"].to_numpy()] = pairs["penalty"].to_numpy()
    group_of = {r: gi for gi, g in enumerate(group_rows(elig)) for r in g}
    lone = np.array([not c.lives_with_others for c in elig.kids], dtype=bool)
    emergency = np.array([c.urgency is Urgency.EMERGENCY for c in elig.kids], dtype=bool)

    if order == "arrival":
        sequence = list(range(n))
    else:
        options = admissible.sum(axis=1)
        sequence = sorted(range(n), key=lambda r: (not emergency[r], int(options[r]), r))

    room = elig.scope.capacity.copy()
    others = elig.scope.others
    limit_applies = elig.fostering_limit_applies
    new_at: dict[int, list[int]] = {}
    home_of_row: dict[int, int] = {}

    def fits(r: int, p: int) -> bool:
        if room[p] < 1:
            return False
        here = new_at.get(p, [])
        groups_here = {group_of[o] for o in here} | {group_of[r]}
        if limit_applies[p] and others[p] + len(here) + 1 > USUAL_FOSTERING_LIMIT:
            if not (others[p] == 0 and len(groups_here) == 1):
                return False
        if (lone[r] or any(lone[o] for o in here)) and len(groups_here) > 1:
            return False
        return True

    for r in sequence:
        candidates = [int(p) for p in np.flatnonzero(admissible[r]) if fits(r, int(p))]
        if not candidates:
            continue
        sibling_homes = {home_of_row[o] for o, g in group_of.items() if g == group_of[r] and o in home_of_row}
        with_sibling = [p for p in candidates if p in sibling_homes]
        chosen = min(with_sibling or candidates, key=lambda p: (penalty[r, p], p))
        home_of_row[r] = chosen
        new_at.setdefault(chosen, []).append(r)
        room[chosen] -= 1

    solver = {"status": "HEURISTIC", "tiers_1_3_optimal": False, "bound": None, "gap": None,
              "backend": f"greedy-{order}", "seed": None, "workers": 1, "patterns": None}
    return build_result(elig, home_of_row, solver, t0)
