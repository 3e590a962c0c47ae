"""Which (child, home) pairs are admissible, why the others are not, and what each pair scores.

Everything here is vectorised over children x places with numpy. The solver only ever sees the
admissible pairs. Rules that involve more than one child (capacity shared by several children,
the usual fostering limit, a child who must live without other children) are pair-level filters
here *and* constraints in the model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
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
from placements.domain import Child
from placements.geo import in_avoided_area, miles
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
    Rule.AVOID_AREA,
    Rule.CAPACITY,
    Rule.MAX_DISTANCE,
    Rule.DECISION,
    Rule.STABILITY,
)

#: Rules about a home's children together rather than one child's fit to it.
HOME_RULES: frozenset[Rule] = frozenset({Rule.CAPACITY, Rule.FOSTERING_LIMIT, Rule.LIVES_ALONE})

PENALTY_PARTS: tuple[str, ...] = (
    "setting_rank",
    "under12_not_family",
    "plan_fit",
    "not_kinship",
    "apart_from_placed_sibling",
    "distance",
    "school_distance",
    "out_of_area",
    "cost",
    "moves_settled_child",
)

#: The parts of the score that measure the child's own situation (not the authority's cost, nor the
#: move itself): a settled child moves only when they gain at least ``weights.moves_settled_child`` in
#: them. The sibling part of a sibling group (``siblings_apart``) is judged per pattern (``model/patterns.py``).
WELFARE_PARTS: tuple[str, ...] = tuple(p for p in PENALTY_PARTS if p not in ("cost", "moves_settled_child"))

#: Parts a settled child's move may never make worse, per ``Policy.stability``: under ``protect`` distance
#: (from the family and from school) and being in the authority's area may trade against the child's own
#: other gains (a foster family two miles further than a children's home), under ``strict`` nothing may be
#: worse. School distance trades as family distance does: both are miles, and a move that brings a child to
#: their kinship carer or their brothers and sisters should not be refused for a longer journey to school;
#: the move must still gain the child at least ``weights.moves_settled_child`` in all, school miles counted.
NEVER_WORSE: dict[str, tuple[str, ...]] = {
    "protect": ("setting_rank", "under12_not_family", "plan_fit", "not_kinship", "apart_from_placed_sibling"),
    "strict": WELFARE_PARTS,
}


#: Pairs handled at once by ``Eligibility._stability`` and ``candidates``: slices of millions of pairs keep
#: the temporary arrays small (fresh pages cost more than the arithmetic at region scale).
_SLICE = 1 << 18


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
    #: Per child in scope: the place index of the home they live in today and may keep (a settled
    #: child), -1 for a child with no home to keep. None: nobody is settled (a daily match).
    settled: np.ndarray | None = None


def make_scope(instance: Instance, whole_cohort: bool, settled: Mapping[str, str] | None = None) -> Scope:
    """Who is matched, and each home's room and others.

    Whole cohort: every child, a ``placed`` child with a ``current_place_id`` being settled there.
    Daily match: the children needing a placement; ``settled`` (child id -> place id) names those
    among them who live in that home today and may stay (a recruitment target's movers, whose
    places already count the vacancy they would leave): they are settled children as in a whole cohort.

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
        at = np.full(len(instance.children), -1, dtype=np.int64)
        for i, c in enumerate(instance.children):
            if c.status is Status.PLACED and c.current_place_id is not None:
                living[instance.place_index[c.current_place_id]] += 1
                at[i] = instance.place_index[c.current_place_id]
        room = np.maximum(vacancies + living - held_at, 0)
        return Scope(chosen, room, cip - living + held_at, True, at[chosen])
    chosen = np.array(
        [i for i, c in enumerate(instance.children) if c.status is Status.NEEDS_PLACEMENT and c.child_id not in held],
        dtype=np.int64,
    )
    room, others = np.maximum(vacancies - held_at, 0), cip + held_at
    if not settled:
        return Scope(chosen, room, others, False)
    at = np.array(
        [instance.place_index[settled[c.child_id]] if c.child_id in settled else -1 for c in instance.children],
        dtype=np.int64,
    )
    return Scope(chosen, room, others, False, at[chosen])


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
        se = np.array([np.nan if c.school_easting is None else c.school_easting for c in kids], dtype=float)
        sn = np.array([np.nan if c.school_northing is None else c.school_northing for c in kids], dtype=float)
        self._grid = (se, sn, pe, pn)  # schools' and homes' grid references, for ``school_miles``

    def school_miles(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Miles from the child's school to the home per (row, place) pair, NaN when the school is unknown.

        Per pair rather than as a matrix like ``distance``: only the priced pairs need it (a fifth of a
        region's 22 million), and most children's school is unknown."""
        se, sn, pe, pn = self._grid
        out = np.full(len(rows), np.nan)
        known = np.flatnonzero(~np.isnan(se[rows]) & ~np.isnan(sn[rows]))
        out[known] = miles(se[rows[known]], sn[rows[known]], pe[cols[known]], pn[cols[known]])
        return out

    @cached_property
    def masks(self) -> dict[Rule, np.ndarray]:
        """Rule -> bool matrix (children in scope x places), True where the pair passes the rule."""
        kids, places, as_of = self._kids, self.instance.places, self.as_of
        n, m = len(kids), len(places)
        ages = self.ages[:, None]
        p_setting = self._place_setting
        suitable = np.zeros((n, len(_SETTINGS)), dtype=bool)
        for i, c in enumerate(kids):
            for s in c.suitable_settings(as_of):
                suitable[i, _SETTINGS.index(s)] = True
        age_min = np.array([p.age_min for p in places])[None, :]
        age_max = np.array([p.age_max for p in places])[None, :]
        sexes: dict[str, int] = {PlaceSex.ANY.value: 0}  # numbers, so that pairs compare as integers
        p_sex = np.array([sexes.setdefault(p.sex.value, len(sexes)) for p in places], dtype=np.int64)[None, :]
        c_sex = np.array([sexes.setdefault(c.sex.value, len(sexes)) for c in kids], dtype=np.int64)[:, None]
        c_needs = np.array([_bits(c.needs) for c in kids], dtype=np.int64)[:, None]
        p_needs = np.array([_bits(p.meets_needs) for p in places], dtype=np.int64)[None, :]
        kinship = np.ones((n, m), dtype=bool)
        kinship[:, [j for j, p in enumerate(places) if p.kinship_for]] = False
        kin_rows, kin_cols = self._kin_pairs
        kinship[kin_rows, kin_cols] = True
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
        row_of = {c.child_id: i for i, c in enumerate(kids)}
        lives_at = np.array(  # per child: the place index of the home they live in today, -1 if none
            [
                self.instance.place_index.get(c.current_place_id, -1)
                if c.status is Status.PLACED and c.current_place_id is not None
                else -1
                for c in kids
            ],
            dtype=np.int64,
        )
        for j, p in enumerate(places):
            if p.ofsted_rating is not None and rule.blocks(p.ofsted_rating, approved=False):
                ofsted[:, j] = lives_at == j
                if not rule.blocks(p.ofsted_rating, approved=True):
                    ofsted[[row_of[cid] for cid in p.ofsted_approved_for if cid in row_of], j] = True
        at = self.settled_at  # a settled child's own home is exempt too (a recruitment target's movers)
        settled_rows = np.flatnonzero(at >= 0)
        ofsted[settled_rows, at[settled_rows]] = True
        out = {
            Rule.SETTING: suitable[:, p_setting] if n else np.zeros((0, m), dtype=bool),
            Rule.AGE: (age_min <= ages) & (ages <= age_max),
            Rule.SEX: (p_sex == 0) | (p_sex == c_sex),
            Rule.NEEDS: (c_needs & ~p_needs) == 0,
            Rule.KINSHIP: kinship,
            Rule.SUPPORTED_AGE: ~supported | ((ages >= SUPPORTED_MIN_AGE) & (ages <= SUPPORTED_MAX_AGE)),
            Rule.MAX_DISTANCE: np.broadcast_to(within, (n, m)),
            Rule.CAPACITY: np.broadcast_to((self.scope.capacity >= 1)[None, :], (n, m)),
            Rule.FOSTERING_LIMIT: np.broadcast_to(~limit_applies | (others + 1 <= USUAL_FOSTERING_LIMIT), (n, m)),
            Rule.LIVES_ALONE: (~lone | (others == 0)) & held_alone,
            Rule.DECISION: not_rejected,
            Rule.OFSTED: ofsted,
            Rule.AVOID_AREA: self._avoid_mask(),
        }
        ok = np.ones((n, m), dtype=bool)
        for mask in out.values():
            ok &= mask
        own = np.ones((n, m), dtype=bool)  # the child's own rules, without the home's shared ones
        for code, mask in out.items():
            if code not in HOME_RULES:
                own &= mask
        out[Rule.STABILITY] = self._stability(ok, own)
        return out

    def _avoid_mask(self) -> np.ndarray:
        """False where the home lies in one of the child's areas to avoid (``Child.avoid_areas``): its postcode in
        an avoided district or sector, or its authority (its own code or the upper tier's) an avoided one. A home
        with no postcode can be excluded by an authority code only. The child's home today is not exempt (unlike
        the Ofsted rule's): the areas are the child's own safety plan, and a home in one is not safe to keep."""
        places = self.instance.places
        out = np.ones((len(self._kids), len(places)), dtype=bool)
        codes = [(p.la_code, upper_tier(p.la_code)) for p in places]
        for i, c in enumerate(self._kids):
            if c.avoid_areas:
                out[i] = [
                    in_avoided_area(c.avoid_areas, p.postcode, la) is None for p, la in zip(places, codes, strict=True)
                ]
        return out

    @cached_property
    def settled_at(self) -> np.ndarray:
        """Per child in scope: the home they live in today and may keep (place index), -1 if none."""
        if self.scope.settled is None:
            return np.full(len(self._kids), -1, dtype=np.int64)
        return self.scope.settled

    @cached_property
    def protected(self) -> np.ndarray:
        """Per child in scope: a settled child the stability rule protects (``Policy.stability`` other than
        ``allow_moves``).

        A settled child is protected when staying where they live is lawful: their own rules hold for
        their home today (every rule but ``HOME_RULES``), and the settled children living there break no
        rule of the home together (capacity, the fostering limit, children who must live without other
        children). Such a child keeps a home
        (the model requires it) and moves only to a home no worse for them (the ``stability`` mask and,
        for sibling groups, ``model/patterns.py``). A settled child whose home today breaks a rule has to
        move and is not protected.
        """
        self.masks  # noqa: B018 (computes the stability mask, which decides who is protected)
        return self._protected

    @cached_property
    def together_today(self) -> np.ndarray:
        """Per child in scope: protected brothers and sisters in scope living in the same home today."""
        out = np.zeros(len(self._kids), dtype=np.int64)
        at, prot = self.settled_at, self.protected
        homes: dict[tuple[str, int], int] = {}
        for r, c in enumerate(self._kids):
            if prot[r] and c.sibling_group is not None:
                homes[(c.sibling_group, int(at[r]))] = homes.get((c.sibling_group, int(at[r])), 0) + 1
        for r, c in enumerate(self._kids):
            if prot[r] and c.sibling_group is not None:
                out[r] = homes[(c.sibling_group, int(at[r]))] - 1
        return out

    @cached_property
    def siblings_in_scope(self) -> np.ndarray:
        """Per child in scope: how many brothers and sisters are matched with them."""
        count: dict[str, int] = {}
        for c in self._kids:
            if c.sibling_group is not None:
                count[c.sibling_group] = count.get(c.sibling_group, 0) + 1
        return np.array([count[c.sibling_group] - 1 if c.sibling_group else 0 for c in self._kids], dtype=np.int64)

    def _lawful_today(self, rows: np.ndarray) -> np.ndarray:
        """The rows (settled, their own pair lawful) whose home today holds its settled children lawfully."""
        at = self.settled_at
        by_home: dict[int, list[int]] = {}
        for r in rows.tolist():
            by_home.setdefault(int(at[r]), []).append(r)
        keep: list[int] = []
        for p, here in by_home.items():
            others = int(self.scope.others[p])
            groups = {self._kids[r].sibling_group or f"\0{r}" for r in here}
            if len(here) > self.scope.capacity[p]:
                continue
            over = self.fostering_limit_applies[p] and others + len(here) > USUAL_FOSTERING_LIMIT
            if over and not (others == 0 and len(groups) == 1):
                continue
            lone = [r for r in here if not self._kids[r].lives_with_others]
            if lone and (others > 0 or len(groups) > 1):
                continue
            keep.extend(here)
        return np.array(sorted(keep), dtype=np.int64)

    def _stability(self, ok: np.ndarray, own: np.ndarray) -> np.ndarray:
        """The stability rule as a pair mask: a protected child's own home, or a home no worse for them.

        No worse: not a less preferred setting (never out of a foster family), none of the parts of the score
        in ``NEVER_WORSE`` higher than at home today, and, for a child matched without
        brothers or sisters, a gain of at least ``weights.moves_settled_child`` (a sibling group's gain
        includes living together, so it is judged per pattern). Everyone else: every home.
        """
        n, m = ok.shape
        mask = np.ones((n, m), dtype=bool)
        self._protected = np.zeros(n, dtype=bool)
        at = self.settled_at
        rows = np.flatnonzero(at >= 0)
        if self.policy.stability == "allow_moves" or len(rows) == 0:
            return mask
        rows = self._lawful_today(rows[own[rows, at[rows]]])
        if len(rows) == 0:
            return mask
        self._protected[rows] = True
        home = at[rows]
        mask[rows] = False
        mask[rows, home] = True
        elsewhere = ok[rows].copy()
        elsewhere[np.arange(len(rows)), home] = False
        # A less preferred setting, or out of a foster family, is never allowed: only the homes left
        # are priced (most settled children live in a foster family, and most homes are not one).
        p_setting = self._place_setting
        rank = self._rank_of[rows]  # per protected child and setting
        settings = rank <= rank[np.arange(len(rows)), p_setting[home]][:, None]
        foster = _SETTINGS.index(Setting.FOSTER)
        settings[p_setting[home] == foster] &= np.arange(len(_SETTINGS)) == foster
        elsewhere &= settings[:, p_setting]
        k, cols = np.nonzero(elsewhere)
        if len(k) == 0:
            return mask
        now = self.penalty_parts(rows, home)
        welfare, hard = list(WELFARE_PARTS), list(NEVER_WORSE[self.policy.stability])
        welfare_now, hard_now = now[welfare].to_numpy().sum(axis=1), now[hard].to_numpy()
        alone = self.siblings_in_scope[rows] == 0
        # Priced in slices: millions of pairs at region scale, and slices keep the temporary arrays small.
        for a in range(0, len(k), _SLICE):
            kk, cc = k[a : a + _SLICE], cols[a : a + _SLICE]
            new = self.penalty_parts(rows[kk], cc)
            worse = (new[hard].to_numpy() > hard_now[kk]).any(axis=1)
            gain = welfare_now[kk] - new[welfare].to_numpy().sum(axis=1)
            enough = ~alone[kk] | (gain >= self.policy.weights.moves_settled_child)
            mask[rows[kk], cc] = ~worse & enough
        return mask

    @cached_property
    def _rank_of(self) -> np.ndarray:
        """Child in scope x setting -> the setting's place in the child's list (the list's length if absent)."""
        return setting_ranks(self._kids, self.as_of)

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
        child, place = self._la_numbers
        la = child[rows]
        inside: np.ndarray = (la >= 0) & (la == place[cols])
        return inside

    @cached_property
    def _la_numbers(self) -> tuple[np.ndarray, np.ndarray]:
        """``child_la`` and ``place_la`` as numbers (one per authority; -1 for a child's unknown authority,
        -2 for a home's), so pairs compare as integers rather than as Python objects."""
        number: dict[str, int] = {}
        child = [-1 if la is None else number.setdefault(la, len(number)) for la in self.child_la]
        place = [-2 if la is None else number.setdefault(la, len(number)) for la in self.place_la]
        return np.array(child, dtype=np.int64), np.array(place, dtype=np.int64)

    def knows_area(self) -> bool:
        """Whether any child in scope has a responsible authority, so out-of-area counts mean something."""
        return self.policy.la_code is not None or any(la is not None for la in self.child_la)

    def penalty_parts(self, rows: np.ndarray, cols: np.ndarray) -> pd.DataFrame:
        """Score parts (penalty points, lower is better) for the given (row, place) pairs."""
        if len(rows) == 0:
            return pd.DataFrame({name: np.zeros(0, dtype=np.int64) for name in PENALTY_PARTS})
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        w = self.policy.weights
        p_setting = self._place_setting
        rank = self._rank_of[rows, p_setting[cols]]
        is_foster = (p_setting == _SETTINGS.index(Setting.FOSTER))[cols]
        long_term = self._place_facts["long_term"][cols]
        ltf_plan = self._child_facts["ltf_plan"][rows]
        has_kin = self._child_facts["has_kin"][rows]
        kin_here = _pairs_in(rows, cols, has_kin, self._kin_pairs, len(self.instance.places))
        sib_rows, sib_cols, has_placed_sibling = self._placed_sibling_homes
        apart = has_placed_sibling[rows]
        apart &= ~_pairs_in(rows, cols, apart, (sib_rows, sib_cols), len(self.instance.places))
        dist = self.distance[rows, cols]
        dist_pts = np.where(np.isnan(dist), 0.0, np.minimum(dist, w.distance_cap_miles) * w.per_mile)
        school = self.school_miles(rows, cols)
        school_pts = np.where(np.isnan(school), 0.0, np.minimum(school, w.distance_cap_miles) * w.per_school_mile)
        cost = self._place_facts["cost"][cols]
        out_area = (self._la_numbers[0][rows] >= 0) & ~self.in_area(rows, cols)
        home_today = self.settled_at[rows]
        moves = (home_today >= 0) & (home_today != cols)
        values = np.empty((len(PENALTY_PARTS), len(rows)), dtype=np.int64)  # one block: no copy into the frame
        for i, part in enumerate(
            (
                rank * w.setting_rank,
                ((self.ages[rows] < 12) & ~is_foster) * w.under12_not_family,
                (ltf_plan & ~(is_foster & long_term)) * w.plan_fit,
                (has_kin & ~kin_here) * w.not_kinship,
                apart * w.apart_from_placed_sibling,
                np.rint(dist_pts),
                np.rint(school_pts),
                out_area * w.out_of_area,
                np.rint(cost / 100.0 * w.per_100_gbp_week),
                moves * w.moves_settled_child,
            )
        ):
            values[i] = np.asarray(part).astype(np.int64)
        return pd.DataFrame(values.T, columns=list(PENALTY_PARTS), copy=False)

    def penalties(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The whole penalty (every part of ``penalty_parts``) of each given (row, place) pair, priced in slices."""
        out = np.zeros(len(rows), dtype=np.int64)
        for a in range(0, len(rows), _SLICE):
            out[a : a + _SLICE] = self.penalty_parts(rows[a : a + _SLICE], cols[a : a + _SLICE]).to_numpy().sum(axis=1)
        return out

    @cached_property
    def _place_setting(self) -> np.ndarray:
        """Per place: its setting's position in ``Setting``."""
        return np.array([_SETTINGS.index(p.setting) for p in self.instance.places], dtype=np.int64)

    @cached_property
    def _place_facts(self) -> dict[str, np.ndarray]:
        """Per place: approved long-term (``long_term``), weekly cost (``cost``)."""
        places = self.instance.places
        return {
            "long_term": np.array([p.long_term for p in places], dtype=bool),
            "cost": np.array([p.weekly_cost for p in places], dtype=float),
        }

    @cached_property
    def _child_facts(self) -> dict[str, np.ndarray]:
        """Per child in scope: a long-term fostering plan (``ltf_plan``), a connected-person carer named
        for them anywhere in the register (``has_kin``)."""
        kin_named = set().union(*(p.kinship_for for p in self.instance.places)) if self.instance.places else set()
        return {
            "ltf_plan": np.array([Route.LONG_TERM_FOSTER in c.permanence_plan for c in self._kids], dtype=bool),
            "has_kin": np.array([c.child_id in kin_named for c in self._kids], dtype=bool),
        }

    @cached_property
    def _kin_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows, places) where the home is a connected-person carer named for the child in scope."""
        row_of = {c.child_id: i for i, c in enumerate(self._kids)}
        pairs = [(row_of[cid], j) for j, p in enumerate(self.instance.places) for cid in p.kinship_for if cid in row_of]
        return _as_pairs(pairs)

    @cached_property
    def _placed_sibling_homes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Homes where a brother or sister not being matched lives now, or is held for: (rows, places) of
        each such home of the register, and per child in scope whether they have any such home (one outside
        the register counts: the child is apart from that sibling in every home)."""
        inst = self.instance
        in_scope = {inst.children[i].child_id for i in self.scope.children}
        homes_of: dict[str, set[str]] = {}  # sibling group -> homes of its members not in scope
        for group, ids in inst.sibling_groups.items():
            homes: set[str] = set()
            for sib in ids:
                s = inst.children[inst.child_index[sib]]
                if sib in in_scope:
                    continue
                if sib in inst.held:
                    homes.add(inst.held[sib])
                elif s.status is Status.PLACED and s.current_place_id:
                    homes.add(s.current_place_id)
            homes_of[group] = homes
        has = np.zeros(len(self._kids), dtype=bool)
        pairs: list[tuple[int, int]] = []
        for r, c in enumerate(self._kids):
            homes = homes_of.get(c.sibling_group, set()) if c.sibling_group is not None else set()
            has[r] = bool(homes)
            pairs.extend((r, inst.place_index[h]) for h in homes if h in inst.place_index)
        rows, cols = _as_pairs(pairs)
        return rows, cols, has

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
        by_setting = [np.flatnonzero(self._place_setting == s) for s in range(len(_SETTINGS))]
        # Each child's choice is their own: in slices of children, so the temporary matrices stay small.
        for a in range(0, ok.shape[0], _SLICE // ok.shape[1] + 1):
            block = slice(a, a + _SLICE // ok.shape[1] + 1)
            dist = np.where(np.isnan(self.distance[block]), 0.0, self.distance[block])
            for cols in by_setting:
                if len(cols) == 0:
                    continue
                if len(cols) <= k:
                    keep[block, cols] = ok[block, cols]
                    continue
                keep[block, cols] = _nearest(np.where(ok[block, cols], dist[:, cols], np.inf), k)
        keep &= ok
        kin = np.array([bool(p.kinship_for) for p in self.instance.places], dtype=bool)
        keep[:, kin] |= ok[:, kin]
        settled = np.flatnonzero(self.settled_at >= 0)  # a settled child's own home is always a candidate
        keep[settled, self.settled_at[settled]] |= ok[settled, self.settled_at[settled]]
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
    def kids(self) -> list[Child]:
        return self._kids

    def emergency(self) -> np.ndarray:
        return np.array([c.urgency is Urgency.EMERGENCY for c in self._kids], dtype=bool)


def setting_ranks(kids: Sequence[Child], as_of: dt.date) -> np.ndarray:
    """Child x setting -> the setting's place in the child's list of suitable settings (the list's length
    if absent): ``setting_rank`` points per step."""
    out = np.zeros((len(kids), len(_SETTINGS)), dtype=np.int64)
    for i, c in enumerate(kids):
        s = c.suitable_settings(as_of)
        out[i] = [s.index(x) if x in s else len(s) for x in _SETTINGS]
    return out


def _nearest(dist: np.ndarray, k: int) -> np.ndarray:
    """Per row of ``dist``: the ``k`` smallest entries, ties at the k-th distance broken by column order (the
    first ``k`` of a stable sort on (distance, column), so the choice is deterministic), found by a partition
    rather than a sort."""
    kth = np.partition(dist, k - 1, axis=1)[:, k - 1 : k]
    out: np.ndarray = dist < kth
    tied = dist == kth
    room = k - out.sum(axis=1)
    crowded = np.flatnonzero(tied.sum(axis=1) > room)  # more ties than places left: the first columns
    tied[crowded] &= np.cumsum(tied[crowded], axis=1) <= room[crowded, None]
    out |= tied
    return out


def _as_pairs(pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """A list of (row, place) pairs as two index arrays."""
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def _pairs_in(
    rows: np.ndarray, cols: np.ndarray, which: np.ndarray, among: tuple[np.ndarray, np.ndarray], n_places: int
) -> np.ndarray:
    """Per given (row, place) pair: whether it is one of ``among``'s pairs, asked only where ``which``
    (the pairs whose child has any pair in ``among``; False elsewhere)."""
    out = np.zeros(len(rows), dtype=bool)
    k = np.flatnonzero(which)
    if len(k) and len(among[0]):
        out[k] = np.isin(rows[k] * n_places + cols[k], among[0] * n_places + among[1])
    return out
