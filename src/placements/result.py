"""The answer of a match: ``MatchResult`` with a typed ``Summary``, and ``build_result``, which makes both.

``build_result`` is the one place an answer (child -> home) becomes the officer's tables and the
manager's counts: the optimiser, the baselines, the bench and the pieces of a national match all
call it, so every method is measured by the same code. ``Summary.to_dict()`` is ``summary.json``;
its keys are a file contract and do not change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from placements.codes import Setting, Urgency
from placements.eligibility import PENALTY_PARTS, Eligibility
from placements.explain import shortlist, unplaced_reasons
from placements.io.writers import csv_text, json_text
from placements.model.patterns import group_rows
from placements.stability import moves

if TYPE_CHECKING:
    from placements.model.score_bound import ScoreTable

#: The score's parts as matches.csv holds them: each pair's parts, and the sibling group's part.
SCORE_PARTS: tuple[str, ...] = (*PENALTY_PARTS, "siblings_apart")

#: Distance beyond which a home counts as far (the DfE's published threshold), miles.
OVER_MILES = 20.0


@dataclass(frozen=True)
class SolverStats:
    """How an answer was found and how good it provably is (before the tables are counted)."""

    status: str  # OPTIMAL, FEASIBLE, HEURISTIC (a baseline), OPTIMAL_PER_PIECE (pieces)
    tiers_1_3_optimal: bool
    bound: float | None  # the score's lower bound (penalty points), None for a heuristic
    backend: str
    seed: int | None
    workers: int
    seconds_pairs: float | None = None
    seconds_build: float | None = None
    seconds_solve: float | None = None
    patterns: int | None = None
    objective: int | None = None  # the solver's own score, checked against the tables' by ``match``
    bound_scope: str | None = None  # which answers the bound and the proofs cover (``match``)
    proven_after: dict[str, float] | None = None  # seconds from the start to each proof ("tiers_1_2", ...)
    tiers_bound: dict[str, int] | None = None  # the most emergency children and children any lawful answer places


def heuristic_stats(name: str) -> SolverStats:
    """Statistics of an answer a heuristic found: nothing proven, no bound."""
    return SolverStats(status="HEURISTIC", tiers_1_3_optimal=False, bound=None, backend=name, seed=None, workers=1)


@dataclass(frozen=True)
class Summary:
    """The counts a manager asks for and the solve's statistics. Field order is ``summary.json``'s key order.

    ``objective`` is the quality score of the answer (penalty points, lower is better), ``bound`` a
    proven lower bound on it and ``gap`` their relative difference; ``bound_scope`` says what the
    bound covers when it is not the whole instance.
    """

    status: str
    tiers_1_3_optimal: bool
    objective: int
    bound: float | None
    gap: float | None
    seconds_pairs: float | None
    seconds_build: float | None
    seconds_solve: float | None
    backend: str
    seed: int | None
    workers: int
    seconds: float
    as_of: str
    whole_cohort: bool
    needing_placement: int
    placed: int
    unplaced: int
    emergency_needing: int
    emergency_placed: int
    sibling_groups: int
    sibling_groups_split: int
    extra_homes_for_split_groups: int
    under12_in_residential: int
    out_of_area: int | None  # None when no child's responsible authority is known
    over_20_miles: int
    total_weekly_cost: float
    admissible_pairs: int
    patterns: int | None
    #: Children matched again who live in a home today (a whole cohort's placed children, a recruitment
    #: target's movers), and how many of them the proposal moves (``matches.csv``: ``moved_from``, ``move_reason``).
    settled_children: int = 0
    settled_moved: int = 0
    # A match in geographic pieces only (``placements.decompose``).
    pieces: int | None = None
    pieces_optimal: int | None = None
    bound_scope: str | None = None
    #: Seconds from the start of the match until each proof: "tiers_1_2", "tier_3", "score" (absent when not proven).
    proven_after: dict[str, float] | None = None
    #: The most emergency children and children any lawful answer for the whole instance places
    #: ({"emergency_placed", "placed"}): a flow over every admissible pair (``model.flows``), or for a
    #: match in pieces over the whole instance (``model.national``).
    tiers_bound: dict[str, int] | None = None

    #: Counts that add up over disjoint pieces of an instance.
    ADDITIVE = (
        "needing_placement",
        "placed",
        "unplaced",
        "emergency_needing",
        "emergency_placed",
        "sibling_groups",
        "sibling_groups_split",
        "extra_homes_for_split_groups",
        "under12_in_residential",
        "out_of_area",
        "over_20_miles",
        "admissible_pairs",
        "patterns",
        "settled_children",
        "settled_moved",
        "objective",
        "bound",
    )

    def to_dict(self) -> dict[str, Any]:
        """``summary.json``: every field, the pieces' fields only for a match in pieces."""
        out = dataclasses.asdict(self)
        for key in ("pieces", "pieces_optimal", "bound_scope", "proven_after", "tiers_bound"):
            if out[key] is None:
                del out[key]
        return out

    def replace(self, **changes: Any) -> Summary:
        return dataclasses.replace(self, **changes)


def relative_gap(objective: float, bound: float | None) -> float | None:
    """(objective - bound) / objective, 0 for a zero objective; None without a bound."""
    if bound is None:
        return None
    return round((objective - bound) / objective, 6) if objective > 0 else 0.0


