"""The flows under the stability rule: ``tier_bound`` still bounds every lawful answer when settled children must
keep a home (and is tighter for it), and ``bundled_flow``'s start, letting protected children move, is lawful.

Brute force (``test_optimality.brute_force``, feasibility decided by the validator alone, the stability rule
included) is the judge.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import AS_OF, child, instance, place, policy
from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.match import _lawful
from placements.model import flows
from placements.model.patterns import build_patterns, expresses, group_rows
from placements.model.pricing import full_pairs, top_room
from placements.policy import Policy
from placements.validate import validate
from strategies import tiny_instances
from test_optimality import brute_force, freed


def _elig(inst: Instance, whole: bool, pol: Policy, settled: dict[str, str] | None = None) -> Eligibility:
    return Eligibility(inst, pol, make_scope(inst, whole, settled), AS_OF)


def plain_bound(elig: Eligibility) -> tuple[int, int]:
    """The flow bound before the stability rule was taken into account: every admissible pair, emergencies first."""
    rows, places = np.nonzero(elig.admissible)
    room = top_room(elig)
    keep = room[places] >= 1
    rows, places = rows[keep], places[keep]
    emergency = elig.emergency()
    r, _ = flows._flow(rows, places, -emergency[rows].astype(np.int64), len(elig.kids), room)
    return int(emergency[r].sum()), len(r)


def check(inst: Instance, whole: bool, pol: Policy, settled: dict[str, str] | None = None) -> tuple[bool, bool]:
    """The bound holds against brute force and is never looser than the plain flow; the bundled start (as ``match``
    calls it), when it houses every protected child, is lawful and, when it meets the bound, optimal.
    Returns (anyone protected, the bundled start housed them all)."""
    elig = _elig(inst, whole, pol, settled)
    best = brute_force(inst, whole, pol, settled)
    bound, plain = flows.tier_bound(elig), plain_bound(elig)
    assert bound[0] >= best[0] and bound[1] >= best[1], (bound, best)
    assert bound[0] <= plain[0] and bound[1] <= plain[1], (bound, plain)
    required = set(np.flatnonzero(elig.protected).tolist())
    home = flows.bundled_flow(elig, full_pairs(elig), fix_exclusive=False)
    if not required <= set(home):  # match keeps no such start (``match._lawful``)
        return bool(required), False
    assignment = {elig.kids[r].child_id: inst.places[p].place_id for r, p in home.items()}
    assert validate(inst, assignment, AS_OF, whole, pol, settled) == []
    got = (int(elig.emergency()[list(home)].sum()), len(home))
    assert got <= best[:2]
    if got == bound:  # a start meeting the bound is optimal in tiers (1)-(2)
        assert got == best[:2]
    return bool(required), True


STABILITY = st.sampled_from(["protect", "strict"])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances(max_children=4, max_places=3, settled=True), STABILITY)
def test_bound_holds_and_bundled_start_is_lawful_in_a_whole_cohort(inst: Instance, stability: str) -> None:
    check(inst, True, policy(stability=stability))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances(max_children=4, max_places=3, settled=True), STABILITY)
def test_bound_holds_and_bundled_start_is_lawful_with_settled_children_in_a_daily_match(
    inst: Instance, stability: str
) -> None:
    daily, settled = freed(inst)
    check(daily, False, policy(stability=stability), settled)


@st.composite
def siblings_at_home(draw: st.DrawFn) -> Instance:
    """Two or three brothers and sisters living together today in H0 (which suits them), a newcomer or two (an
    emergency now and then, sometimes their brother or sister), and two other homes of random setting, ages,
    room and distance: the cases where ``stable_pairs`` and the protected-first cost decide."""
    setting = draw(st.sampled_from(["foster", "residential"]))
    k = draw(st.integers(2, 3))
    ages = [draw(st.integers(4, 12)) for _ in range(k)]
    others = draw(st.integers(0, 1))
    kids = [
        child(f"S{i}", age=a, status="placed", current_place_id="H0", sibling_group="G") for i, a in enumerate(ages)
    ]
    for j in range(draw(st.integers(1, 4 - k + 1))):
        kids.append(
            child(
                f"N{j}",
                age=draw(st.integers(4, 12)),
                urgency=draw(st.sampled_from(["planned", "emergency"])),
                sibling_group=draw(st.sampled_from([None, None, "G"])),
                lives_with_others=draw(st.sampled_from(["yes", "yes", "yes", "no"])),
            )
        )
    homes = [
        place(
            "H0",
            miles=float(draw(st.integers(0, 60))),
            setting=setting,
            provider="in_house" if setting == "foster" else "private",
            vacancies=draw(st.integers(0, 1)),
            children_in_placement=k + others,
            sibling_exemption=draw(st.sampled_from(["no", "yes"])),
        )
    ]
    for j in (1, 2):
        h_setting = draw(st.sampled_from(["foster", "foster", "residential"]))
        lo = draw(st.integers(0, 12))
        homes.append(
            place(
                f"H{j}",
                miles=float(draw(st.integers(0, 60))),
                setting=h_setting,
                provider="in_house" if h_setting == "foster" else "private",
                vacancies=draw(st.integers(0, 3)),
                children_in_placement=draw(st.integers(0, 2)),
                age_min=lo,
                age_max=draw(st.integers(lo, 17)),
                sibling_exemption=draw(st.sampled_from(["no", "no", "yes"])),
            )
        )
    return instance(kids, homes)


MOVE_COST = st.sampled_from([0, 150, 300, 551, 700])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(siblings_at_home(), STABILITY, MOVE_COST)
def test_bound_holds_for_siblings_living_together(inst: Instance, stability: str, cost: int) -> None:
    pol = policy(stability=stability, weights={"moves_settled_child": cost})
    check(inst, True, pol)
    daily, settled = freed(inst)
    check(daily, False, pol, settled)


def _siblings_together(**kw: object) -> Instance:
    """A (6) and B (8) live together in R1, a children's home with no other room; F1, a foster family for one
    8-year-old, would gain B more than a move costs; N (14, an emergency) can live only in R1."""
    return instance(
        [
            child("A", age=6, status="placed", current_place_id="R1", sibling_group="G"),
            child("B", age=8, status="placed", current_place_id="R1", sibling_group="G"),
            child("N", age=14, settings="residential", urgency="emergency"),
        ],
        [
            place("R1", setting="residential", provider="private", vacancies=0, children_in_placement=2),
            place("F1", age_min=8, age_max=8, **kw),  # type: ignore[arg-type]
        ],
    )


def test_siblings_living_together_tighten_the_bound_to_the_optimum() -> None:
    """B -> F1 is admissible (the pair mask leaves siblings to the patterns), so the plain flow puts B in F1 and N
    in R1: (1 emergency, 3 children). No lawful answer parts A from B, and A and B must keep a home, so N has none:
    the optimum is (0, 2), and the bound now says so (``stable_pairs`` drops B -> F1; the protected come first)."""
    inst = _siblings_together()
    pol = policy()
    elig = _elig(inst, True, pol)
    b = next(r for r, c in enumerate(elig.kids) if c.child_id == "B")
    assert elig.admissible[b, 1]
    assert not flows.stable_pairs(elig, elig.admissible)[b, 1]
    assert plain_bound(elig) == (1, 3)
    assert brute_force(inst, True, pol)[:2] == (0, 2)
    assert flows.tier_bound(elig) == (0, 2)
    assert check(inst, True, pol) == (True, True)
    # Under allow_moves the plain bound is the optimum and nothing changes.
    moves = policy(stability="allow_moves")
    assert flows.tier_bound(_elig(inst, True, moves)) == (1, 3) == brute_force(inst, True, moves)[:2]


def test_a_protected_child_comes_before_an_emergency() -> None:
    """S (7) lives with foster carer F1, which has no other room, and may not leave a foster family for R1; N (7),
    an emergency, needs a foster family and only F1 would do. The plain bound gives F1 to N: (1, 1); every lawful
    answer keeps S there: (0, 1)."""
    inst = instance(
        [
            child("S", age=7, status="placed", current_place_id="F1"),
            child("N", age=7, settings="foster", urgency="emergency"),
        ],
        [
            place("F1", vacancies=0, children_in_placement=1),
            place("R1", setting="residential", provider="private", weekly_cost=4000),
        ],
    )
    for stability in ("protect", "strict"):
        pol = policy(stability=stability)
        elig = _elig(inst, True, pol)
        assert plain_bound(elig) == (1, 1)
        assert flows.tier_bound(elig) == (0, 1) == brute_force(inst, True, pol)[:2]
        check(inst, True, pol)


def test_a_move_that_gains_too_little_is_pruned_and_one_that_gains_enough_is_kept() -> None:
    """A (8) and B (8) live together in a children's home R1; F2, a foster family with room for both, gains each
    550 points (a family for an under-12, the setting's rank): a lawful move for both. With a move costing 551
    points it is not, and ``stable_pairs`` drops both pairs."""
    inst = instance(
        [
            child("A", age=8, status="placed", current_place_id="R1", sibling_group="G"),
            child("B", age=8, status="placed", current_place_id="R1", sibling_group="G"),
        ],
        [
            place("R1", setting="residential", provider="private", vacancies=0, children_in_placement=2),
            place("F2", vacancies=2),
        ],
    )
    for cost, kept in ((550, True), (551, False)):
        pol = policy(weights={"moves_settled_child": cost})
        elig = _elig(inst, True, pol)
        assert elig.protected.all() and elig.admissible[:, 1].all()
        moves = flows.stable_pairs(elig, elig.admissible)[:, 1]
        assert bool(moves.all()) is kept and bool(moves.any()) is kept  # both pairs kept, or both dropped
        assert check(inst, True, pol) == (True, True)
        home = flows.bundled_flow(elig, full_pairs(elig))
        assert set(home.values()) == ({1} if kept else {0})  # the pair moves together or stays together


@pytest.mark.parametrize("vacancies", [1, 2])
def test_bundled_start_moves_siblings_only_together(vacancies: int) -> None:
    """A and B live together in R1; F2 would gain each of them the move only if it can take both."""
    inst = instance(
        [
            child("A", age=8, status="placed", current_place_id="R1", sibling_group="G"),
            child("B", age=8, status="placed", current_place_id="R1", sibling_group="G"),
        ],
        [
            place("R1", setting="residential", provider="private", vacancies=0, children_in_placement=2),
            place("F2", vacancies=vacancies),
        ],
    )
    pol = policy()
    elig = _elig(inst, True, pol)
    home = flows.bundled_flow(elig, full_pairs(elig))
    assignment = {elig.kids[r].child_id: inst.places[p].place_id for r, p in home.items()}
    assert assignment == ({"A": "F2", "B": "F2"} if vacancies == 2 else {"A": "R1", "B": "R1"})
    assert validate(inst, assignment, AS_OF, True, pol) == []


def _pinned_chain() -> Instance:
    """Region-s1's emergency child E-C0310 in small. E (8, an emergency) must live alone and only F1 suits them; S1
    and S2 live in F1 today. P, whose need only F2 meets, lives in F2 (room for one) and cannot move, so S1 (a boy:
    F3 takes girls) has only F1 left; S2 may move to F3. A move gaining nothing is allowed (cost 0)."""
    return instance(
        [
            child("E", age=8, urgency="emergency", lives_with_others="no"),
            child("S1", age=9, status="placed", current_place_id="F1"),
            child("S2", age=9, sex="F", status="placed", current_place_id="F1"),
            child("P", age=9, status="placed", current_place_id="F2", needs="disability"),
        ],
        [
            place("F1", vacancies=0, children_in_placement=2),
            place("F2", vacancies=0, children_in_placement=1, age_min=9, meets_needs="disability"),
            place("F3", age_min=9, sex="F"),
        ],
    )


def test_children_pinned_to_their_home_tighten_the_bound_to_the_optimum() -> None:
    """The flow lets E take one of F1's two places beside S1 (S2 moving to F3): (1 emergency, 4 children). But P
    keeps F2, so S1 keeps F1, and E cannot live alone there: the optimum is (0, 3), and ``pinned_pairs`` says so."""
    inst = _pinned_chain()
    pol = policy(weights={"moves_settled_child": 0})
    elig = _elig(inst, True, pol)
    row = {c.child_id: r for r, c in enumerate(elig.kids)}
    assert elig.protected[[row["S1"], row["S2"], row["P"]]].all()
    ok = flows.stable_pairs(elig, elig.admissible)
    assert ok[row["S1"], 1] and ok[row["E"], 0]  # S1 may move to F2 and E may live in F1, pair by pair
    pinned = flows.pinned_pairs(elig, ok, top_room(elig))
    assert not pinned[row["S1"], 1] and not pinned[row["E"], 0]
    assert pinned[row["S2"], 2]  # S2's move to F3 stays: F1 has room for S2
    assert plain_bound(elig) == (1, 4)
    assert brute_force(inst, True, pol)[:2] == (0, 3)
    assert flows.tier_bound(elig) == (0, 3)
    check(inst, True, pol)


def test_a_pinned_child_who_must_live_alone_keeps_others_out_but_not_their_brothers_and_sisters() -> None:
    """L must live alone and lives in R1 (room for two), where nothing else suits them; their sister M, newly in
    care, may join them there, a stranger N may not."""
    inst = instance(
        [
            child("L", age=14, status="placed", current_place_id="R1", lives_with_others="no", sibling_group="G"),
            child("M", age=13, sibling_group="G", urgency="emergency"),
            child("N", age=13, urgency="emergency"),
        ],
        [place("R1", setting="residential", provider="private", vacancies=1, children_in_placement=1)],
    )
    pol = policy()
    elig = _elig(inst, True, pol)
    pinned = flows.pinned_pairs(elig, elig.admissible, top_room(elig))
    assert pinned[:, 0].tolist() == [True, True, False]
    assert flows.tier_bound(elig) == (1, 2) == brute_force(inst, True, pol)[:2]
    check(inst, True, pol)


@st.composite
def crowded_homes(draw: st.DrawFn) -> Instance:
    """Two or three homes full or nearly full of settled children (some who must live alone, some whose need only
    their own home meets, some brothers and sisters), and a newcomer or two, emergencies now and then: the
    cases where ``pinned_pairs`` decides."""
    m = draw(st.integers(2, 3))
    kids, homes = [], []
    for j in range(m):
        k = draw(st.integers(1, 2)) if j == 0 else 1  # few children: brute force is exponential in them
        setting = draw(st.sampled_from(["foster", "residential"]))
        need = draw(st.sampled_from(["", "disability"]))
        for i in range(k):
            kids.append(
                child(
                    f"S{j}{i}",
                    age=draw(st.integers(9, 11)),
                    sex=draw(st.sampled_from(["M", "F"])),
                    status="placed",
                    current_place_id=f"H{j}",
                    needs=draw(st.sampled_from(["", need])),
                    sibling_group=draw(st.sampled_from([None, f"G{j}", "A"])),
                    lives_with_others="no" if k == 1 and draw(st.booleans()) else "yes",
                )
            )
        homes.append(
            place(
                f"H{j}",
                miles=float(draw(st.integers(0, 30))),
                setting=setting,
                provider="in_house" if setting == "foster" else "private",
                vacancies=draw(st.integers(0, 1)),
                children_in_placement=k,
                meets_needs=need,
                sex=draw(st.sampled_from(["any", "any", "M", "F"])),
            )
        )
    for i in range(draw(st.integers(1, 4 - m))):
        kids.append(
            child(
                f"N{i}",
                age=draw(st.integers(9, 11)),
                sex=draw(st.sampled_from(["M", "F"])),
                urgency=draw(st.sampled_from(["planned", "emergency"])),
                sibling_group=draw(st.sampled_from([None, None, "A"])),
                lives_with_others=draw(st.sampled_from(["yes", "no"])),
            )
        )
    return instance(kids, homes)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crowded_homes(), STABILITY, st.sampled_from([0, 150]))
def test_bound_holds_when_settled_children_are_pinned(inst: Instance, stability: str, cost: int) -> None:
    pol = policy(stability=stability, weights={"moves_settled_child": cost})
    check(inst, True, pol)
    daily, settled = freed(inst)
    check(daily, False, pol, settled)


def test_bundled_start_moves_a_child_who_lives_alone_to_free_their_home_for_another() -> None:
    """L must live alone and lives in R1, a children's home for one; N, an emergency who must live alone too, suits
    only R1 (age 13: R2 takes 14-17). L may move to R2, also for one: the start houses both, as the optimum does
    (region-s1: E10000007-C0968 and E10000007-C0003 waited for such homes while their occupants were kept there)."""
    inst = instance(
        [
            child("L", age=14, status="placed", current_place_id="R1", lives_with_others="no", settings="residential"),
            child("N", age=13, urgency="emergency", lives_with_others="no", settings="residential"),
        ],
        [
            place("R1", setting="residential", provider="private", vacancies=0, children_in_placement=1),
            place("R2", setting="residential", provider="private", vacancies=1, age_min=14),
        ],
    )
    pol = policy(weights={"moves_settled_child": 0})
    elig = _elig(inst, True, pol)
    home = flows.bundled_flow(elig, full_pairs(elig), fix_exclusive=False)
    assignment = {elig.kids[r].child_id: inst.places[p].place_id for r, p in home.items()}
    assert assignment == {"L": "R2", "N": "R1"}
    assert flows.tier_bound(elig) == (1, 2) == brute_force(inst, True, pol)[:2]
    assert check(inst, True, pol) == (True, True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    inst=tiny_instances(max_children=6, max_places=4, settled=True),
    k=st.sampled_from([None, 1]),
    seed=st.integers(0, 2**16),
)
def test_a_start_is_judged_lawful_before_the_patterns_as_after_them(inst: Instance, k: int | None, seed: int) -> None:
    """``patterns.expresses`` (judged as soon as a flow start is found) agrees with ``match._lawful`` (judged on
    the model's columns, the start's pairs among them), for both starts over every admissible pair and for
    a proposal of random admissible homes (which the flows' construction does not keep lawful)."""
    elig = _elig(inst, True, policy(candidates_per_setting=k))
    full = full_pairs(elig)
    rng = np.random.default_rng(seed)
    drawn = {}  # each sibling group together in a home that may take each of them, where there is one
    for group in group_rows(elig):
        together = np.flatnonzero(full.admissible[list(group)].all(axis=0))
        for r in group:
            homes = together if len(together) else np.flatnonzero(full.admissible[r])
            if len(homes) and rng.random() < 0.9:
                drawn[r] = int(homes[seed % len(homes)])
    starts = [flows.bundled_flow(elig, full, fix_exclusive=False), flows.groups_first_pairs(elig, full), drawn]
    rows = np.array([r for h in starts for r in h], dtype=np.int64)
    cols = np.array([h[r] for h in starts for r in h], dtype=np.int64)
    new = np.zeros(elig.candidates.shape, dtype=bool)
    new[rows, cols] = True
    new &= ~elig.candidates
    r, p = np.nonzero(new)
    pats = build_patterns(elig, (r, p, full.penalty[r, p]))
    for start in starts:
        assert expresses(elig, start) == (_lawful(pats, start) is not None)


def test_a_start_is_not_lawful_when_a_group_overfills_a_home_or_parts_siblings_who_live_together() -> None:
    """The two tests of ``expresses`` that the flows' own construction keeps (so random starts rarely reach them):
    two brothers in a home with room for one, and brothers living together today proposed apart."""
    kids = [child("A", sibling_group="G"), child("B", sibling_group="G")]
    inst = instance(kids, [place("H", 1.0, vacancies=1)])
    elig = _elig(inst, False, policy())
    assert not expresses(elig, {0: 0, 1: 0}) and _lawful(build_patterns(elig), {0: 0, 1: 0}) is None
    kids = [child(c, sibling_group="G", status="placed", current_place_id="H1", settings="foster") for c in ("A", "B")]
    inst = instance(kids, [place("H1", 1.0, vacancies=0, children_in_placement=2), place("H2", 1.0, vacancies=1)])
    elig = _elig(inst, True, policy())
    assert elig.protected.all()
    apart = {0: 0, 1: 1}
    assert not expresses(elig, apart) and _lawful(build_patterns(elig), apart) is None
    assert expresses(elig, {0: 0, 1: 0})
