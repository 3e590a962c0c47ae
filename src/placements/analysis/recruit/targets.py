"""Recruitment targets: who a target asks to (re)consider, and whether a match reaches it.

A target is a statement about the engine's proposal, checked on ``match``'s result alone:

- ``all-placed``: every child needing a home has one.
- ``no-under12-residential``: every child under 12 who needs a home, or lives in residential care
  today, lives with a foster family.
- ``siblings-together``: every sibling group that needs a home, or lives apart today, lives whole in
  one home.

``movers`` turns today's cohort into the daily problem the target is about: children the target
concerns who live somewhere today (under-12s in residential care; members of sibling groups living
apart) become children needing a placement, and the place each leaves gains the vacancy, so they
may also stay where they are. Everyone else stays put. This is a pure ``Instance -> Instance``.
The movers are settled children (``settled_homes``): matched under the stability rule, none is left
without a home or moved to a home worse for them, so a target is reached only with no child worse off.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from placements.codes import Setting, Status
from placements.instance import Instance
from placements.result import MatchResult


class Target(StrEnum):
    ALL_PLACED = "all-placed"
    NO_UNDER12_RESIDENTIAL = "no-under12-residential"
    SIBLINGS_TOGETHER = "siblings-together"


#: Age below which a child should live with a family (the Ofsted finding the target answers).
FAMILY_AGE = 12


def movers(instance: Instance, as_of: dt.date, targets: tuple[Target, ...]) -> tuple[Instance, tuple[str, ...]]:
    """The instance in which the target's children need a placement; and those children's ids.

    Sibling groups with a member living outside the register (current_place_id blank) are not
    judged: nothing says where that member lives.
    """
    places = {p.place_id: p for p in instance.places}
    chosen: set[str] = set()
    if Target.NO_UNDER12_RESIDENTIAL in targets:
        for c in instance.children:
            if (
                c.status is Status.PLACED
                and c.current_place_id is not None
                and places[c.current_place_id].setting is Setting.RESIDENTIAL
                and c.age_on(as_of) < FAMILY_AGE
            ):
                chosen.add(c.child_id)
    if Target.SIBLINGS_TOGETHER in targets:
        by_id = {c.child_id: c for c in instance.children}
        for ids in instance.sibling_groups.values():
            kids = [by_id[i] for i in ids]
            if any(k.status is Status.PLACED and k.current_place_id is None for k in kids):
                continue
            homes = {k.current_place_id if k.status is Status.PLACED else None for k in kids}
            if len(homes) > 1:
                chosen.update(k.child_id for k in kids if k.status is Status.PLACED)
    if not chosen:
        return instance, ()
    freed: dict[str, int] = {}
    children = []
    for c in instance.children:
        if c.child_id in chosen:
            assert c.current_place_id is not None
            freed[c.current_place_id] = freed.get(c.current_place_id, 0) + 1
            c = c.model_copy(update={"status": Status.NEEDS_PLACEMENT})
        children.append(c)
    new_places = tuple(
        p.model_copy(
            update={
                "vacancies": p.vacancies + freed[p.place_id],
                "children_in_placement": p.children_in_placement - freed[p.place_id],
            }
        )
        if p.place_id in freed
        else p
        for p in instance.places
    )
    ids = tuple(c.child_id for c in instance.children if c.child_id in chosen)
    return instance.replace(children=tuple(children), places=new_places), ids


def settled_homes(instance: Instance, ids: tuple[str, ...]) -> dict[str, str]:
    """The movers' homes today (child id -> place id): they are settled children, whom the stability rule
    (``Policy.stability``) lets stay, or move only to a home no worse for them."""
    home = {c.child_id: c.current_place_id for c in instance.children}
    return {k: str(home[k]) for k in ids}


def progress(instance: Instance, result: MatchResult, targets: tuple[Target, ...]) -> dict[str, tuple[int, int]]:
    """Per target: (met, of): children or groups that meet it in ``result``, out of those it concerns.

    ``instance`` is the one ``result`` was matched on (daily match); only children needing a
    placement there are judged, as everyone else stays where they are.
    """
    as_of = result.as_of
    scope = [c for c in instance.children if c.status is Status.NEEDS_PLACEMENT]
    home = result.assignment
    setting = {p.place_id: p.setting for p in instance.places}
    out: dict[str, tuple[int, int]] = {}
    for t in targets:
        if t is Target.ALL_PLACED:
            out[t.value] = (sum(1 for c in scope if c.child_id in home), len(scope))
        elif t is Target.NO_UNDER12_RESIDENTIAL:
            young = [c for c in scope if c.age_on(as_of) < FAMILY_AGE]
            ok = sum(1 for c in young if c.child_id in home and setting[home[c.child_id]] is Setting.FOSTER)
            out[t.value] = (ok, len(young))
        else:
            groups = scope_groups(instance)
            ok = sum(1 for g in groups if all(k in home for k in g) and len({home[k] for k in g}) == 1)
            out[t.value] = (ok, len(groups))
    return out


def scope_groups(instance: Instance) -> list[tuple[str, ...]]:
    """Sibling groups of two or more among the children needing a placement (as the engine groups them)."""
    groups: dict[str, list[str]] = {}
    for c in instance.children:
        if c.status is Status.NEEDS_PLACEMENT and c.sibling_group is not None:
            groups.setdefault(c.sibling_group, []).append(c.child_id)
    return [tuple(g) for g in groups.values() if len(g) > 1]


def reached(progress_: dict[str, tuple[int, int]], beyond: dict[str, int] | None = None) -> bool:
    """Every child or group a target concerns meets it, except ``beyond[target]`` that no mix could serve."""
    beyond = beyond or {}
    return all(met >= of - beyond.get(t, 0) for t, (met, of) in progress_.items())
