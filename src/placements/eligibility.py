"""Which (child, home) pairs are admissible, why the others are not, and what each pair scores.

Everything here is vectorised over children x places with numpy. The solver only ever sees the
admissible pairs. Rules that involve more than one child (capacity shared by several children,
the usual fostering limit, a child who must live without other children) are pair-level filters
here *and* constraints in the model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from placements.areas import upper_tier
from placements.codes import (
    SUPPORTED_MAX_AGE,
    SUPPORTED_MIN_AGE,
    USUAL_FOSTERING_LIMIT,
    Need,
    PlaceSex,
    Route,
    Rule,
    Setting,
    Status,
    Urgency,
)
from placements.geo import miles
from placements.instance import Instance
from placements.policy import Policy

_NEED_BIT = {need: 1 << i for i, need in enumerate(Need)}
_SETTINGS = list(Setting)

#: Order in which rules are tried when explaining why nothing fits: facts about the child's
#: plan and approval first, geography and capacity last (they are what recruitment can change).
RULE_ORDER: tuple[Rule, ...] = (
    Rule.KINSHIP,
    Rule.SETTING,
    Rule.SUPPORTED_AGE,
    Rule.AGE,
    Rule.SEX,
    Rule.NEEDS,
    Rule.LIVES_ALONE,
    Rule.FOSTERING_LIMIT,
    Rule.OFSTED,
    Rule.CAPACITY,
    Rule.MAX_DISTANCE,
    Rule.DECISION,
)

PENALTY_PARTS: tuple[str, ...] = (
    "setting_rank",
    "under12_not_family",
    "plan_fit",
    "not_kinship",
    "apart_from_placed_sibling",
    "distance",
    "out_of_area",
    "cost",
)


def _bits(needs: frozenset[Need]) -> int:
    out = 0
    for n in needs:
        out |= _NEED_BIT[n]
    return out


@dataclass(frozen=True)
class Scope:
    """Who is matched and into what room.

    Daily match: the children needing a placement, into today's vacancies. Whole cohort: every
    child, each home's room being its vacancies plus the cohort's own children living there.
    """

    children: np.ndarray  # instance indices of the children being matched
    capacity: np.ndarray  # per place: how many of them it can take
    others: np.ndarray  # per place: children living there who are not being matched
    whole_cohort: bool


def make_scope(instance: Instance, whole_cohort: bool) -> Scope:
    """The children being matched and each home's room and others.

    Children the team holds for a home (``decisions.csv``, ``held``) are not matched again: like a
    child already living there, each takes one of the home's places and counts among its others
    (for the fostering limit and for children who must live without other children).
    """
    n_places = len(instance.places)
    vacancies = np.array([p.vacancies for p in instance.places], dtype=np.int64)
    cip = np.array([p.children_in_placement for p in instance.places], dtype=np.int64)
    held = instance.held
    held_at = np.zeros(n_places, dtype=np.int64)
    for pid in held.values():
        held_at[instance.place_index[pid]] += 1
    if whole_cohort:
        chosen = np.array([i for i, c in enumerate(instance.children) if c.child_id not in held], dtype=np.int64)
        living = np.zeros(n_places, dtype=np.int64)
        for c in instance.children:
            if c.status is Status.PLACED and c.current_place_id is not None:
                living[instance.place_index[c.current_place_id]] += 1
        room = np.maximum(vacancies + living - held_at, 0)
        return Scope(chosen, room, cip - living + held_at, True)
    chosen = np.array(
        [i for i, c in enumerate(instance.children) if c.status is Status.NEEDS_PLACEMENT and c.child_id not in held],
        dtype=np.int64,
    )
    return Scope(chosen, np.maximum(vacancies - held_at, 0), cip + held_at, False)


@dataclass
class Eligibility:
    """Rule masks and pair data for the children in scope (rows) against every place (columns)."""

    instance: Instance
    policy: Policy
    scope: Scope
    as_of: dt.date
    ages: np.ndarray = field(init=False)
    distance: np.ndarray = field(init=False)  # miles, NaN when the child's home is unknown

    def __post_init__(self) -> None:
        kids = [self.instance.children[i] for i in self.scope.children]
        self._kids = kids
        self.ages = np.array([c.age_on(self.as_of) for c in kids], dtype=np.int64)
        places = self.instance.places
        pe = np.array([p.easting for p in places], dtype=float)
        pn = np.array([p.northing for p in places], dtype=float)
        ce = np.array([np.nan if c.home_easting is None else c.home_easting for c in kids], dtype=float)
        cn = np.array([np.nan if c.home_northing is None else c.home_northing for c in kids], dtype=float)
        self.distance = (
            miles(ce[:, None], cn[:, None], pe[None, :], pn[None, :]) if kids else np.zeros((0, len(places)))
        )

    @cached_property
    def masks(self) -> dict[Rule, np.ndarray]:
        """Rule -> bool matrix (children in scope x places), True where the pair passes the rule."""
        kids, places, as_of = self._kids, self.instance.places, self.as_of
        n, m = len(kids), len(places)
        ages = self.ages[:, None]
        p_setting = np.array([_SETTINGS.index(p.setting) for p in places], dtype=np.int64)
        suitable = np.zeros((n, len(_SETTINGS)), dtype=bool)
        for i, c in enumerate(kids):
            for s in c.suitable_settings(as_of):
                suitable[i, _SETTINGS.index(s)] = True
        age_min = np.array([p.age_min for p in places])[None, :]
        age_max = np.array([p.age_max for p in places])[None, :]
        p_sex = np.array([p.sex.value for p in places], dtype=object)[None, :]
        c_sex = np.array([c.sex.value for c in kids], dtype=object)[:, None]
        c_needs = np.array([_bits(c.needs) for c in kids], dtype=np.int64)[:, None]
        p_needs = np.array([_bits(p.meets_needs) for p in places], dtype=np.int64)[None, :]
        kinship = np.ones((n, m), dtype=bool)
        for j, p in enumerate(places):
            if p.kinship_for:
                kinship[:, j] = [c.child_id in p.kinship_for for c in kids]
        supported = (p_setting == _SETTINGS.index(Setting.SUPPORTED))[None, :]
        max_d = np.array([np.inf if c.max_distance_miles is None else c.max_distance_miles for c in kids])[:, None]
        limit_applies = self.fostering_limit_applies[None, :]
        lone = np.array([not c.lives_with_others for c in kids], dtype=bool)[:, None]
        others = self.scope.others[None, :]
        with np.errstate(invalid="ignore"):
            within = ~(self.distance > max_d)  # unknown distance never breaks a limit it cannot measure
        not_rejected, held_alone = self._decision_masks()
        ofsted = np.ones((n, m), dtype=bool)
        rule = self.policy.ofsted
        for j, p in enumerate(places):
            if p.ofsted_rating is not None and rule.blocks(p.ofsted_rating, approved=False):
                ofsted[:, j] = [
                    not rule.blocks(p.ofsted_rating, c.child_id in p.ofsted_approved_for)
                    or (c.status is Status.PLACED and c.current_place_id == p.place_id)
                    for c in kids
                ]
        return {
            Rule.SETTING: suitable[:, p_setting] if n else np.zeros((0, m), dtype=bool),
            Rule.AGE: (age_min <= ages) & (ages <= age_max),
            Rule.SEX: (p_sex == PlaceSex.ANY.value) | (p_sex == c_sex),
            Rule.NEEDS: (c_needs & ~p_needs) == 0,
            Rule.KINSHIP: kinship,
            Rule.SUPPORTED_AGE: ~supported | ((ages >= SUPPORTED_MIN_AGE) & (ages <= SUPPORTED_MAX_AGE)),
            Rule.MAX_DISTANCE: np.broadcast_to(within, (n, m)),
            Rule.CAPACITY: np.broadcast_to((self.scope.capacity >= 1)[None, :], (n, m)),
            Rule.FOSTERING_LIMIT: np.broadcast_to(~limit_applies | (others + 1 <= USUAL_FOSTERING_LIMIT), (n, m)),
            Rule.LIVES_ALONE: (~lone | (others == 0)) & held_alone,
            Rule.DECISION: not_rejected,
            Rule.OFSTED: ofsted,
        }

    def _decision_masks(self) -> tuple[np.ndarray, np.ndarray]:
        """The team's decisions as pair masks (children in scope x places).

        ``not_rejected``: False for every pair in decisions.csv marked ``rejected``.
        ``held_alone``: False where the home is held for a child who must live without other
        children, unless this child is one of that child's siblings.
        """
        inst, kids = self.instance, self._kids
        not_rejected = np.ones((len(kids), len(inst.places)), dtype=bool)
        row_of = {c.child_id: i for i, c in enumerate(kids)}
        for cid, pid in inst.rejected:
            if cid in row_of:
                not_rejected[row_of[cid], inst.place_index[pid]] = False
        held_alone = np.ones_like(not_rejected)
        for cid, pid in inst.held.items():
            held_child = inst.children[inst.child_index[cid]]
            if held_child.lives_with_others:
                continue
            j = inst.place_index[pid]
            held_alone[:, j] = [
                held_child.sibling_group is not None and c.sibling_group == held_child.sibling_group for c in kids
            ]
        return not_rejected, held_alone

    @cached_property
    def fostering_limit_applies(self) -> np.ndarray:
        """Per place: foster homes without an exemption are bound by the usual limit of three."""
        return np.array(
            [p.setting is Setting.FOSTER and not p.sibling_exemption for p in self.instance.places], dtype=bool
        )

    @cached_property
    def admissible(self) -> np.ndarray:
        ok = np.ones((len(self._kids), len(self.instance.places)), dtype=bool)
        for mask in self.masks.values():
            ok &= mask
        return ok

    @cached_property
    def child_la(self) -> np.ndarray:
        """Per child in scope: the responsible authority (its own column, else the policy's code),
        as an upper-tier code (a county council, not one of its districts)."""
        return np.array([upper_tier(c.local_authority or self.policy.la_code) for c in self._kids], dtype=object)

    @cached_property
    def place_la(self) -> np.ndarray:
        """Per place: the upper-tier authority it stands in (a district's county, see ``areas``)."""
        return np.array([upper_tier(p.la_code) for p in self.instance.places], dtype=object)

    def in_area(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Per (row, place) pair: the home lies inside the child's responsible authority.

        False when the authority is not known (no code for the child, none in the policy).
        """
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        la = self.child_la[rows]
        return (la != None) & (la == self.place_la[cols])  # noqa: E711 (elementwise on object arrays)

    def knows_area(self) -> bool:
        """Whether any child in scope has a responsible authority, so out-of-area counts mean something."""
        return self.policy.la_code is not None or any(la is not None for la in self.child_la)

    def penalty_parts(self, rows: np.ndarray, cols: np.ndarray) -> pd.DataFrame:
        """Score parts (penalty points, lower is better) for the given (row, place) pairs."""
        if len(rows) == 0:
            return pd.DataFrame({name: np.zeros(0, dtype=np.int64) for name in PENALTY_PARTS})
        w = self.policy.weights
        kids, places = self._kids, self.instance.places
        p_setting = np.array([_SETTINGS.index(p.setting) for p in places], dtype=np.int64)
        rank_of = np.zeros((len(kids), len(_SETTINGS)), dtype=np.int64)  # child x setting -> preference rank
        for i, c in enumerate(kids):
            s = c.suitable_settings(self.as_of)
            rank_of[i] = [s.index(x) if x in s else len(s) for x in _SETTINGS]
        rank = rank_of[rows, p_setting[cols]]
        is_foster = (p_setting == _SETTINGS.index(Setting.FOSTER))[cols]
        long_term = np.array([p.long_term for p in places])[cols]
        ltf_plan = np.array([Route.LONG_TERM_FOSTER in c.permanence_plan for c in kids], dtype=bool)[rows]
        kin_named = set().union(*(p.kinship_for for p in places)) if places else set()
        has_kin = np.array([c.child_id in kin_named for c in kids], dtype=bool)[rows]
        kin_here = np.zeros(len(rows), dtype=bool)
        for k in np.flatnonzero(has_kin):  # only children with a named carer can be with one
            kin_here[k] = kids[rows[k]].child_id in places[cols[k]].kinship_for
        sibling_homes = self._placed_sibling_homes()
        has_placed_sibling = np.array([bool(h) for h in sibling_homes], dtype=bool)
        apart = np.zeros(len(rows), dtype=bool)
        for k in np.flatnonzero(has_placed_sibling[rows] if len(kids) else np.zeros(0, dtype=bool)):
            apart[k] = places[cols[k]].place_id not in sibling_homes[rows[k]]
        dist = self.distance[rows, cols]
        dist_pts = np.where(np.isnan(dist), 0.0, np.minimum(dist, w.distance_cap_miles) * w.per_mile)
        cost = np.array([p.weekly_cost for p in places])[cols]
        out_area = (self.child_la[rows] != None) & ~self.in_area(rows, cols)  # noqa: E711
        parts = pd.DataFrame(
            {
                "setting_rank": rank * w.setting_rank,
                "under12_not_family": ((self.ages[rows] < 12) & ~is_foster) * w.under12_not_family,
                "plan_fit": (ltf_plan & ~(is_foster & long_term)) * w.plan_fit,
                "not_kinship": (has_kin & ~kin_here) * w.not_kinship,
                "apart_from_placed_sibling": apart * w.apart_from_placed_sibling,
                "distance": np.rint(dist_pts).astype(np.int64),
                "out_of_area": out_area * w.out_of_area,
                "cost": np.rint(cost / 100.0 * w.per_100_gbp_week).astype(np.int64),
            }
        ).astype(np.int64)
        return parts

    def _placed_sibling_homes(self) -> list[frozenset[str]]:
        """For each child in scope: homes where a sibling not being matched lives now, or is held for."""
        inst = self.instance
        in_scope = {inst.children[i].child_id for i in self.scope.children}
        out = []
        for c in self._kids:
            homes = set()
            for sib in inst.siblings_of(c.child_id):
                s = inst.children[inst.child_index[sib]]
                if sib in in_scope:
                    continue
                if sib in inst.held:
                    homes.add(inst.held[sib])
                elif s.status is Status.PLACED and s.current_place_id:
                    homes.add(s.current_place_id)
            out.append(frozenset(homes))
        return out

    @cached_property
    def candidates(self) -> np.ndarray:
        """The admissible pairs the model considers (children in scope x places).

        All of them by default. With ``policy.candidates_per_setting = K``, per child the K nearest
        admissible homes of each setting, plus any connected-person carer named for them: the lever
        that keeps region and national instances to a size a solver can hold (see
        ``../shared/reference/performance.md``). Explanations still use every admissible pair.
        """
        ok = self.admissible
        k = self.policy.candidates_per_setting
        if k is None or ok.shape[1] <= k:
            return ok
        keep = np.zeros_like(ok)
        p_setting = np.array([_SETTINGS.index(p.setting) for p in self.instance.places], dtype=np.int64)
        dist = np.where(np.isnan(self.distance), 0.0, self.distance)
        for s in range(len(_SETTINGS)):
            cols = np.flatnonzero(p_setting == s)
            if len(cols) == 0:
                continue
            sub = np.where(ok[:, cols], dist[:, cols], np.inf)
            if len(cols) <= k:
                keep[:, cols] = ok[:, cols]
                continue
            # Ties at the K-th distance are broken by column order (argpartition is not stable):
            # a stable sort on (distance, column) keeps the choice deterministic.
            order = np.argsort(sub, axis=1, kind="stable")[:, :k]
            rows = np.repeat(np.arange(ok.shape[0]), k)
            chosen = cols[order.ravel()]
            keep[rows, chosen] = True
        keep &= ok
        kin = np.array([bool(p.kinship_for) for p in self.instance.places], dtype=bool)
        keep[:, kin] |= ok[:, kin]
        return keep

    @cached_property
    def pairs(self) -> pd.DataFrame:
        """Candidate pairs: row (position in scope), place (index), distance, penalty parts, penalty."""
        rows, cols = np.nonzero(self.candidates)
        parts = self.penalty_parts(rows, cols)
        frame = pd.DataFrame({"row": rows, "place": cols, "miles": self.distance[rows, cols]})
        frame = pd.concat([frame, parts], axis=1)
        frame["penalty"] = parts.sum(axis=1).astype(np.int64)
        return frame

    @property
    def kids(self) -> list:
        return self._kids

    def emergency(self) -> np.ndarray:
        return np.array([c.urgency is Urgency.EMERGENCY for c in self._kids], dtype=bool)
