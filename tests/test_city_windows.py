"""The city score's changes to SCIP's windows (``model/mip.py``, docs/solvers.md "The city score"):
a complete hint (every column, the groups' z too), SCIP's parameters, and a whole-instance model going
straight to the proof window (past the LP support's MIP too, above ``BRANCH_COLUMNS``).

The hint must be a lawful answer of the MIP *as it stands* (its rows, the holds at the answer's own
levels), or SCIP would drop it; it is checked row by row against the exported model, not through SCIP.
The window paths are checked against brute force (``test_optimality.brute_force``, every assignment the
validator accepts), each answer validated by the solver-independent validator.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.linear_solver import linear_solver_pb2, pywraplp

from builders import AS_OF, policy
from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.model import mip
from placements.model.greedy import group_greedy
from placements.model.patterns import build_patterns
from placements.model.solution import extra_homes
from placements.validate import validate
from strategies import tiny_instances
from test_branch import crowded
from test_optimality import achieved, brute_force
from test_properties import random_instance

TOL = 1e-6


def _holds_lawfully(proto: linear_solver_pb2.MPModelProto, values: list[float]) -> list[str]:
    """Every bound and row of ``proto`` the values break (empty when they are a lawful MIP answer)."""
    x = np.array(values)
    broken = []
    for j, v in enumerate(proto.variable):
        if not v.lower_bound - TOL <= x[j] <= v.upper_bound + TOL:
            broken.append(f"column {j}: {x[j]} outside [{v.lower_bound}, {v.upper_bound}]")
        if v.is_integer and abs(x[j] - round(x[j])) > TOL:
            broken.append(f"column {j}: {x[j]} not whole")
    for k, c in enumerate(proto.constraint):
        activity = float(np.dot(x[list(c.var_index)], list(c.coefficient))) if c.var_index else 0.0
        if not c.lower_bound - TOL <= activity <= c.upper_bound + TOL:
            broken.append(f"row {k}: {activity} outside [{c.lower_bound}, {c.upper_bound}]")
    return broken


@pytest.mark.parametrize("seed", [1, 3, 7, 11, 19])
@pytest.mark.parametrize("whole_cohort", [False, True])
@pytest.mark.parametrize("drop_a_group", [False, True])
def test_the_hint_is_a_complete_lawful_answer_of_the_mip(seed: int, whole_cohort: bool, drop_a_group: bool) -> None:
    """The group-first greedy's answer as a hint: one value per MIP column, every row of the MIP held
    (cover rows, and the holds set at the answer's own levels as a later stage has them), the groups'
    z giving the answer's own extra homes; the answer itself lawful by the validator."""
    inst = random_instance(seed, n_children=30, n_places=20)
    pol = policy()
    elig = Eligibility(inst, pol, make_scope(inst, whole_cohort), AS_OF)
    pats = build_patterns(elig)
    n = len(elig.kids)
    model = mip.MipModel(pats, n)
    model._add_cover_rows()
    chosen = group_greedy(pats)
    if drop_a_group:  # a group the answer leaves out: its z must be 0 (z <= sum of its patterns)
        required = set(np.asarray(pats.required).tolist())
        placed_groups = [
            g
            for g in dict.fromkeys(pats.group[chosen].tolist())
            if len(pats.groups[g]) > 1 and not required & set(pats.groups[g])
        ]
        assert placed_groups
        chosen = chosen[pats.group[chosen] != placed_groups[0]]
    home_of_row = {r: int(pats.place[i]) for i in chosen for r in pats.members[i]}
    assignment = {elig.kids[r].child_id: inst.places[q].place_id for r, q in home_of_row.items()}
    assert validate(inst, assignment, AS_OF, whole_cohort, pol) == []
    for built in model._copies():
        built.holds["emergency"].SetLb(int(pats.emergency[chosen].sum()) - 1e-6)
        built.holds["placed"].SetLb(int(pats.size[chosen].sum()) - 1e-6)
        built.holds["extra"].SetUb(extra_homes(pats, chosen) + 1e-6)
    hint = model._hint(chosen)
    proto = linear_solver_pb2.MPModelProto()
    model.mip.solver.ExportModelToProto(proto)
    assert len(hint) == len(proto.variable) == len(model.mip.variables)
    assert _holds_lawfully(proto, hint) == []
    # The homes objective (patterns used less z per group) read off the hint is the answer's extra homes.
    homes = sum(hint[i] * c for i, c in zip(model.proto.extra_idx, model.proto.extra_coef, strict=True))
    assert homes == pytest.approx(extra_homes(pats, chosen))


def test_scip_takes_every_parameter() -> None:
    """SCIP refuses a parameter string with one unknown name whole (the seed and absgap with it), with
    only a logged warning: every name in the windows' string must be one this SCIP knows."""
    solver = pywraplp.Solver.CreateSolver("SCIP")
    assert solver.SetSolverSpecificParametersAsString(
        "randomization/randomseedshift = 0\nlimits/absgap = 0.999998\n" + mip.SCIP_PARAMS
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(inst=crowded(), whole_cohort=st.booleans())
def test_straight_to_the_proof_window_finds_the_brute_force_optimum(
    monkeypatch: pytest.MonkeyPatch, inst: Instance, whole_cohort: bool
) -> None:
    """No LP branched and no small-model shortcut, so every stage the LP does not prove runs SCIP: straight to
    the proof window (``DIRECT_PROOF_COLUMNS``), with the support's MIP skipped as in a model of more than
    ``BRANCH_COLUMNS``, gives the brute-force optimum."""
    monkeypatch.setattr(mip, "BRANCH_SOLVES", 0)
    monkeypatch.setattr(mip, "BRANCH_COLUMNS", 0)
    monkeypatch.setattr(mip, "PROOF_WINDOW_COLUMNS", 0)
    assert achieved(inst, whole_cohort) == brute_force(inst, whole_cohort)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(inst=tiny_instances(max_children=5, max_places=3), whole_cohort=st.booleans())
def test_the_widening_windows_still_find_the_brute_force_optimum(
    monkeypatch: pytest.MonkeyPatch, inst: Instance, whole_cohort: bool
) -> None:
    """The path pruned and larger models keep (windows of tau 1, 4, 16, ... before the proof window)."""
    monkeypatch.setattr(mip, "BRANCH_SOLVES", 0)
    monkeypatch.setattr(mip, "PROOF_WINDOW_COLUMNS", 0)
    monkeypatch.setattr(mip, "DIRECT_PROOF_COLUMNS", 0)
    assert achieved(inst, whole_cohort) == brute_force(inst, whole_cohort)