@dataclass(frozen=True)
class MatchResult:
    """What ``match`` returns: the proposal, how good it provably is, and the officer's tables."""

    assignment: dict[str, str]  # child_id -> place_id, for children placed
    summary: Summary
    matches: pd.DataFrame = field(repr=False)
    shortlist: pd.DataFrame = field(repr=False)
    unplaced: pd.DataFrame = field(repr=False)
    as_of: dt.date = dt.date.min
    whole_cohort: bool = False
    #: Settled children who do not stay where they live: where to, and why (``placements.stability.moves``).
    moves: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    #: A piece of a match in pieces only: its part of the whole instance's score bound (``model.score_bound``).
    score_table: ScoreTable | None = field(default=None, repr=False)

    @property
    def status(self) -> str:
        return self.summary.status

    def to_frame(self) -> pd.DataFrame:
        return self.matches.copy()

    def files(self) -> dict[str, str]:
        """The four files of a match: matches.csv, shortlist.csv, unplaced.csv, summary.json."""
        return {
            "matches.csv": csv_text(self.matches),
            "shortlist.csv": csv_text(self.shortlist),
            "unplaced.csv": csv_text(self.unplaced),
            "summary.json": json_text(self.summary.to_dict()),
        }


def sibling_figures(groups: Mapping[str, Sequence[str]], assignment: Mapping[str, str]) -> tuple[int, set[str], int]:
    """Sibling groups of two or more, the groups split, and the extra homes they use, for ``assignment``.

    ``groups``: each group's child ids that are in the match. A group is split when its members are
    not all in one home (a member without a home counts as being apart); extra homes are, per group,
    the homes its placed members use less one. The summary of one match counts the same way
    (``build_result``); a large instance matched in pieces is counted over the whole instance with
    this, so a group whose members were matched in different pieces is counted as it is.
    """
    multi, extra = 0, 0
    split: set[str] = set()
    for g, ids in groups.items():
        if len(ids) < 2:
            continue
        multi += 1
        homes = {assignment.get(i) for i in ids}
        if len(homes) > 1:
            split.add(g)
        extra += max(len(homes - {None}) - 1, 0)
    return multi, split, extra


def build_result(elig: Eligibility, home_of_row: dict[int, int], solver: SolverStats, t0: float) -> MatchResult:
    """Officer's tables and the summary for a proposal (row in scope -> place index), however it was found.

    Used for the optimiser's answer, the baselines and the bench, so all are measured by the same code.
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
            "location_approximate": [places[c].location_approximate for c in cols],
            "in_area": elig.in_area(rows, cols) if len(rows) else [],
            "weekly_cost": [places[c].weekly_cost for c in cols],
            "ofsted_rating": [places[c].ofsted_rating.value if places[c].ofsted_rating else "" for c in cols],
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
    moved = moves(elig, home_of_row)
    moved_from = dict(zip(moved["child_id"], moved["from_place_id"], strict=True))
    why = dict(zip(moved["child_id"], moved["reason"], strict=True))
    matches["moved_from"] = [moved_from.get(k, "") for k in matches["child_id"]]
    matches["move_reason"] = [why.get(k, "") for k in matches["child_id"]]

    taken_by: dict[int, list[str]] = defaultdict(list)
    for r, c in home_of_row.items():
        taken_by[c].append(elig.kids[r].child_id)
    unplaced = unplaced_reasons(elig, set(home_of_row), taken_by)
    short = shortlist(elig, policy.shortlist_size, home_of_row)

    dist = matches["distance_miles"].to_numpy(dtype=float)
    emergency = np.array([c.urgency is Urgency.EMERGENCY for c in elig.kids], dtype=bool)
    homes_used = [len({home_of_row[r] for r in g if r in home_of_row}) for g in multi]
    objective = int(matches["score_penalty"].sum()) if len(matches) else 0
    summary = Summary(
        status=solver.status,
        tiers_1_3_optimal=solver.tiers_1_3_optimal,
        objective=objective,
        bound=solver.bound,
        gap=relative_gap(objective, solver.bound),
        seconds_pairs=solver.seconds_pairs,
        seconds_build=solver.seconds_build,
        seconds_solve=solver.seconds_solve,
        backend=solver.backend,
        seed=solver.seed,
        workers=solver.workers,
        seconds=round(time.perf_counter() - t0, 3),
        as_of=as_of.isoformat(),
        whole_cohort=whole_cohort,
        needing_placement=len(elig.kids),
        placed=len(home_of_row),
        unplaced=len(elig.kids) - len(home_of_row),
        emergency_needing=int(emergency.sum()),
        emergency_placed=int(sum(emergency[r] for r in home_of_row)),
        sibling_groups=len(multi),
        sibling_groups_split=sum(1 for g in multi if g[0] in split_groups),
        extra_homes_for_split_groups=sum(max(h - 1, 0) for h in homes_used),
        under12_in_residential=int(((matches["age"] < 12) & (matches["setting"] == Setting.RESIDENTIAL.value)).sum()),
        out_of_area=int((~matches["in_area"].astype(bool)).sum()) if elig.knows_area() else None,
        over_20_miles=int((dist > OVER_MILES).sum()),
        total_weekly_cost=round(float(matches["weekly_cost"].sum()), 2),
        admissible_pairs=len(elig.pairs),
        patterns=solver.patterns,
        settled_children=int((elig.settled_at >= 0).sum()),
        settled_moved=len(moved),
        bound_scope=solver.bound_scope,
        proven_after=solver.proven_after,
        tiers_bound=solver.tiers_bound,
    )
    return MatchResult(assignment, summary, matches, short, unplaced, as_of, whole_cohort, moved)
