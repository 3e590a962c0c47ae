"""``model.branch``: the LP branched by hand bounds every lawful answer, checked against brute force.

Brute force (``test_optimality.brute_force``) enumerates every assignment the validator accepts, so
the bound is checked against the executable specification: it is never beaten by a lawful answer,
it is within a unit of the optimum once the tree is searched to the end, and the whole answer it
finds is lawful and optimal. A search cut short after two LPs must still give a valid bound.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.linear_solver import linear_solver_pb2

from builders import AS_OF, child, instance, place, policy
from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.model import mip
from placements.model.branch import branch
from placements.model.mip import MipModel
from placements.model.patterns import build_patterns
from placements.model.solution import tier_weights
from placements.validate import validate
from strategies import tiny_instances
from test_optimality import achieved, brute_force
from test_properties import random_instance

MARGIN = 1.0 - 1e-6


def _check(inst: Instance, whole_cohort: bool, max_solves: int) -> None:
    pol = policy()
    elig = Eligibility(inst, pol, make_scope(inst, whole_cohort), AS_OF)
    pats = build_patterns(elig)
    if len(pats) == 0:
        return
    e, p, minus_x, minus_pen = brute_force(inst, whole_cohort, pol)
    n = len(elig.kids)
    we, wp, _ = tier_weights(n)
    model = MipModel(pats, n)
    for name, maximise, optimum in (("placed", True, (we // wp) * e + p), ("quality", False, -minus_pen)):
        if name == "quality":  # the earlier tiers held at their optimum, as ``MipModel.solve`` does
            model.lp.holds["emergency"].SetLb(e - 1e-6)
            model.lp.holds["placed"].SetLb(p - 1e-6)
            model.lp.holds["extra"].SetUb(-minus_x + 1e-6)
        root = model._lp(name, maximise)
        assert root is not None
        z, _d, x = root
        worst = -np.inf if maximise else np.inf  # no incumbent: nothing is pruned until a whole leaf is found
        tree = branch(
            model.lp.solver,
            model.lp.w,
            ~model.relaxed,
            maximise,
            (z, x),
            worst,
            MARGIN,
            max_solves,
            time.perf_counter() + 60,
        )
        sign = 1.0 if maximise else -1.0
        assert sign * (tree.bound - optimum) >= -1e-6, (name, tree.bound, optimum)  # valid
        # The solver holds the root LP again: every bound restored.
        assert all(v.lb() == 0.0 and v.ub() == 1.0 for v in model.lp.w)
        if max_solves < 1000:
            continue
        assert sign * (tree.bound - optimum) < 1.0, (name, tree.bound, optimum)  # searched to the end: exact
        assert tree.whole is not None
        assert model._value(name, tree.whole) == optimum
        home_of_row = {r: int(pats.place[i]) for i in tree.whole for r in pats.members[i]}
        assignment = {elig.kids[r].child_id: inst.places[q].place_id for r, q in home_of_row.items()}
        assert validate(inst, assignment, AS_OF, whole_cohort, pol) == []


@st.composite
def crowded(draw: st.DrawFn) -> Instance:
    """Sibling groups and homes of one to three places, every home suitable for every child: room is
    what binds, so the LP often splits a group by fractions (as the demo's capacity split does)."""
    n = draw(st.integers(3, 6))
    m = draw(st.integers(2, 3))
    kids = [
        child(
            f"C{i}",
            age=draw(st.integers(0, 15)),
            sibling_group=draw(st.sampled_from([None, "A", "A", "B"])),
            urgency=draw(st.sampled_from(["planned", "planned", "emergency"])),
            home_easting=float(draw(st.integers(0, 30))) * 1609.3,
        )
        for i in range(n)
    ]
    homes = [
        place(
            f"P{j}",
            miles=float(draw(st.integers(0, 30))),
            vacancies=draw(st.integers(1, 3)),
            weekly_cost=float(draw(st.sampled_from([400, 820, 4200]))),
        )
        for j in range(m)
    ]
    return instance(kids, homes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=st.one_of(crowded(), tiny_instances(max_children=5, max_places=3)), whole_cohort=st.booleans())
def test_branching_to_the_end_finds_the_brute_force_optimum(inst: Instance, whole_cohort: bool) -> None:
    _check(inst, whole_cohort, max_solves=10_000)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=crowded(), whole_cohort=st.booleans())
def test_branching_cut_short_still_bounds_every_lawful_answer(inst: Instance, whole_cohort: bool) -> None:
    _check(inst, whole_cohort, max_solves=2)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(inst=crowded(), whole_cohort=st.booleans())
def test_without_branching_the_lazy_mip_copy_finds_the_brute_force_optimum(
    monkeypatch: pytest.MonkeyPatch, inst: Instance, whole_cohort: bool
) -> None:
    """No LP branched: every stage the LP does not prove runs SCIP's windows, on the copy made on first use."""
    monkeypatch.setattr(mip, "BRANCH_SOLVES", 0)
    assert achieved(inst, whole_cohort) == brute_force(inst, whole_cohort)


@pytest.mark.parametrize("seed", [3, 7])
def test_lazy_mip_copy_is_the_model_an_eager_copy_would_be(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """The MIP copy made from the LP's (after the cover rows and the holds) is the copy that loading the
    proto at once and giving it the same rows and bounds makes: same rows, bounds and integrality."""
    inst = random_instance(seed, n_children=30, n_places=20)
    elig = Eligibility(inst, policy(), make_scope(inst, False), AS_OF)
    pats = build_patterns(elig)
    n = len(elig.kids)

    def prepared() -> mip.MipModel:
        model = mip.MipModel(pats, n)
        model._add_cover_rows()
        for built in model._copies():
            built.holds["emergency"].SetLb(1 - 1e-6)
            built.holds["placed"].SetLb(2 - 1e-6)
            built.holds["extra"].SetUb(3 + 1e-6)
        return model

    lazy = prepared()
    assert lazy._mip is None
    monkeypatch.setattr(mip, "BRANCH_COLUMNS", 0)
    eager = prepared()
    assert eager._mip is not None

    def rows(
        model: mip.MipModel,
    ) -> tuple[list[tuple[float, float, bool]], list[tuple[float, float, list[tuple[int, float]]]]]:
        proto = linear_solver_pb2.MPModelProto()
        model.mip.solver.ExportModelToProto(proto)
        cols = [(v.lower_bound, v.upper_bound, v.is_integer) for v in proto.variable]
        cons = [
            (c.lower_bound, c.upper_bound, sorted(zip(c.var_index, c.coefficient, strict=True)))
            for c in proto.constraint
        ]
        return cols, cons

    assert rows(lazy) == rows(eager)
    assert lazy.mip.objective == eager.mip.objective == ("quality", False)
