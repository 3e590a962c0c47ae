"""Baselines are lawful, and the optimiser never does worse than them on tiers (1)-(3)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from builders import AS_OF, child, instance, place, policy
from placements.baselines import greedy
from placements.instance import Instance
from placements.match import match
from placements.validate import validate
from strategies import tiny_instances
from test_properties import random_instance


def tiers(result) -> tuple[int, int, int]:
    s = result.summary.to_dict()
    return (s["emergency_placed"], s["placed"], -s["extra_homes_for_split_groups"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances(max_children=10, max_places=5))
def test_greedy_is_lawful_and_never_beats_the_optimum(inst: Instance) -> None:
    best = match(inst, policy())
    for order in ("arrival", "hardest"):
        g = greedy(inst, policy(), order=order)
        assert validate(inst, g.assignment, AS_OF) == []
        assert tiers(g) <= tiers(best)


def test_first_come_first_served_strands_the_second_child() -> None:
    """C1 arrives first and takes the only home C2 could use; the optimiser places both."""
    inst = instance(
        [child("C1", age=8), child("C2", age=8, needs="disability")],
        [place("F1", meets_needs="disability"), place("F2", miles=10)],
    )
    assert greedy(inst, policy()).summary.placed == 1
    assert match(inst, policy()).summary.placed == 2


def test_optimiser_at_least_as_good_on_a_random_city_slice() -> None:
    inst = random_instance(3)
    best = match(inst, policy())
    for order in ("arrival", "hardest"):
        g = greedy(inst, policy(), order=order)
        assert validate(inst, g.assignment, AS_OF) == []
        assert tiers(g) <= tiers(best)
