"""Bounds of the real model: with K nearest homes per setting, every bound and proof still holds for
every admissible pair (flows for tiers (1)-(2), pricing for tier (3) and the score).

Brute force over every assignment, feasibility decided by the validator alone, is the judge.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
from hypothesis import HealthCheck, given, settings

from builders import AS_OF, child, instance, place, policy
from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.match import match
from placements.model.patterns import build_patterns
from placements.model.pricing import Multipliers, full_pairs, lagrangian_bound
from placements.validate import validate
from strategies import tiny_instances


def every_answer(inst: Instance, whole: bool) -> list[tuple[int, int, int, int]]:
    """(emergency placed, placed, -extra homes, penalty) of every lawful assignment."""
    pol = policy()
    elig = Eligibility(inst, pol, make_scope(inst, whole), AS_OF)
    rows, cols = np.nonzero(elig.admissible)
    pen = dict(
        zip(
            zip(rows.tolist(), cols.tolist(), strict=True),
            elig.penalty_parts(rows, cols).sum(axis=1).tolist(),
            strict=True,
        )
    )
    kids, ids = elig.kids, [p.place_id for p in inst.places]
    out = []
    for choice in itertools.product([None, *range(len(ids))], repeat=len(kids)):
        if any(j is not None and (r, j) not in pen for r, j in enumerate(choice)):
            continue
        assignment = {kids[r].child_id: ids[j] for r, j in enumerate(choice) if j is not None}
        if validate(inst, assignment, AS_OF, whole, pol):
            continue
        homes: dict[str, set[int]] = defaultdict(set)
        for r, j in enumerate(choice):
            if j is not None and kids[r].sibling_group is not None:
                homes[kids[r].sibling_group].add(j)
        score = 0
        for r, j in enumerate(choice):
            if j is None:
                continue
            score += pen[(r, j)]
            g = kids[r].sibling_group
            if g is not None:
                apart = sum(1 for o, jo in enumerate(choice) if o != r and kids[o].sibling_group == g and jo != j)
                score += apart * pol.weights.sibling_apart
        emergency = sum(1 for r, j in enumerate(choice) if j is not None and kids[r].urgency.value == "emergency")
        out.append((emergency, len(assignment), -sum(len(h) - 1 for h in homes.values() if h), score))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances(max_children=5, max_places=4))
def test_pruned_model_bounds_hold_for_every_admissible_pair(inst: Instance) -> None:
    answers = every_answer(inst, True)
    best = max(a[:3] for a in answers)
    result = match(inst, policy(candidates_per_setting=1), whole_cohort=True)
    assert validate(inst, result.assignment, AS_OF, True, policy()) == []
    s = result.summary
    tiers = (s.emergency_placed, s.placed, -s.extra_homes_for_split_groups)
    assert tiers <= best
    if s.tiers_1_3_optimal:
        assert tiers == best
    at_least = [a[3] for a in answers if a[:3] >= tiers]
    assert s.bound is not None and s.bound <= min(at_least)
    if s.status == "OPTIMAL":
        assert s.objective == min(at_least)
    assert s.bound_scope == "every admissible pair"
    assert s.tiers_bound is not None and (s.tiers_bound["emergency_placed"], s.tiers_bound["placed"]) >= best[:2]


def test_pricing_from_any_multipliers_is_a_bound() -> None:
    """Weak duality: zero multipliers give the trivial bound, random ones never exceed the optimum."""
    kids = [child("A", sibling_group="G"), child("B", sibling_group="G"), child("C"), child("D", urgency="emergency")]
    homes = [place("H1", 1.0, vacancies=2), place("H2", 9.0, vacancies=1), place("H3", 30.0, vacancies=2)]
    inst = instance(kids, homes)
    elig = Eligibility(inst, policy(), make_scope(inst, True), AS_OF)
    pats = build_patterns(elig)
    full = full_pairs(elig)
    answers = every_answer(inst, True)
    best = max(a[:3] for a in answers)
    optimum = min(a[3] for a in answers if a[:3] == best)
    rng = np.random.default_rng(1)
    for _ in range(50):
        mult = Multipliers(rng.uniform(0, 300, 3), rng.uniform(0, 300, 3), *rng.uniform(0, 300, 3))
        assert lagrangian_bound(elig, pats, full, "quality", mult, (best[0], best[1], -best[2])) <= optimum + 1e-6
        assert lagrangian_bound(elig, pats, full, "homes", mult, (best[0], best[1], 0.0)) <= -best[2] + 1e-6
