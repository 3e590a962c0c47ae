"""Solver-independent check of every hard rule: the executable specification.

Written deliberately in plain Python, one rule at a time, sharing no code with the vectorised
eligibility masks or the model, so that a mistake in either shows up here. Every test that
solves also calls :func:`validate`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from placements.areas import upper_tier
from placements.calendar import age_on
from placements.codes import (
    DEFAULT_SETTINGS_16_17,
    DEFAULT_SETTINGS_UNDER_16,
    USUAL_FOSTERING_LIMIT,
    PlaceSex,
    Route,
    Rule,
    Setting,
    Status,
)
from placements.domain import Child, Place
from placements.errors import Problem
from placements.instance import Instance
from placements.io.case_folder import CaseFolder
from placements.policy import Policy


@dataclass(frozen=True)
class Violation:
    rule: Rule | str
    child_id: str | None
    place_id: str | None
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] child {self.child_id} at {self.place_id}: {self.message}"


def _matched(instance: Instance, whole_cohort: bool) -> set[str]:
    """The children a match is about: every child in a whole cohort, else those needing a placement."""
    if whole_cohort:
        return {c.child_id for c in instance.children}
    return {c.child_id for c in instance.children if c.status is Status.NEEDS_PLACEMENT}


def check_held(
    instance: Instance, as_of: dt.date, whole_cohort: bool = False, policy: Policy | None = None
) -> list[Violation]:
    """Every hard rule the team's held pairs break on their own (decisions.csv, ``held``).

    The held children, taken as the only proposal of the day, must be lawful: each pair passes
    every single-child rule, and together they fit each home's room, the fostering limit and
    children who must live alone. A hold that no longer passes (the child's needs or the home's
    approval changed, the vacancy went) is reported, never dropped silently.
    """
    if not instance.held:
        return []
    alone = instance.replace(decisions=())
    # The hard rules only: the stability rule is about the settled children, none of whom is held.
    return _rules(alone, dict(instance.held), as_of, whole_cohort, policy, {})


def held_problems(folder: CaseFolder, whole_cohort: bool = False) -> list[Problem]:
    """:func:`check_held` on a case folder, each problem naming decisions.csv, the held row's line and column.

    The reader checks decisions.csv's structure, codes and references; whether each hold is still
    lawful is a question of the rules, answered here (the command line asks it right after reading).
    """
    out = []
    inst = folder.instance
    for v in check_held(inst, folder.policy.as_of_date(), whole_cohort, folder.policy):
        if v.child_id is not None and v.child_id in inst.held:
            pair = (v.child_id, inst.held[v.child_id])
            text = f"child {v.child_id} is held for {pair[1]}, but that home breaks rule '{v.rule}': {v.message}"
        else:
            pair = next((k, p) for k, p in inst.held.items() if p == v.place_id)
            text = f"the children held for {v.place_id} break rule '{v.rule}' together: {v.message}"
        out.append(Problem(folder.decisions_file or "decisions.csv", folder.decision_lines.get(pair), "place_id", text))
    return out


def validate(
    instance: Instance,
    assignment: dict[str, str],
    as_of: dt.date,
    whole_cohort: bool = False,
    policy: Policy | None = None,
    settled: Mapping[str, str] | None = None,
) -> list[Violation]:
    """Every broken hard rule in ``assignment`` (child_id -> place_id); empty when lawful.

    ``policy`` gives the authority's Ofsted rule (default: the default policy's). With ``policy``
    (``stability`` other than ``allow_moves``), also the stability rule for settled children (in a
    whole cohort every ``placed`` child with a ``current_place_id``; in a daily match those in
    ``settled``, child id -> the home they live in and may keep): see ``stability_violations``.

    With decisions (``instance.decisions``), the proposal is ``assignment`` plus the held
    children, who stay in their held home as if they lived there: a held child may not be in
    ``assignment``, a rejected pair may not be, and the held pairs must themselves be lawful
    (:func:`check_held`).
    """
    out = check_held(instance, as_of, whole_cohort, policy)
    out += _rules(instance, assignment, as_of, whole_cohort, policy, settled or {})
    if policy is not None and policy.stability != "allow_moves":
        out += stability_violations(instance, assignment, as_of, whole_cohort, policy, settled or {})
    return out


def _rules(
    instance: Instance,
    assignment: dict[str, str],
    as_of: dt.date,
    whole_cohort: bool,
    policy: Policy | None,
    settled: Mapping[str, str],
) -> list[Violation]:
    """The hard rules of every match: each child's own and each home's (the team's decisions included)."""
    out: list[Violation] = []
    never = set((policy or Policy()).ofsted.never)
    needs_approval = set((policy or Policy()).ofsted.needs_approval)
    children = {c.child_id: c for c in instance.children}
    places = {p.place_id: p for p in instance.places}

    matched = _matched(instance, whole_cohort)
    # Children living in each home who are not being matched stay where they are.
    staying: dict[str, int] = {pid: p.children_in_placement for pid, p in places.items()}
    room: dict[str, int] = {pid: p.vacancies for pid, p in places.items()}
    if whole_cohort:
        for c in instance.children:
            if c.status is Status.PLACED and c.current_place_id is not None:
                staying[c.current_place_id] -= 1
                room[c.current_place_id] += 1

    # Held children stay in their held home: one place fewer there, one more child living there.
    held_lone: dict[str, list[str]] = defaultdict(list)  # home -> held children who must live alone
    for kid, pid in instance.held.items():
        staying[pid] += 1
        room[pid] -= 1
        if not children[kid].lives_with_others:
            held_lone[pid].append(kid)

    new_at: dict[str, list[str]] = defaultdict(list)
    for kid, pid in assignment.items():
        if kid not in children:
            out.append(Violation("unknown", kid, pid, "no such child"))
            continue
        if kid in instance.held:
            out.append(
                Violation(Rule.DECISION, kid, pid, f"held for {instance.held[kid]} by the team: not matched again")
            )
            continue
        if (kid, pid) in instance.rejected:
            out.append(Violation(Rule.DECISION, kid, pid, "the team rejected this home for this child"))
        if kid not in matched:
            out.append(Violation("scope", kid, pid, "child is not among those being matched"))
            continue
        if pid not in places:
            out.append(Violation("unknown", kid, pid, "no such place"))
            continue
        new_at[pid].append(kid)
        c, p = children[kid], places[pid]
        age = age_on(c.date_of_birth, as_of)
        settings = c.settings or (DEFAULT_SETTINGS_16_17 if age >= 16 else DEFAULT_SETTINGS_UNDER_16)
        if p.setting not in settings:
            out.append(Violation(Rule.SETTING, kid, pid, f"{p.setting} is not among {list(settings)}"))
        if not p.age_min <= age <= p.age_max:
            out.append(Violation(Rule.AGE, kid, pid, f"age {age} outside {p.age_min}-{p.age_max}"))
        if p.sex is not PlaceSex.ANY and p.sex.value != c.sex.value:
            out.append(Violation(Rule.SEX, kid, pid, f"home takes {p.sex.value} only, child is {c.sex.value}"))
        unmet = c.needs - p.meets_needs
        if unmet:
            out.append(Violation(Rule.NEEDS, kid, pid, f"needs not met: {', '.join(sorted(n.value for n in unmet))}"))
        if p.kinship_for and kid not in p.kinship_for:
            out.append(Violation(Rule.KINSHIP, kid, pid, "connected-person carer approved for other children only"))
        if p.setting is Setting.SUPPORTED and not 16 <= age <= 17:
            out.append(Violation(Rule.SUPPORTED_AGE, kid, pid, f"supported accommodation at age {age}"))
        living_there = (c.status is Status.PLACED and c.current_place_id == pid) or settled.get(kid) == pid
        if p.ofsted_rating in never and not living_there:
            out.append(Violation(Rule.OFSTED, kid, pid, f"Ofsted judged the home {p.ofsted_rating.value}"))
        elif p.ofsted_rating in needs_approval and kid not in p.ofsted_approved_for and not living_there:
            out.append(
                Violation(Rule.OFSTED, kid, pid, f"home judged {p.ofsted_rating.value}, child not approved for it")
            )
        avoided = _avoided(c, p)
        if avoided is not None:
            out.append(Violation(Rule.AVOID_AREA, kid, pid, f"the home is in {avoided}, an area this child must avoid"))
        if c.max_distance_miles is not None:
            assert c.home_easting is not None and c.home_northing is not None
            d = round(math.hypot(c.home_easting - p.easting, c.home_northing - p.northing) / 1000 / 1.6093, 1)
            if d > c.max_distance_miles:
                out.append(Violation(Rule.MAX_DISTANCE, kid, pid, f"{d} miles, limit {c.max_distance_miles}"))

    for pid, kids in new_at.items():
        p = places[pid]
        if len(kids) > room[pid]:
            out.append(Violation(Rule.CAPACITY, None, pid, f"{len(kids)} children for {room[pid]} places"))
        groups = {children[k].sibling_group or f"\0{k}" for k in kids}
        one_group = len(groups) == 1
        if p.setting is Setting.FOSTER and not p.sibling_exemption:
            total = staying[pid] + len(kids)
            if total > USUAL_FOSTERING_LIMIT and not (staying[pid] == 0 and one_group):
                out.append(
                    Violation(Rule.FOSTERING_LIMIT, None, pid, f"{total} fostered children and not one sibling group")
                )
        for k in kids:
            if not children[k].lives_with_others:
                mates = [o for o in kids if o != k and children[o].sibling_group != children[k].sibling_group]
                if children[k].sibling_group is None:
                    mates = [o for o in kids if o != k]
                if staying[pid] > 0 or mates:
                    out.append(
                        Violation(
                            Rule.LIVES_ALONE,
                            k,
                            pid,
                            f"must live without other children; {staying[pid]} stay, new: {mates}",
                        )
                    )
        for lone in held_lone.get(pid, ()):
            group = children[lone].sibling_group
            strangers = [k for k in kids if group is None or children[k].sibling_group != group]
            if strangers:
                out.append(
                    Violation(
                        Rule.LIVES_ALONE,
                        lone,
                        pid,
                        f"held here and must live without other children; new: {strangers}",
                    )
                )
    return out


def _avoided(c: Child, p: Place) -> str | None:
    """The first of the child's areas to avoid that home ``p`` lies in (None: none), written out here again.

    A district (``NG7``) holds every postcode whose outward code it is; a sector (``NG7 2``) every postcode
    with that outward code and first inward digit; an ONS code the homes whose authority, or its county, it
    is. No exemption for the child's home today.
    """
    outward, inward = (p.postcode.split(" ") + [""])[:2] if p.postcode else ("", "")
    for area in c.avoid_areas:
        if area[0] in "EWSN" and len(area) == 9 and area[1:].isdigit():
            if p.la_code is not None and area in (p.la_code, upper_tier(p.la_code)):
                return area
        elif " " in area:
            district, digit = area.split(" ")
            if outward and district == outward and inward[:1] == digit:
                return area
        elif outward and area == outward:
            return area
    return None


# ------------------------------------------------------------------------------------------- stability


def _settings(c: Child, as_of: dt.date) -> tuple[Setting, ...]:
    return c.settings or (DEFAULT_SETTINGS_16_17 if age_on(c.date_of_birth, as_of) >= 16 else DEFAULT_SETTINGS_UNDER_16)


def _rank(c: Child, setting: Setting, as_of: dt.date) -> int:
    settings = _settings(c, as_of)
    return settings.index(setting) if setting in settings else len(settings)


def child_parts(
    instance: Instance, c: Child, p: Place, as_of: dt.date, policy: Policy, matched: set[str]
) -> dict[str, int]:
    """The parts of the score that measure the child's own situation in home ``p`` (the sibling group's
    part, siblings living apart, is counted by the caller), in penalty points, written out rule by rule."""
    w = policy.weights
    age = age_on(c.date_of_birth, as_of)
    named = any(c.child_id in q.kinship_for for q in instance.places)
    placed_sibling_homes = set()
    for sib in instance.siblings_of(c.child_id):
        s = instance.children[instance.child_index[sib]]
        if sib not in matched and s.status is Status.PLACED and s.current_place_id:
            placed_sibling_homes.add(s.current_place_id)
    if c.home_easting is None or c.home_northing is None:
        distance = 0
    else:
        d = round(math.hypot(c.home_easting - p.easting, c.home_northing - p.northing) / 1000 / 1.6093, 1)
        distance = round(min(d, w.distance_cap_miles) * w.per_mile)
    if c.school_easting is None or c.school_northing is None:
        school = 0
    else:
        d = round(math.hypot(c.school_easting - p.easting, c.school_northing - p.northing) / 1000 / 1.6093, 1)
        school = round(min(d, w.distance_cap_miles) * w.per_school_mile)
    child_la = upper_tier(c.local_authority or policy.la_code)
    return {
        "setting_rank": _rank(c, p.setting, as_of) * w.setting_rank,
        "under12_not_family": w.under12_not_family if age < 12 and p.setting is not Setting.FOSTER else 0,
        "plan_fit": w.plan_fit
        if Route.LONG_TERM_FOSTER in c.permanence_plan and not (p.setting is Setting.FOSTER and p.long_term)
        else 0,
        "not_kinship": w.not_kinship if named and c.child_id not in p.kinship_for else 0,
        "apart_from_placed_sibling": w.apart_from_placed_sibling
        if placed_sibling_homes and p.place_id not in placed_sibling_homes
        else 0,
        "distance": distance,
        "school_distance": school,
        "out_of_area": w.out_of_area if child_la is not None and child_la != upper_tier(p.la_code) else 0,
    }


def protected_children(
    instance: Instance, as_of: dt.date, whole_cohort: bool, settled: Mapping[str, str]
) -> dict[str, str]:
    """Settled children the stability rule protects, and the home each lives in: those for whom staying is
    lawful (their own rules hold at home, and the settled children living there break no rule of the
    home together). Decided by this module's own rules on today's arrangement."""
    if whole_cohort:
        home = {
            c.child_id: c.current_place_id
            for c in instance.children
            if c.status is Status.PLACED and c.current_place_id is not None
        }
    else:
        needing = {c.child_id for c in instance.children if c.status is Status.NEEDS_PLACEMENT}
        home = {k: v for k, v in settled.items() if k in needing}
    shared = (Rule.CAPACITY, Rule.FOSTERING_LIMIT, Rule.LIVES_ALONE)
    today = _rules(instance, dict(home), as_of, whole_cohort, None, settled)
    broken = {v.child_id for v in today if v.rule not in shared}
    home = {k: v for k, v in home.items() if k not in broken}
    together = _rules(instance, dict(home), as_of, whole_cohort, None, settled)
    bad_homes = {v.place_id for v in together if v.rule in shared}
    return {k: v for k, v in home.items() if v not in bad_homes}


def stability_violations(
    instance: Instance,
    assignment: dict[str, str],
    as_of: dt.date,
    whole_cohort: bool,
    policy: Policy,
    settled: Mapping[str, str],
) -> list[Violation]:
    """The stability rule (``Policy.stability``: ``protect`` or ``strict``), for each protected settled child:

    - they have a home;
    - they live with at least as many of their brothers and sisters being matched as today;
    - if it is another home: its setting is no less preferred for them and not outside a foster family
      if they live in one; none of the parts of the score that measure them (``child_parts``) is higher
      there, except (under ``protect``) distance (from the family and from school) and being in the authority's
      area; and what they gain,
      siblings included, is at least ``weights.moves_settled_child``.
    """
    out: list[Violation] = []
    children = {c.child_id: c for c in instance.children}
    places = {p.place_id: p for p in instance.places}
    matched = _matched(instance, whole_cohort)
    home = protected_children(instance, as_of, whole_cohort, settled)
    w = policy.weights
    for kid, today in home.items():
        c = children[kid]
        now = assignment.get(kid)
        if now is None:
            out.append(Violation(Rule.STABILITY, kid, today, "a settled child left without a home"))
            continue
        sibs = [s for s in instance.siblings_of(kid) if s in matched]
        with_now = sum(1 for s in sibs if home.get(s) == today)
        with_new = sum(1 for s in sibs if s in assignment and assignment[s] == now)
        if with_new < with_now:
            out.append(Violation(Rule.STABILITY, kid, now, f"lives with {with_new} siblings, {with_now} today"))
        if now == today:
            continue
        p, q = places[today], places[now]
        if _rank(c, q.setting, as_of) > _rank(c, p.setting, as_of) or (
            p.setting is Setting.FOSTER and q.setting is not Setting.FOSTER
        ):
            out.append(Violation(Rule.STABILITY, kid, now, f"moved from {p.setting} to {q.setting}"))
        before = child_parts(instance, c, p, as_of, policy, matched)
        after = child_parts(instance, c, q, as_of, policy, matched)
        tradeable = ("distance", "school_distance", "out_of_area") if policy.stability == "protect" else ()
        worse = [k for k in before if after[k] > before[k] and k not in tradeable]
        if worse:
            out.append(Violation(Rule.STABILITY, kid, now, f"worse for the child: {', '.join(worse)}"))
        gain = (
            sum(before.values())
            + w.sibling_apart * (len(sibs) - with_now)
            - sum(after.values())
            - w.sibling_apart * (len(sibs) - with_new)
        )
        if gain < w.moves_settled_child:
            out.append(
                Violation(Rule.STABILITY, kid, now, f"a move gaining the child {gain} points, less than its cost")
            )
    return out
