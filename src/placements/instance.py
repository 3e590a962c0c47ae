"""Instance: the immutable, cross-checked bundle of children and places a match works on."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

from placements.codes import DecisionCode, Status
from placements.domain import Child, Decision, Place


@dataclass(frozen=True)
class CrossProblem:
    """A problem between rows: which table, which row (0-based), which column."""

    table: str  # "children", "places" or "decisions"
    index: int
    column: str
    message: str


def cross_check(
    children: tuple[Child, ...], places: tuple[Place, ...], decisions: tuple[Decision, ...] = ()
) -> list[CrossProblem]:
    """Checks that need more than one row: unique ids, references, occupancy, decisions."""
    problems: list[CrossProblem] = []
    seen: dict[str, int] = {}
    for i, c in enumerate(children):
        if c.child_id in seen:
            problems.append(CrossProblem("children", i, "child_id", f"duplicate child_id {c.child_id!r}"))
        seen.setdefault(c.child_id, i)
    place_ids: dict[str, int] = {}
    for j, p in enumerate(places):
        if p.place_id in place_ids:
            problems.append(CrossProblem("places", j, "place_id", f"duplicate place_id {p.place_id!r}"))
        place_ids.setdefault(p.place_id, j)
    living_there: Counter[str] = Counter()
    for i, c in enumerate(children):
        if c.current_place_id is not None:
            if c.current_place_id not in place_ids:
                problems.append(
                    CrossProblem(
                        "children", i, "current_place_id", f"place {c.current_place_id!r} is not in places.csv"
                    )
                )
            elif c.status is Status.PLACED:
                living_there[c.current_place_id] += 1
    for j, p in enumerate(places):
        for kid in sorted(p.kinship_for):
            if kid not in seen:
                problems.append(CrossProblem("places", j, "kinship_for", f"child {kid!r} is not in children.csv"))
        if living_there[p.place_id] > p.children_in_placement:
            problems.append(
                CrossProblem(
                    "places",
                    j,
                    "children_in_placement",
                    f"{p.children_in_placement} children in placement, but children.csv places "
                    f"{living_there[p.place_id]} children here",
                )
            )
    problems.extend(_check_decisions(children, seen, place_ids, decisions))
    return problems


def _check_decisions(
    children: tuple[Child, ...], child_ids: dict[str, int], place_ids: dict[str, int], decisions: tuple[Decision, ...]
) -> list[CrossProblem]:
    """References, one row per pair, one held home per child, held children still needing a home."""
    problems: list[CrossProblem] = []
    pairs: dict[tuple[str, str], int] = {}
    held: dict[str, int] = {}
    for k, d in enumerate(decisions):
        if d.child_id not in child_ids:
            problems.append(CrossProblem("decisions", k, "child_id", f"child {d.child_id!r} is not in children.csv"))
        if d.place_id not in place_ids:
            problems.append(CrossProblem("decisions", k, "place_id", f"place {d.place_id!r} is not in places.csv"))
        pair = (d.child_id, d.place_id)
        if pair in pairs:
            problems.append(
                CrossProblem(
                    "decisions",
                    k,
                    "place_id",
                    f"a second decision for child {d.child_id!r} and place {d.place_id!r}; keep one row per pair",
                )
            )
        pairs.setdefault(pair, k)
        if d.decision is DecisionCode.HELD:
            if d.child_id in held:
                first = decisions[held[d.child_id]].place_id
                problems.append(
                    CrossProblem(
                        "decisions",
                        k,
                        "decision",
                        f"child {d.child_id!r} is already held for place {first!r}; a child is held for one home",
                    )
                )
            held.setdefault(d.child_id, k)
            i = child_ids.get(d.child_id)
            if i is not None and children[i].status is not Status.NEEDS_PLACEMENT:
                problems.append(
                    CrossProblem(
                        "decisions",
                        k,
                        "decision",
                        f"child {d.child_id!r} is held but has status {children[i].status.value!r}; "
                        "only a child needing a placement can be held for a home",
                    )
                )
    return problems


class Instance(BaseModel):
    """Children and places, checked against each other. Build a variant with ``replace``."""

    model_config = ConfigDict(frozen=True)

    children: tuple[Child, ...]
    places: tuple[Place, ...]
    #: The placement team's decisions (decisions.csv): held and rejected (child, home) pairs.
    decisions: tuple[Decision, ...] = ()

    @model_validator(mode="after")
    def _cross_check(self) -> Instance:
        problems = cross_check(self.children, self.places, self.decisions)
        if problems:
            raise ValueError("; ".join(f"{p.table}[{p.index}].{p.column}: {p.message}" for p in problems))
        return self

    def replace(self, **changes: Any) -> Instance:
        """A new instance with some fields replaced (and checked again)."""
        return Instance(**{"children": self.children, "places": self.places, "decisions": self.decisions, **changes})

    @cached_property
    def child_index(self) -> dict[str, int]:
        return {c.child_id: i for i, c in enumerate(self.children)}

    @cached_property
    def place_index(self) -> dict[str, int]:
        return {p.place_id: j for j, p in enumerate(self.places)}

    @cached_property
    def held(self) -> dict[str, str]:
        """child_id -> place_id for every child the team holds for a home (accepted)."""
        return {d.child_id: d.place_id for d in self.decisions if d.decision is DecisionCode.HELD}

    @cached_property
    def rejected(self) -> frozenset[tuple[str, str]]:
        """(child_id, place_id) pairs the team rejected: never proposed."""
        return frozenset((d.child_id, d.place_id) for d in self.decisions if d.decision is DecisionCode.REJECTED)

    @cached_property
    def sibling_groups(self) -> dict[str, tuple[str, ...]]:
        """Sibling group label -> child ids (groups of two or more only)."""
        groups: dict[str, list[str]] = {}
        for c in self.children:
            if c.sibling_group is not None:
                groups.setdefault(c.sibling_group, []).append(c.child_id)
        return {g: tuple(ids) for g, ids in groups.items() if len(ids) > 1}

    def siblings_of(self, child_id: str) -> tuple[str, ...]:
        c = self.children[self.child_index[child_id]]
        if c.sibling_group is None:
            return ()
        return tuple(k for k in self.sibling_groups.get(c.sibling_group, ()) if k != child_id)

    def to_json(self) -> str:
        # Without decisions the JSON is what it was before decisions existed (instance fingerprints unchanged).
        return self.model_dump_json(exclude={"decisions"} if not self.decisions else None)

    @classmethod
    def from_json(cls, text: str) -> Instance:
        return cls.model_validate_json(text)


@dataclass(frozen=True)
class Piece:
    """Part of an instance: some of its children and some of its homes (``decompose.plan_pieces``)."""

    children: np.ndarray  # instance indices
    places: np.ndarray  # instance indices


def sub_instance(instance: Instance, piece: Piece) -> Instance:
    """The piece as an instance of its own.

    A child living in a home of another piece keeps their status but not the reference (that
    home's count of children living there still includes them, so its room is unchanged); a
    kinship carer keeps only the named children of its own piece. The team's decisions follow
    their pairs: a rejection within the piece is kept; a child held for a home of another piece
    is left out (they are not matched again), and a home of this piece held for a child of another
    takes that child as one living there (its room falls by one), as ``make_scope`` counts a hold.
    """
    place_ids = {instance.places[j].place_id for j in piece.places}
    child_ids = {instance.children[i].child_id for i in piece.children}
    held_elsewhere = {c for c, p in instance.held.items() if c in child_ids and p not in place_ids}
    held_here_from_outside: dict[str, int] = {}
    for c, p in instance.held.items():
        if p in place_ids and c not in child_ids:
            held_here_from_outside[p] = held_here_from_outside.get(p, 0) + 1
    children = []
    for i in piece.children:
        c = instance.children[i]
        if c.child_id in held_elsewhere:
            continue
        if c.current_place_id is not None and c.current_place_id not in place_ids:
            c = c.model_copy(update={"current_place_id": None})
        children.append(c)
    places = []
    for j in piece.places:
        p = instance.places[j]
        if p.kinship_for and not p.kinship_for <= child_ids:
            mine = p.kinship_for & child_ids
            # With none of its children here the carer takes nobody in this piece (an empty
            # ``kinship_for`` would make it an ordinary foster home).
            update: dict[str, Any] = {"kinship_for": frozenset(mine)} if mine else {"vacancies": 0}
            p = p.model_copy(update=update)
        taken = held_here_from_outside.get(p.place_id, 0)
        if taken:
            p = p.model_copy(
                update={
                    "vacancies": max(p.vacancies - taken, 0),
                    "children_in_placement": p.children_in_placement + taken,
                }
            )
        places.append(p)
    kept = child_ids - held_elsewhere
    decisions = tuple(d for d in instance.decisions if d.child_id in kept and d.place_id in place_ids)
    return Instance.model_construct(children=tuple(children), places=tuple(places), decisions=decisions)
