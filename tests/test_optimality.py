"""Brute force on instances small enough to enumerate: tiers (1)-(3), and the score, equal the optimum.

Feasibility in the enumeration is decided by the validator alone, so this checks the model's
constraints and objective against the executable specification, not against themselves.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings

from builders import AS_OF, child, instance, place, policy
from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.match import match
from placements.validate import validate
from strategies import tiny_instances


def brute_force(inst: Instance, whole_cohort: bool) -> tuple[int, int, int, int]:
    """Best (emergency placed, placed, -extra homes, -penalty) over every lawful assignment."""
    pol = policy()
    scope = make_scope(inst, whole_cohort)
    elig = Eligibility(inst, pol, scope, AS_OF)
    penalty = {
        (int(r), int(p)): int(v)
        for r, p, v in zip(elig.pairs["row"], elig.pairs["place"], elig.pairs["penalty"], strict=True)
    }
    kids = elig.kids
    ids = [p.place_id for p in inst.places]
    best = None
    for choice in itertools.product([None, *range(len(ids))], repeat=len(kids)):
        assignment = {kids[r].child_id: ids[j] for r, j in enumerate(choice) if j is not None}
        if validate(inst, assignment, AS_OF, whole_cohort):
            continue
        emergency = sum(1 for r, j in enumerate(choice) if j is not None and kids[r].urgency.value == "emergency")
        placed = len(assignment)
        homes: dict[str, set[int]] = defaultdict(set)
        for r, j in enumerate(choice):
            if j is not None and kids[r].sibling_group is not None:
                homes[kids[r].sibling_group].add(j)
        extra = sum(len(h) - 1 for h in homes.values() if h)
        pen = sum(penalty[(r, j)] for r, j in enumerate(choice) if j is not None)
        for r, j in enumerate(choice):  # each placed child pays for siblings not in its home
            g = kids[r].sibling_group
            if j is not None and g is not None:
                apart = sum(1 for o, jo in enumerate(choice) if o != r and kids[o].sibling_group == g and jo != j)
                pen += apart * pol.weights.sibling_apart
        key = (emergency, placed, -extra, -pen)
        best = key if best is None or key > best else best
    assert best is not None  # the empty assignment is always lawful
    return best


def achieved(inst: Instance, whole_cohort: bool, backend: str = "scip") -> tuple[int, int, int, int]:
    result = match(inst, policy(backend=backend), whole_cohort=whole_cohort)
    assert validate(inst, result.assignment, AS_OF, whole_cohort) == []
    s = result.summary.to_dict()
    assert s["status"] == "OPTIMAL"
    return (s["emergency_placed"], s["placed"], -s["extra_homes_for_split_groups"], -s["objective"])


@pytest.mark.parametrize("backend", ["scip", "highs", "cpsat"])
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(inst=tiny_instances(max_children=5, max_places=3))
def test_daily_match_equals_brute_force(backend: str, inst: Instance) -> None:
    assert achieved(inst, False, backend) == brute_force(inst, False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances(max_children=4, max_places=3))
def test_whole_cohort_equals_brute_force(inst: Instance) -> None:
    assert achieved(inst, True) == brute_force(inst, True)


def test_hand_checked_sibling_trade_off() -> None:
    """Three siblings, homes for 2 and for 1 nearby, one for 3 far away: together wins (tier 3 over tier 4)."""
    kids = [child(f"C{i}", sibling_group="G") for i in range(3)]
    homes = [place("F2", vacancies=2, miles=1), place("F1", vacancies=1, miles=1), place("F3", vacancies=3, miles=60)]
    inst = instance(kids, homes)
    assert achieved(inst, False) == brute_force(inst, False)
    assert set(match(inst, policy()).assignment.values()) == {"F3"}
