"""Column generation (``mip._ColumnGeneration``): the LP of a pruned model (K = 1 nearest home per
setting) grown by the columns its duals price out reaches the LP of the unpruned model (every
admissible pair given), stage by stage, and the bounds priced from its duals never exceed the
brute-force optimum (``test_pricing.every_answer``, whose judge is the validator).
"""

from __future__ import annotations

import time

import numpy as np
from hypothesis import HealthCheck, given, settings

from builders import AS_OF, policy
from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.model.mip import MipModel
from placements.model.patterns import build_patterns
from placements.model.pricing import full_pairs, lagrangian_bound
from strategies import tiny_instances
from test_pricing import every_answer


def _model(elig: Eligibility) -> MipModel | None:
    pats = build_patterns(elig)
    if len(pats) == 0:
        return None
    model = MipModel(pats, len(elig.kids))
    model._add_cover_rows()
    return model


def _hold(model: MipModel, holds: dict[str, tuple[str, float]]) -> None:
    for name, (side, level) in holds.items():
        ct = model.lp.holds[name]
        ct.SetLb(level - 1e-6) if side == "lb" else ct.SetUb(level + 1e-6)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances(max_children=5, max_places=4, settled=True))
def test_column_generation_reaches_the_unpruned_lp(inst: Instance) -> None:
    scope = make_scope(inst, True)
    pruned = Eligibility(inst, policy(candidates_per_setting=1), scope, AS_OF)
    whole = Eligibility(inst, policy(), scope, AS_OF)
    answers = every_answer(inst, True)
    best = max(a[:3] for a in answers)
    optimum = min(a[3] for a in answers if a[:3] == best)
    m_pruned, m_whole = _model(pruned), _model(whole)
    if m_whole is None:
        return
    if m_pruned is None:  # K = 1 keeps a home per setting: only when there is no admissible pair at all
        raise AssertionError("the pruned model has no column where the unpruned one has")
    full = full_pairs(pruned)
    levels = {"emergency": ("lb", float(best[0])), "placed": ("lb", float(best[1]))}
    stages = [("placed", True, {}, None), ("homes", False, levels, -best[2])]
    stages.append(("quality", False, {**levels, "extra": ("ub", float(-best[2]))}, optimum))
    for name, maximise, holds, brute in stages:
        for model in (m_pruned, m_whole):
            _hold(model, holds)
        whole_lp = m_whole._lp(name, maximise)
        assert whole_lp is not None
        stats = m_pruned.column_generation(name, maximise, pruned, full, time.perf_counter() + 600)
        assert stats.converged
        assert abs(stats.value - whole_lp[0]) <= 1e-6 * max(1.0, abs(whole_lp[0])), (name, stats, whole_lp[0])
        if brute is None:
            continue
        # The LP over every admissible pair bounds every lawful answer; so does the priced bound.
        assert stats.value <= brute + 1e-6
        tiers = (float(best[0]), float(best[1]), float(-best[2]) if name == "quality" else 0.0)
        priced = lagrangian_bound(pruned, m_pruned.pats, full, name, m_pruned.multipliers(name), tiers)
        assert stats.multipliers is not None
        assert lagrangian_bound(pruned, m_pruned.pats, full, name, stats.multipliers, tiers) == priced
        assert priced <= brute + 1e-6


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances(max_children=12, max_places=8, settled=True))
def test_column_generation_reaches_the_unpruned_lp_larger(inst: Instance) -> None:
    """Larger cohorts than brute force can judge, where K = 1 leaves more out: the LPs alone."""
    scope = make_scope(inst, True)
    pruned = Eligibility(inst, policy(candidates_per_setting=1), scope, AS_OF)
    whole = Eligibility(inst, policy(), scope, AS_OF)
    m_pruned, m_whole = _model(pruned), _model(whole)
    if m_whole is None or m_pruned is None:
        return
    full = full_pairs(pruned)
    for name, maximise in (("placed", True), ("homes", False), ("quality", False)):
        whole_lp = m_whole._lp(name, maximise)
        assert whole_lp is not None
        stats = m_pruned.column_generation(name, maximise, pruned, full, time.perf_counter() + 600)
        assert stats.converged
        assert abs(stats.value - whole_lp[0]) <= 1e-6 * max(1.0, abs(whole_lp[0])), (name, stats, whole_lp[0])


def test_reduced_costs_priced_as_the_lp_reports_them() -> None:
    """The pricing's reduced costs of columns the LP holds are the LP's own (the duals' signs and
    every row a column enters are right), on a small cohort with a sibling group."""
    from builders import child, instance, place

    kids = [child("A", sibling_group="G"), child("B", sibling_group="G"), child("C"), child("D", urgency="emergency")]
    homes = [place("H1", 1.0, vacancies=2), place("H2", 9.0, vacancies=1), place("H3", 30.0, vacancies=2)]
    inst = instance(kids, homes)
    elig = Eligibility(inst, policy(), make_scope(inst, True), AS_OF)
    model = _model(elig)
    assert model is not None
    full = full_pairs(elig, pruned=False)
    from placements.model.mip import _ColumnGeneration
    from placements.model.pricing import priced_columns

    answer = model._lp("quality", False)
    assert answer is not None
    cg = _ColumnGeneration(model, elig, full, model.proto)
    answer = model._lp("quality", False)
    assert answer is not None
    # Nothing is left out of an unpruned model: no column prices out, with or without what it holds.
    none_held = np.zeros_like(cg.have_single)
    args = (elig, full, "quality", False, 0.0, cg.duals())
    assert priced_columns(*args, cg.have_single, cg.have_group, 5, 1e-7, cg.welfare) == []
    again = priced_columns(*args, none_held, set(), 100, 1e-7, cg.welfare)
    assert all(c.value >= -1e-6 for c in again)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances(max_children=5, max_places=4, settled=True))
def test_without_growth_the_bounds_still_hold(inst: Instance) -> None:
    """``grow=False`` (a match in pieces) runs no column generation, and its bounds, priced from the
    pruned LPs' duals only, still never exceed the brute-force optimum; ``grow=True`` grows the LP."""
    from placements.model.flows import tier_bound

    scope = make_scope(inst, True)
    pruned = Eligibility(inst, policy(candidates_per_setting=1), scope, AS_OF)
    answers = every_answer(inst, True)
    best = max(a[:3] for a in answers)
    optimum = min(a[3] for a in answers if a[:3] == best)
    full = full_pairs(pruned)
    for grow in (False, True):
        model = _model(pruned)
        if model is None:
            return
        sol = model.solve(600.0, 1, 0, None, tier_bound(pruned), (pruned, full), grow)
        assert (model.colgen is not None) == grow
        if (sol.emergency_placed, sol.placed, -sol.extra_homes) == best:
            assert sol.penalty_bound <= optimum
