"""Large instances in pieces: split by geography, match each piece, join the answers.

Why: a national instance (about 83,600 children x 60,000 homes) is 5 billion child-home pairs,
far beyond one model, and the prototype's full MIP never answered (``performance.md``). Children
are matched near home in practice, so the instance splits along geography with little lost:

1. Children are grouped by responsible authority (``local_authority``, else the policy's code),
   sibling groups kept with their first member's authority.
2. Authorities are bisected recursively at the child-weighted median of their centres, along the
   longer side, until each piece holds at most ``max_children`` children (region-sized pieces).
3. Each home goes to the piece of the authority it stands in, or, when no child of that
   authority is in the instance, to the piece whose centre is nearest. A connected-person carer
   goes with the first child named for them.
4. A child who lives in a home of the register goes to that home's piece (so a home's children
   are matched together, and a settled child can stay where they live under the stability rule);
   brothers and sisters without a home go with the first of their group who has one. Pieces may
   then hold a few more than ``max_children``.

Each home belongs to exactly one piece, so the union of the pieces' lawful answers is lawful for
the whole instance (the tests validate it). The pieces' bounds hold piece by piece only: a child
might have been better off in a home of the next piece, so their sum is *not* a bound for the
whole instance. The joined answer is judged against bounds of the whole instance instead: tiers
(1)-(2) by ``model.national`` (``tiers_bound``), the score by ``model.score_bound`` from a table each
piece prices over its admissible pairs (``bound``, ``bound_scope`` "every admissible pair").

Pieces run in a local process pool, or as Ray tasks (``engine="ray"``, with ``placements[ray]``);
each piece is solved single-threaded with the policy's seed, so the answer is the same whatever
the engine or the number of processes.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

from placements.areas import upper_tier
from placements.codes import Urgency
from placements.domain import Place
from placements.instance import Instance, Piece, sub_instance
from placements.match import match
from placements.parallel import parallel_map
from placements.policy import Policy
from placements.result import MatchResult, Summary, relative_gap, sibling_figures

Engine = Literal["local", "ray", "serial"]
log = logging.getLogger(__name__)


def _centre(es: list[float], ns: list[float]) -> tuple[float, float]:
    return (float(np.mean(es)), float(np.mean(ns))) if es else (np.nan, np.nan)


def plan_pieces(instance: Instance, policy: Policy, max_children: int) -> list[Piece]:
    """Partition children and homes into pieces of at most ``max_children`` children (see module doc)."""
    kids, places = instance.children, instance.places
    la_of_group: dict[str, str] = {}
    la_of: list[str] = []
    for c in kids:
        la = upper_tier(c.local_authority or policy.la_code) or "?"
        if c.sibling_group is not None:
            la = la_of_group.setdefault(c.sibling_group, la)
        la_of.append(la)
    las = sorted(set(la_of))
    count = {la: 0 for la in las}
    pts: dict[str, tuple[list[float], list[float]]] = {la: ([], []) for la in las}
    for c, la in zip(kids, la_of, strict=True):
        count[la] += 1
        if c.home_easting is not None and c.home_northing is not None:
            pts[la][0].append(c.home_easting)
            pts[la][1].append(c.home_northing)
    # An authority's centre: its children's family homes, else its homes', else the country's.
    home_pts: dict[str, tuple[list[float], list[float]]] = {}
    for p in places:
        e, n = home_pts.setdefault(upper_tier(p.la_code) or "?", ([], []))
        e.append(p.easting)
        n.append(p.northing)
    fallback = _centre([p.easting for p in places], [p.northing for p in places])
    centre = {}
    for la in las:
        at = _centre(*pts[la])
        if np.isnan(at[0]) and la in home_pts:
            at = _centre(*home_pts[la])
        centre[la] = fallback if np.isnan(at[0]) else at

    def split(group: list[str]) -> list[list[str]]:
        total = sum(count[la] for la in group)
        if total <= max_children or len(group) == 1:
            return [group]
        es = [centre[la][0] for la in group]
        ns = [centre[la][1] for la in group]
        axis = 0 if (max(es) - min(es)) >= (max(ns) - min(ns)) else 1
        ordered = sorted(group, key=lambda la: (centre[la][axis], la))
        running, cut = 0, 1
        for k, la in enumerate(ordered[:-1], start=1):
            running += count[la]
            cut = k
            if running * 2 >= total:
                break
        return split(ordered[:cut]) + split(ordered[cut:])

    groups = split(las)
    piece_of_la = {la: k for k, g in enumerate(groups) for la in g}
    centres = np.array(
        [
            [
                np.average([centre[la][0] for la in g], weights=[max(count[la], 1) for la in g]),
                np.average([centre[la][1] for la in g], weights=[max(count[la], 1) for la in g]),
            ]
            for g in groups
        ]
    )
    child_piece = np.array([piece_of_la[la] for la in la_of], dtype=np.int64)
    child_index, place_index = instance.child_index, instance.place_index
    place_piece = np.full(len(places), -1, dtype=np.int64)
    for j, p in enumerate(places):
        if p.kinship_for:
            continue
        if (home_la := upper_tier(p.la_code)) is not None and home_la in piece_of_la:
            place_piece[j] = piece_of_la[home_la]
        else:
            d = np.hypot(centres[:, 0] - p.easting, centres[:, 1] - p.northing)
            place_piece[j] = int(np.argmin(d))
    # 4. A child living in a home of the register is matched in that home's piece, with everyone
    #    else living there: so the home's room, the fostering limit and living alone are judged
    #    with all its children, and the stability rule can keep a settled child where they live
    #    (a child whose home fell in another piece used to be matched as if homeless).
    lives_at = [place_index.get(c.current_place_id, -1) if c.current_place_id else -1 for c in kids]

    def follow_home(kinship: bool) -> None:
        for i, j in enumerate(lives_at):
            if j >= 0 and bool(places[j].kinship_for) == kinship:
                child_piece[i] = place_piece[j]

    follow_home(kinship=False)
    for j, p in enumerate(places):
        if not p.kinship_for:
            continue
        named = sorted(p.kinship_for)
        if named[0] in child_index:  # with the first child named for the carer
            place_piece[j] = child_piece[child_index[named[0]]]
        else:
            d = np.hypot(centres[:, 0] - p.easting, centres[:, 1] - p.northing)
            place_piece[j] = int(np.argmin(d))
    follow_home(kinship=True)
    # Brothers and sisters without a home join the first of the group who lives in one (unless a
    # connected-person carer is named for them: they stay with that carer).
    named_for_carer = {k for p in places for k in p.kinship_for}
    first_home: dict[str, int] = {}
    for i, c in enumerate(kids):
        if c.sibling_group is not None and lives_at[i] >= 0:
            first_home.setdefault(c.sibling_group, int(child_piece[i]))
    for i, c in enumerate(kids):
        if (
            c.sibling_group is not None
            and lives_at[i] < 0
            and c.sibling_group in first_home
            and c.child_id not in named_for_carer
        ):
            child_piece[i] = first_home[c.sibling_group]
    return [Piece(np.flatnonzero(child_piece == k), np.flatnonzero(place_piece == k)) for k in range(len(groups))]


def _match_piece(args: tuple[Instance, Policy, bool, float]) -> MatchResult:
    """One piece, in a pool process or a Ray task: its share of the limit, less if earlier rounds ran over.

    ``end`` is the wall-clock time (``time.time()``, comparable across processes and, on a cluster
    with synchronised clocks, across machines) by which the pieces should be done.
    """
    instance, policy, whole_cohort, end = args
    left = max(MIN_PIECE_SECONDS, end - time.time())
    if left < policy.time_limit_seconds:
        policy = policy.replace(time_limit_seconds=left)
    # No column generation: the time goes to the answer. The piece prices its part of the whole score bound.
    return match(instance, policy, whole_cohort=whole_cohort, grow_bounds=False, score_table=True)


#: The least time a piece is given, however many pieces share the run's limit.
MIN_PIECE_SECONDS = 5.0
#: The share of the time limit kept for the repair across pieces (at least ``MIN_PIECE_SECONDS``).
REPAIR_SHARE = 0.05
#: The share of the time limit kept for the pieces' tables of the whole-instance score bound (``model.score_bound``):
#: about 1 s per piece of 5,000 children after its solver's limit, in ``ceil(pieces / workers)`` rounds.
BOUND_SHARE = 0.03
#: The share of the time limit kept after the repair, for joining the answers and counting them whole.
FINISH_SHARE = 0.01


def match_in_pieces(
    instance: Instance,
    policy: Policy | None = None,
    whole_cohort: bool = False,
    max_children: int = 6000,
    engine: Engine = "local",
    workers: int | None = None,
    address: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    whole_bound: bool = True,
    repair: bool = True,
    moves: bool = False,
) -> MatchResult:
    """Match a large instance piece by piece (see the module docstring) and join the answers.

    ``policy.time_limit_seconds`` is for the whole run: the whole-instance bound comes first, a share
    (``REPAIR_SHARE``) is kept for the repair and one (``FINISH_SHARE``) for joining, and the pieces
    run ``workers`` at a time, in ``ceil(pieces / workers)`` rounds, so each gets what is left divided
    by the rounds (at least ``MIN_PIECE_SECONDS``), and less when the rounds before it ran over (a
    piece's preparation, and sending it to its process, are outside a piece's own solver limit).

    ``whole_bound``: also bound tiers (1)-(2) over the whole instance (``placements.model.national``,
    in the summary's ``tiers_bound``), and the score of every lawful answer for the whole instance that
    places as many (``placements.model.score_bound``, the summary's ``bound`` and ``gap``). ``repair``: match the children the pieces left without a home
    against the room every piece left (``repair_across_pieces``): a child whose suitable homes are all
    in another piece is not disadvantaged by where the border runs. With fewer workers each piece has
    less time; an answer whose tiers were proven in every piece is the same on any number of workers.
    ``moves``: after the repair, ``repair_by_moves`` (off by default: at England's size its flow alone
    takes about 45 s, beyond the repair's share of the time limit; docs/solvers.md).
    """
    policy = policy or Policy()
    t0 = time.perf_counter()
    pieces = plan_pieces(instance, policy, max_children)
    tiers_bound = None
    if whole_bound:  # first, so that its seconds come out of the time limit like the rest
        from placements.model.national import whole_tier_bound

        # With the policy's Ofsted rule; the stability rule's pinning (``moves="pinned"``) is left out here:
        # it costs about 5 s at England's size and lowered the bound by nothing there (docs/solvers.md).
        e, p = whole_tier_bound(instance, policy.as_of_date(), whole_cohort, policy, moves="free")
        tiers_bound = {"emergency_placed": e, "placed": p}
        away = _away_from_pieces(instance, policy, whole_cohort, pieces)
    subs = [sub_instance(instance, pc) for pc in pieces]
    workers = workers or os.cpu_count() or 1
    slots = 1 if engine == "serial" else min(workers, len(pieces))
    rounds = -(-len(pieces) // max(1, slots))
    reserve = max(MIN_PIECE_SECONDS, REPAIR_SHARE * policy.time_limit_seconds) if repair else 0.0
    # Each piece prices its table of the score bound after its solver's limit: kept back too.
    reserve += BOUND_SHARE * policy.time_limit_seconds if whole_bound else 0.0
    left = policy.time_limit_seconds - (time.perf_counter() - t0) - reserve
    piece_seconds = max(MIN_PIECE_SECONDS, left / max(rounds, 1))
    log.debug(
        "%d pieces planned, bound and cut in %.1f s; %.1f s each", len(pieces), time.perf_counter() - t0, piece_seconds
    )
    piece_policy = policy.replace(workers=1, time_limit_seconds=min(piece_seconds, policy.time_limit_seconds))
    end = time.time() + max(left, 0.0)
    tasks = [(sub, piece_policy, whole_cohort, end) for sub in subs]
    done = [0]

    def tick(_k: int) -> None:
        done[0] += 1
        if progress:
            progress(done[0], len(tasks))

    results: list[MatchResult] = parallel_map(
        _match_piece, tasks, engine=engine, workers=min(workers, len(tasks)), address=address, progress=tick
    )
    joined = join_results(results, policy, whole_cohort, time.perf_counter() - t0)
    log.debug("pieces matched at %.1f s", time.perf_counter() - t0)
    if repair:
        left = max(MIN_PIECE_SECONDS, (1.0 - FINISH_SHARE) * policy.time_limit_seconds - (time.perf_counter() - t0))
        joined = repair_across_pieces(instance, policy.replace(time_limit_seconds=left), whole_cohort, joined)
        log.debug("repair across pieces done at %.1f s", time.perf_counter() - t0)
    if moves:
        left = max(MIN_PIECE_SECONDS, (1.0 - FINISH_SHARE) * policy.time_limit_seconds - (time.perf_counter() - t0))
        joined = repair_by_moves(instance, policy.replace(time_limit_seconds=left), whole_cohort, joined)
    joined = count_groups_whole(instance, whole_cohort, joined)
    if whole_bound:
        joined = _with_score_bound(instance, policy, whole_cohort, pieces, results, joined, away)
    summary = joined.summary.replace(seconds=round(time.perf_counter() - t0, 3))
    if tiers_bound is not None:
        summary = summary.replace(tiers_bound=tiers_bound)
    return dataclasses.replace(joined, summary=summary)


#: ``bound_scope`` of a joined answer's score bound (``model.score_bound``): the bench's "every admissible pair".
WHOLE_SCORE_SCOPE = "every admissible pair"


def _away_from_pieces(instance: Instance, policy: Policy, whole_cohort: bool, pieces: list[Piece]) -> Any:
    """What a home of another piece costs each child at least, but for the homes' prices (``OutOfPiece``):
    built before the pieces run, so its seconds come out of the time limit like the rest."""
    from placements.model.score_bound import OutOfPiece

    piece_of_home = np.full(len(instance.places), -1, dtype=np.int64)
    piece_of_child: dict[str, int] = {}
    for k, pc in enumerate(pieces):
        piece_of_home[pc.places] = k
        for i in pc.children.tolist():
            piece_of_child[instance.children[i].child_id] = k
    return OutOfPiece(instance, policy, whole_cohort, piece_of_child, piece_of_home)


def _with_score_bound(
    instance: Instance,
    policy: Policy,
    whole_cohort: bool,
    pieces: list[Piece],
    results: list[MatchResult],
    joined: MatchResult,
    away: Any,
) -> MatchResult:
    """The joined answer with a bound on its score over the whole instance (``model.score_bound``) for its
    own tiers (1)-(2), or unchanged when a piece priced no table or saw a home's room otherwise than
    the whole instance does (then the bound would not hold). ``away``: ``_away_from_pieces``."""
    from placements.model.score_bound import budgets, home_prices, whole_score_bound

    tables = [r.score_table for r in results]
    if any(t is None for t in tables):
        return joined
    for pc, t in zip(pieces, tables, strict=True):
        assert t is not None
        if not (
            np.array_equal(away.capacity[pc.places], t.capacity) and np.array_equal(away.others[pc.places], t.others)
        ):
            log.warning("a piece saw a home's room otherwise than the whole instance: no score bound")
            return joined
    started = time.perf_counter()
    priced = [t for t in tables if t is not None]
    emergency = {c.child_id: c.urgency is Urgency.EMERGENCY for c in instance.children}
    s = joined.summary
    out = away.costs(
        home_prices(instance, policy, [pc.places for pc in pieces], priced), budgets(instance, policy, priced)
    )
    value, mu_e, mu_p = whole_score_bound(priced, emergency, out, (s.emergency_placed, s.placed))
    bound = max(0, int(np.ceil(value - 1e-6 * max(1.0, abs(value)))))
    log.debug(
        "whole-instance score bound %d (mu_e %.1f, mu_p %.1f) in %.2f s",
        bound,
        mu_e,
        mu_p,
        time.perf_counter() - started,
    )
    summary = s.replace(bound=bound, gap=relative_gap(s.objective, bound), bound_scope=WHOLE_SCORE_SCOPE)
    return dataclasses.replace(joined, summary=summary)


def join_results(results: list[MatchResult], policy: Policy, whole_cohort: bool, seconds: float) -> MatchResult:
    """One result from the pieces': tables concatenated, counts summed, bound scope stated."""
    assignment: dict[str, str] = {}
    for r in results:
        assignment.update(r.assignment)
    summaries = [r.summary for r in results]
    summed: dict[str, Any] = {}
    for key in Summary.ADDITIVE:
        vals = [getattr(s, key) for s in summaries]
        summed[key] = None if any(v is None for v in vals) else sum(vals)
    optimal = sum(1 for s in summaries if s.status == "OPTIMAL")
    objective = summed.pop("objective") or 0
    bound = summed.pop("bound")
    joined = Summary(
        status="OPTIMAL_PER_PIECE" if optimal == len(summaries) else "FEASIBLE",
        tiers_1_3_optimal=all(s.tiers_1_3_optimal for s in summaries),
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound) if bound is not None else None,
        seconds_pairs=round(sum(s.seconds_pairs or 0.0 for s in summaries), 3),
        seconds_build=round(sum(s.seconds_build or 0.0 for s in summaries), 3),
        seconds_solve=round(sum(s.seconds_solve or 0.0 for s in summaries), 3),
        backend=summaries[0].backend if summaries else policy.backend,
        seed=policy.seed,
        workers=policy.workers,
        seconds=round(seconds, 3),
        as_of=summaries[0].as_of if summaries else policy.as_of_date().isoformat(),
        whole_cohort=whole_cohort,
        total_weekly_cost=round(sum(s.total_weekly_cost for s in summaries), 2),
        pieces=len(results),
        pieces_optimal=optimal,
        bound_scope="per piece: the sum of the pieces' bounds, not a bound for the whole instance",
        **summed,
    )
    matches = pd.concat([r.matches for r in results], ignore_index=True) if results else pd.DataFrame()
    shortlist = pd.concat([r.shortlist for r in results], ignore_index=True) if results else pd.DataFrame()
    unplaced = pd.concat([r.unplaced for r in results], ignore_index=True) if results else pd.DataFrame()
    as_of = results[0].as_of if results else policy.as_of_date()
    return MatchResult(assignment, joined, matches, shortlist, unplaced, as_of, whole_cohort)


def whole_groups(instance: Instance, whole_cohort: bool) -> dict[str, tuple[str, ...]]:
    """Each sibling group with two or more members in the match, and those members, over the whole instance."""
    from placements.eligibility import make_scope

    scope = make_scope(instance, whole_cohort)
    in_scope = {instance.children[i].child_id for i in scope.children}
    return {
        g: members
        for g, ids in instance.sibling_groups.items()
        if len(members := tuple(i for i in ids if i in in_scope)) > 1
    }


def count_groups_whole(instance: Instance, whole_cohort: bool, joined: MatchResult) -> MatchResult:
    """The joined answer's sibling figures counted over the whole instance (``result.sibling_figures``).

    Why: each piece counts only the members it matched, so a group whose members were matched in
    two pieces looked whole to each though its members live apart. The summary's groups, groups
    split and extra homes, and the matches' ``split`` column, are counted again over every member.
    """
    groups = whole_groups(instance, whole_cohort)
    n, split, extra = sibling_figures(groups, joined.assignment)
    matches = joined.matches.copy()
    if len(matches):
        matches["split"] = matches["sibling_group"].astype(str).isin(split).to_numpy()
    summary = joined.summary.replace(
        sibling_groups=n, sibling_groups_split=len(split), extra_homes_for_split_groups=extra
    )
    return dataclasses.replace(joined, summary=summary, matches=matches)


#: What the joined bound covers once a repair across pieces has placed children.
REPAIRED_SCOPE = (
    "none: the pieces' bounds held piece by piece before the repair across pieces placed more children; "
    "tiers (1)-(2) are bounded over the whole instance in tiers_bound"
)


def _homes_with_room(
    instance: Instance, scope: Any, placed: dict[str, str], named: set[str], only: set[str] | None = None
) -> list[Place]:
    """Every home (of ``only``, when given) with room left after the children ``placed`` (child id ->
    home id), as a place of its own: its vacancies are that room, and those children count as living
    there (the fostering limit and living alone see them). A home given to a child who must live alone
    is closed, and a connected-person carer keeps only the children of ``named`` it is named for
    (closed when none)."""
    by_id = {c.child_id: c for c in instance.children}
    count = Counter(placed.values())
    closed = {pid for cid, pid in placed.items() if not by_id[cid].lives_with_others}
    places = []
    for j, p in enumerate(instance.places):
        if only is not None and p.place_id not in only:
            continue
        room = int(scope.capacity[j]) - count.get(p.place_id, 0)
        kin = p.kinship_for & named
        if room <= 0 or p.place_id in closed or (p.kinship_for and not kin):
            continue
        living = int(scope.others[j]) + count.get(p.place_id, 0)
        places.append(p.model_copy(update={"vacancies": room, "children_in_placement": living, "kinship_for": kin}))
    return places


def repair_across_pieces(
    instance: Instance,
    policy: Policy,
    whole_cohort: bool,
    joined: MatchResult,
    movable: frozenset[str] = frozenset(),
) -> MatchResult:
    """The children the pieces left without a home, matched against the room the pieces left in every home.

    Why: a piece can place a child only in its own homes, so a child whose suitable homes all stand
    in another piece (a rare need, a border) stays without one though a home has room. This is one
    more match (``placements.match``, a daily match in form) of those children against a copy of
    every home with room left: its vacancies are the room left, the children the pieces placed there
    count as living there (the fostering limit and living alone see them), a home a child who must
    live alone was given is closed, and a connected-person carer keeps only the named children still
    waiting. A waiting child's brothers and sisters placed by a piece in a home with room are known
    as living there, so the score prefers the home that keeps them together. The union is lawful for
    the whole instance (the tests validate it). Sibling terms of the score are counted again over the
    whole answer, since a repaired child may join or leave a sibling placed by a piece.

    ``movable``: children the pieces placed who are matched again with the waiting ones (their places
    are room again; ``repair_by_moves`` chooses them). The answer is kept only when it places at least
    as many emergency children and then children as ``joined``.
    """
    from placements.codes import Setting, Status
    from placements.eligibility import make_scope
    from placements.match import match

    scope = make_scope(instance, whole_cohort)
    in_scope = [instance.children[i] for i in scope.children]
    movable = frozenset(c for c in movable if c in joined.assignment)
    placed = {cid: pid for cid, pid in joined.assignment.items() if cid not in movable}
    waiting = [c for c in in_scope if c.child_id not in placed]
    if not waiting or len(waiting) == len(movable):
        return joined
    waiting_ids = {c.child_id for c in waiting}
    by_id = {c.child_id: c for c in instance.children}
    places = _homes_with_room(instance, scope, placed, waiting_ids)
    kids = [c.model_copy(update={"status": Status.NEEDS_PLACEMENT, "current_place_id": None}) for c in waiting]
    kept = {p.place_id for p in places}
    # Brothers and sisters the pieces placed in a home with room left come too, as living there (not
    # matched again), so the score draws a waiting child to the home of a placed sibling.
    groups_waiting = {c.sibling_group for c in waiting if c.sibling_group is not None}
    kids += [
        by_id[o].model_copy(update={"status": Status.PLACED, "current_place_id": placed[o]})
        for g in sorted(groups_waiting)
        for o in instance.sibling_groups.get(g, ())
        if o in placed and placed[o] in kept
    ]
    # The team's rejections still hold for the children waiting (held children are never waiting).
    rejected = tuple(
        d
        for d in instance.decisions
        if d.child_id in waiting_ids and d.place_id in kept and d.decision.value == "rejected"
    )
    sub = Instance.model_construct(children=tuple(kids), places=tuple(places), decisions=rejected)
    fixed = match(sub, policy, whole_cohort=False, grow_bounds=False)
    if not fixed.assignment:
        return joined
    assignment = {**placed, **fixed.assignment}
    emergency = {c.child_id for c in in_scope if c.urgency.value == "emergency"}
    if movable and _tiers(assignment, emergency) < _tiers(joined.assignment, emergency):
        return joined
    kept_rows = joined.matches[~joined.matches["child_id"].isin(movable)]
    matches = pd.concat([kept_rows, fixed.matches], ignore_index=True)
    # Sibling terms over the whole answer: a repaired child may share a home with a sibling a piece placed.
    weight = policy.weights.sibling_apart
    groups = whole_groups(instance, whole_cohort)
    label = matches["sibling_group"].astype(str).to_numpy()
    apart = []
    for cid, g in zip(matches["child_id"].tolist(), label.tolist(), strict=True):
        members = groups.get(g, ()) if g else ()
        here = assignment[cid]
        apart.append(weight * sum(1 for o in members if o != cid and assignment.get(o) != here))
    matches["score_penalty"] = matches["score_penalty"] - matches["siblings_apart"] + np.array(apart, dtype=np.int64)
    matches["siblings_apart"] = np.array(apart, dtype=np.int64)
    unplaced = pd.concat(
        [joined.unplaced[~joined.unplaced["child_id"].isin(waiting_ids)], fixed.unplaced], ignore_index=True
    )
    s = joined.summary
    dist = matches["distance_miles"].to_numpy(dtype=float)
    summary = s.replace(
        status="FEASIBLE",
        tiers_1_3_optimal=False,
        objective=int(matches["score_penalty"].sum()),
        bound=None,
        gap=None,
        placed=len(assignment),
        unplaced=s.needing_placement - len(assignment),
        emergency_placed=sum(1 for cid in assignment if cid in emergency),
        under12_in_residential=int(((matches["age"] < 12) & (matches["setting"] == Setting.RESIDENTIAL.value)).sum()),
        out_of_area=None if s.out_of_area is None else int((~matches["in_area"].astype(bool)).sum()),
        over_20_miles=int((dist > 20.0).sum()),
        total_weekly_cost=round(float(matches["weekly_cost"].sum()), 2),
        admissible_pairs=s.admissible_pairs + fixed.summary.admissible_pairs,
        patterns=None if s.patterns is None else s.patterns + (fixed.summary.patterns or 0),
        bound_scope=REPAIRED_SCOPE,
    )
    return dataclasses.replace(joined, assignment=assignment, summary=summary, matches=matches, unplaced=unplaced)


def _tiers(assignment: dict[str, str], emergency: set[str]) -> tuple[int, int]:
    """Tiers (1)-(2) of an assignment: emergency children placed, children placed."""
    return sum(1 for cid in assignment if cid in emergency), len(assignment)


def augmenting_moves(instance: Instance, policy: Policy, whole_cohort: bool, joined: MatchResult) -> frozenset[str]:
    """Children ``joined`` placed whom moving could let a waiting child in: the placed children on the
    augmenting paths of one flow (``flows._flow``, emergencies first, then the most children, then the
    fewest placed children moved) over the waiting children and the *movable* ones, into every home
    some waiting child could take, and every home with room.

    Movable: placed in such a home, living in no home today, and in no sibling group with a settled
    member (a protected child's move is judged by the brothers and sisters they live with, so moving
    one could make a lawful move unlawful). The flow relaxes sibling groups, the fostering limit's
    exception and living alone; ``repair_by_moves`` then matches only the children it names, lawfully.
    """
    from collections import Counter

    from placements.codes import Status
    from placements.eligibility import Eligibility, make_scope
    from placements.model.flows import _flow
    from placements.model.pricing import top_room

    scope = make_scope(instance, whole_cohort)
    in_scope = [instance.children[i] for i in scope.children]
    placed = joined.assignment
    waiting = sorted(c.child_id for c in in_scope if c.child_id not in placed)
    if not waiting or not placed:
        return frozenset()
    by_id = {c.child_id: c for c in instance.children}
    ids = set(waiting)
    # Homes a waiting child could take were it empty of the children the pieces placed.
    homes = [
        p.model_copy(
            update={
                "vacancies": int(scope.capacity[j]),
                "children_in_placement": int(scope.others[j]),
                "kinship_for": p.kinship_for & ids,
            }
        )
        for j, p in enumerate(instance.places)
        if scope.capacity[j] >= 1 and (not p.kinship_for or p.kinship_for & ids)
    ]
    kids = [by_id[c].model_copy(update={"status": Status.NEEDS_PLACEMENT, "current_place_id": None}) for c in waiting]
    sub = Instance.model_construct(children=tuple(kids), places=tuple(homes), decisions=())
    elig = Eligibility(sub, policy, make_scope(sub, False), policy.as_of_date())
    wanted = {homes[j].place_id for j in np.flatnonzero(elig.admissible.any(axis=0))}
    settled_groups = {c.sibling_group for c in in_scope if c.current_place_id is not None and c.sibling_group}
    free = {
        cid
        for cid, pid in placed.items()
        if pid in wanted and by_id[cid].current_place_id is None and by_id[cid].sibling_group not in settled_groups
    }
    if not free:
        return frozenset()
    count = Counter(placed.values())
    with_room = {p.place_id for j, p in enumerate(instance.places) if scope.capacity[j] - count.get(p.place_id, 0) >= 1}
    room_inst = _room_left(instance, scope, placed, ids | free, wanted | with_room)
    elig = Eligibility(room_inst, policy, make_scope(room_inst, False), policy.as_of_date())
    rows, cols = np.nonzero(elig.admissible)
    room = top_room(elig)
    keep = room[cols] >= 1
    rows, cols = rows[keep], cols[keep]
    col_of = {p.place_id: j for j, p in enumerate(room_inst.places)}
    now = np.array([col_of.get(placed.get(c.child_id, ""), -1) for c in elig.kids], dtype=np.int64)
    emergency = elig.emergency()
    n = len(elig.kids)
    cost = (cols != now[rows]).astype(np.int64) - (n + 1) * emergency[rows].astype(np.int64)
    r, p = _flow(rows, cols, cost, n, room)
    got = dict(zip(r.tolist(), p.tolist(), strict=True))
    if not any(now[i] < 0 for i in got):
        return frozenset()
    return frozenset(elig.kids[i].child_id for i in range(n) if now[i] >= 0 and got.get(i) != now[i])


def _room_left(instance: Instance, scope: Any, placed: dict[str, str], movable: set[str], homes: set[str]) -> Instance:
    """``homes`` with the room the placed children outside ``movable`` leave (as ``repair_across_pieces``
    counts it), and the ``movable`` children waiting: the flow's instance in ``augmenting_moves``."""
    from placements.codes import Status

    by_id = {c.child_id: c for c in instance.children}
    staying = {cid: pid for cid, pid in placed.items() if cid not in movable}
    places = _homes_with_room(instance, scope, staying, movable, homes)
    kids = [
        by_id[c].model_copy(update={"status": Status.NEEDS_PLACEMENT, "current_place_id": None})
        for c in sorted(movable)
    ]
    return Instance.model_construct(children=tuple(kids), places=tuple(places), decisions=())


def repair_by_moves(instance: Instance, policy: Policy, whole_cohort: bool, joined: MatchResult) -> MatchResult:
    """``repair_across_pieces`` again, now also moving the placed children ``augmenting_moves`` names:
    a waiting child may take a home a piece filled when its child can go elsewhere. Lawful as the
    repair is (one more ``match``; the union validated in the tests); kept only when tiers (1)-(2) do
    not fall."""
    movable = augmenting_moves(instance, policy, whole_cohort, joined)
    if not movable:
        return joined
    return repair_across_pieces(instance, policy, whole_cohort, joined, movable)
