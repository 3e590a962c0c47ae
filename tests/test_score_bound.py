"""The score bound of a whole instance matched in pieces (``model.score_bound``) holds against brute force.

Brute force (``test_pricing.every_answer``: feasibility decided by the validator alone) gives the least
score of every lawful answer for the whole instance that places at least the joined answer's emergency
children and children; the bound the joined summary reports must not exceed it, whatever the pieces'
multipliers (their score LPs' duals, or random ones).
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import AS_OF, child, instance, place, policy
from placements.codes import Urgency
from placements.decompose import match_in_pieces, plan_pieces, sub_instance
from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.model.pricing import Multipliers, full_pairs
from placements.model.score_bound import (
    OutOfPiece,
    budgets,
    home_prices,
    piece_table,
    score_table,
    whole_score_bound,
)
from placements.validate import validate
from strategies import tiny_instances
from test_pricing import every_answer


def least_score(inst: Instance, whole: bool, levels: tuple[int, int]) -> int:
    """The least score of a lawful answer placing at least ``levels`` (emergency children, children)."""
    return min(s for e, p, _, s in every_answer(inst, whole) if (e, p) >= levels and e >= levels[0] and p >= levels[1])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances(max_children=5, max_places=4, settled=True), st.booleans())
def test_the_joined_answers_score_bound_holds(inst: Instance, whole: bool) -> None:
    pol = policy(time_limit_seconds=10)
    result = match_in_pieces(inst, pol, whole_cohort=whole, max_children=2, engine="serial")
    s = result.summary
    assert validate(inst, result.assignment, AS_OF, whole, pol) == []
    assert s.bound is not None and s.bound_scope == "every admissible pair"
    assert s.bound <= s.objective
    assert s.bound <= least_score(inst, whole, (s.emergency_placed, s.placed))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances(max_children=5, max_places=4, settled=True), st.booleans(), st.data())
def test_the_bound_holds_for_any_multipliers(inst: Instance, whole: bool, data: st.DataObject) -> None:
    """Random multipliers on every home's rows, and every pair of levels a lawful answer reaches."""
    pol = policy()
    pieces = plan_pieces(inst, pol, 2)
    tables = []
    for pc in pieces:
        sub = sub_instance(inst, pc)
        elig = Eligibility(sub, pol, make_scope(sub, whole), AS_OF)
        m = len(sub.places)
        draw = st.lists(st.floats(0, 500), min_size=m, max_size=m)
        n = len(make_scope(sub, whole).children)
        required = np.array(data.draw(st.lists(st.floats(0, 500), min_size=n, max_size=n)))
        mult = Multipliers(np.array(data.draw(draw)), np.array(data.draw(draw)), required=required)
        tables.append(
            score_table(elig, full_pairs(elig, pruned=True), mult, piece_table(elig, full_pairs(elig)).welfare)
        )
    piece_of_home = np.full(len(inst.places), -1)
    piece_of_child = {}
    for k, pc in enumerate(pieces):
        piece_of_home[pc.places] = k
        piece_of_child.update({inst.children[i].child_id: k for i in pc.children.tolist()})
    price = home_prices(inst, pol, [pc.places for pc in pieces], tables)
    away = OutOfPiece(inst, pol, whole, piece_of_child, piece_of_home)
    out = away.costs(price, budgets(inst, pol, tables))
    emergency = {c.child_id: c.urgency is Urgency.EMERGENCY for c in inst.children}
    answers = every_answer(inst, whole)
    for e, p in sorted({(a[0], a[1]) for a in answers}):
        value, _, _ = whole_score_bound(tables, emergency, out, (e, p))
        assert value <= least_score(inst, whole, (e, p)) + 1e-6


def test_a_child_near_the_border_is_priced_at_the_next_piece_s_home() -> None:
    """Two authorities; a city child's family lives 2 miles from the county's home and 30 from the city's.
    Each piece alone would price the city's home (90 points of distance); over the whole instance the
    county's home is nearer, and the bound must allow for it (it is the answer, too)."""
    city, county = "E06000018", "E10000024"
    kids = [
        child("A", local_authority=city, home_easting=32 * 1609.3),
        child("B", local_authority=county, home_easting=60 * 1609.3),
    ]
    homes = [place("H1", 2.0, la_code=city, vacancies=1), place("H2", 34.0, la_code=county, vacancies=2)]
    inst, pol = instance(kids, homes), policy(time_limit_seconds=10)
    result = match_in_pieces(inst, pol, max_children=1, engine="serial")
    s = result.summary
    assert s.pieces == 2 and s.placed == 2
    assert s.bound is not None and s.bound <= least_score(inst, False, (0, 2)) <= s.objective
