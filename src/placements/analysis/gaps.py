"""Sufficiency gaps: the cohort as placed today, the best today's homes allow, and the ideal, side by side.

``compute_gaps(instance, policy) -> Gaps`` returns plain data (a headline dict and pandas tables) so the
command line, the HTML report and a notebook all show the same numbers. Every figure is a count or
sum over the one-row-per-child table ``Gaps.children``, so the summary, the breakdowns and the CSVs
cannot disagree. The four states are defined precisely in ``docs/gaps.md``:

- ``today``: each placed child at their ``current_place_id``; children needing a placement are
  unplaced; placed children with no ``current_place_id`` live outside the register (setting
  ``other``, cost unknown).
- ``no_moves``: the best today's homes allow without moving any settled child: every child who lives
  in a home stays there and the children needing one are matched into today's vacancies (the daily
  match, ``match(cohort, policy)``). What recruitment must add to is this.
- ``best``: the whole-cohort optimum of the engine, ``match(cohort, policy, whole_cohort=True)``,
  every child on the register matched again into today's homes only, settled children under the
  policy's stability rule (by default none is moved to a home worse for them, and each move gains the
  child at least what moving costs); children living outside the register stay there (``register_cohort``).
- ``ideal``: what the children need regardless of supply: every child has a home, in the first of
  their suitable settings that fits every route of their permanence plan, near their family home
  (within 20 miles, in the authority's area unless the family lives outside it), with all their
  siblings, at the authority's typical weekly cost for that setting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from placements.codes import AGE_BANDS, ROUTE_SETTINGS, Provider, Route, Rule, Setting, Status, age_band
from placements.domain import Child, Place
from placements.eligibility import RULE_ORDER, Eligibility, make_scope
from placements.geo import miles
from placements.instance import Instance
from placements.io.writers import csv_text, json_text
from placements.match import match
from placements.policy import Policy
from placements.stability import move_counts, moves, moves_sentence

#: The four states, in the order they are shown.
STATES: tuple[str, ...] = ("today", "no_moves", "best", "ideal")
#: Each state in words (tables and charts).
STATE_LABELS: dict[str, str] = {
    "today": "today",
    "no_moves": "best, nobody moves",
    "best": "best, with moves",
    "ideal": "ideal",
}

#: Distance beyond which a home counts as far (the DfE's published threshold).
OVER_MILES = 20.0
WEEKS_PER_YEAR = 52

#: Weekly cost of a setting when the case folder holds no place of it (domain.md: CMA 2021, NAO 2025).
FALLBACK_WEEKLY_COST: dict[Setting, float] = {
    Setting.FOSTER: 400.0,
    Setting.RESIDENTIAL: 3800.0,
    Setting.SUPPORTED: 620.0,
}

#: Metrics of each state, in display order: (name, what it counts). All are sums over ``Gaps.children``.
METRICS: tuple[tuple[str, str], ...] = (
    ("children", "children in the cohort"),
    ("placed", "children with a home (today: including homes outside the register)"),
    ("unplaced", "children without a home (best: unplaceable with today's homes)"),
    ("in_family", "children living with a foster family"),
    ("family_as_needed", "children who need a foster family (ideal) living with one"),
    ("under12_residential", "children under 12 in residential care"),
    ("under5_residential", "children under 5 in residential care"),
    ("siblings_apart", "children in a sibling group not living with every sibling"),
    ("sibling_groups_split", "sibling groups not all in one home"),
    ("over_20_miles", "children placed more than 20 miles from their family home"),
    ("out_of_area", "children placed outside the authority's area"),
    ("plan_mismatch", "children whose home cannot deliver their permanence plan"),
    ("cost_unknown", "placed children whose weekly cost is unknown (outside the register)"),
    ("weekly_cost", "GBP per week, children whose cost is known"),
    ("annual_cost", "GBP per year (52 weeks)"),
)

#: Breakdown dimensions: name -> column of ``Gaps.children`` grouped on.
DIMENSIONS: dict[str, str] = {
    "age_band": "age_band",
    "setting": "preferred_setting",
    "need": "need",
    "sibling_group_size": "sibling_group_size",
    "area": "family_home_area",
}


@dataclass(frozen=True)
class Gaps:
    """What ``compute_gaps`` returns.

    ``headline``: the answer to "how many children could live with a family today, and what is
    missing for the rest" (plain numbers and one sentence). ``children``: one row per child with the
    four states side by side. ``moves``: the settled children the ``best`` state moves, where to and why. ``summary_table``: metric x state. ``by_dimension``: per dimension a
    table (group, metric, today, best, ideal). ``missing``: children who need a family but cannot
    have one even with the best use of today's homes, with the rule that stops them.
    """

    headline: dict[str, Any]
    children: pd.DataFrame = field(repr=False)
    summary_table: pd.DataFrame = field(repr=False)
    by_dimension: dict[str, pd.DataFrame] = field(repr=False)
    missing: pd.DataFrame = field(repr=False)
    solver: dict[str, Any] = field(default_factory=dict)
    as_of: dt.date = dt.date.min
    moves: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table, by the file stem it is written under (``<name>.csv``)."""
        out = {"gaps_summary": self.summary_table}
        out.update({f"gaps_by_{name}": frame for name, frame in self.by_dimension.items()})
        out["gaps_missing"] = self.missing
        out["gaps_moves"] = self.moves
        out["gaps_children"] = self.children
        return out

    def files(self) -> dict[str, str]:
        """Every table as ``<name>.csv`` and the summary as ``gaps_summary.json``."""
        files = {f"{name}.csv": csv_text(frame) for name, frame in self.tables().items()}
        files["gaps_summary.json"] = json_text(self.summary())
        return files

    def summary(self) -> dict[str, Any]:
        """Headline, each metric per state, and the whole-cohort solve's status: what summary.json holds."""
        money = ("weekly_cost", "annual_cost")
        states = {
            s: {
                m: (_plain(v) if m in money else int(v))
                for m, v in zip(self.summary_table["metric"], self.summary_table[s], strict=True)
            }
            for s in STATES
        }
        return {
            "as_of": self.as_of.isoformat(),
            "headline": dict(self.headline),
            "states": states,
            "best_solve": dict(self.solver),
        }


def _plain(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if np.isnan(v) else round(float(v), 2)
    return v


# ----------------------------------------------------------------------------------------- pieces


def reference_costs(instance: Instance) -> dict[Setting, float]:
    """Typical weekly cost per setting: the median of the authority's own (in-house) places of that
    setting, else of every place of it, else the national figure in ``FALLBACK_WEEKLY_COST``."""
    out: dict[Setting, float] = {}
    for s in Setting:
        own = [p.weekly_cost for p in instance.places if p.setting is s and p.provider is Provider.IN_HOUSE]
        every = [p.weekly_cost for p in instance.places if p.setting is s]
        out[s] = float(np.median(own)) if own else float(np.median(every)) if every else FALLBACK_WEEKLY_COST[s]
    return out


def ideal_setting(c: Child, as_of: dt.date) -> tuple[Setting, bool]:
    """The first suitable setting that fits every route of the plan; (setting, fits the plan).

    When none fits (a dual plan, say), the first suitable setting and False: the plan needs attention,
    not the supply.
    """
    settings = c.suitable_settings(as_of)
    for s in settings:
        if all(s in ROUTE_SETTINGS[r] for r in c.permanence_plan):
            return s, True
    return settings[0], not c.permanence_plan


def plan_mismatch(c: Child, place: Place | None) -> bool:
    """The home cannot deliver the plan: a route incompatible with its setting, or a long-term
    foster plan with a carer not approved long-term. Unknown homes are not judged."""
    if place is None or not c.permanence_plan:
        return False
    if any(place.setting not in ROUTE_SETTINGS[r] for r in c.permanence_plan):
        return True
    return Route.LONG_TERM_FOSTER in c.permanence_plan and not (place.setting is Setting.FOSTER and place.long_term)


def _distance(c: Child, place: Place | None) -> float:
    if place is None or c.home_easting is None or c.home_northing is None:
        return float("nan")
    return float(
        miles(np.array(c.home_easting), np.array(c.home_northing), np.array(place.easting), np.array(place.northing))
    )


def _family_area(c: Child, la_code: str | None) -> str:
    if la_code is None or c.home_la is None:
        return "unknown"
    return "in area" if c.home_la == la_code else "out of area"


def _state_columns(
    instance: Instance, policy: Policy, state: str, homes: dict[str, str | None], placed: dict[str, bool]
) -> pd.DataFrame:
    """Per-child columns of a state whose homes are real places (``today`` and ``best``).

    ``homes``: child_id -> place_id (None: no home, or outside the register); ``placed``: child_id ->
    has a home (True for a placed child outside the register).
    """
    places = {p.place_id: p for p in instance.places}
    la = policy.la_code
    as_of = policy.as_of_date()
    rows = []
    for c in instance.children:
        pid = homes.get(c.child_id)
        p = places[pid] if pid is not None else None
        has_home = placed[c.child_id]
        age = c.age_on(as_of)
        d = _distance(c, p)
        setting = p.setting.value if p is not None else ("other" if has_home else "")
        rows.append(
            {
                f"{state}_place_id": pid or "",
                f"{state}_setting": setting,
                f"{state}_provider": p.provider.value if p is not None else "",
                f"{state}_placed": has_home,
                f"{state}_in_family": p is not None and p.setting is Setting.FOSTER,
                f"{state}_under12_residential": p is not None and p.setting is Setting.RESIDENTIAL and age < 12,
                f"{state}_under5_residential": p is not None and p.setting is Setting.RESIDENTIAL and age < 5,
                f"{state}_distance_miles": d,
                f"{state}_over_20_miles": bool(d > OVER_MILES) if not np.isnan(d) else False,
                f"{state}_out_of_area": p is not None and la is not None and p.la_code != la,
                f"{state}_plan_mismatch": plan_mismatch(c, p),
                f"{state}_cost_unknown": has_home and p is None,
                f"{state}_weekly_cost": p.weekly_cost if p is not None else 0.0,
            }
        )
    frame = pd.DataFrame(rows)
    frame[f"{state}_siblings_apart"], frame[f"{state}_group_split"] = _apart(instance, homes, placed)
    return frame


def _apart(instance: Instance, homes: dict[str, str | None], placed: dict[str, bool]) -> tuple[list[bool], list[bool]]:
    """Per child: not living with every sibling; and whether their group is split.

    A child without a home lives with nobody. Siblings both living outside the register are taken
    to live together (nothing says otherwise).
    """

    def key(cid: str) -> str | None:
        if not placed[cid]:
            return None
        return homes.get(cid) or "outside the register"

    apart, split = [], []
    for c in instance.children:
        sibs = instance.siblings_of(c.child_id)
        mine = key(c.child_id)
        apart.append(bool(sibs) and (mine is None or any(key(s) != mine for s in sibs)))
        # As the engine counts it: members in two homes, or some with a home and some without.
        split.append(bool(sibs) and len({key(s) for s in (c.child_id, *sibs)}) > 1)
    return apart, split


def _ideal_columns(instance: Instance, policy: Policy, costs: dict[Setting, float]) -> pd.DataFrame:
    as_of = policy.as_of_date()
    la = policy.la_code
    rows = []
    for c in instance.children:
        if c.status is Status.PLACED and c.current_place_id is None:  # outside the register: not judged
            rows.append(
                {
                    "ideal_place_id": "",
                    "ideal_setting": "other",
                    "ideal_provider": "",
                    "ideal_placed": True,
                    "ideal_in_family": False,
                    "ideal_under12_residential": False,
                    "ideal_under5_residential": False,
                    "ideal_distance_miles": float("nan"),
                    "ideal_over_20_miles": False,
                    "ideal_out_of_area": False,
                    "ideal_plan_mismatch": False,
                    "ideal_cost_unknown": True,
                    "ideal_weekly_cost": 0.0,
                    "ideal_siblings_apart": False,
                    "ideal_group_split": False,
                }
            )
            continue
        s, _fits = ideal_setting(c, as_of)
        age = c.age_on(as_of)
        rows.append(
            {
                "ideal_place_id": "",
                "ideal_setting": s.value,
                "ideal_provider": "",
                "ideal_placed": True,
                "ideal_in_family": s is Setting.FOSTER,
                "ideal_under12_residential": s is Setting.RESIDENTIAL and age < 12,
                "ideal_under5_residential": s is Setting.RESIDENTIAL and age < 5,
                "ideal_distance_miles": float("nan"),
                "ideal_over_20_miles": False,
                "ideal_out_of_area": la is not None and c.home_la is not None and c.home_la != la,
                "ideal_plan_mismatch": not _fits,
                "ideal_cost_unknown": False,
                "ideal_weekly_cost": costs[s],
                "ideal_siblings_apart": False,
                "ideal_group_split": False,
            }
        )
    return pd.DataFrame(rows)


def _facts(instance: Instance, policy: Policy) -> pd.DataFrame:
    """Who each child is, for the breakdowns: no names, no dates, no postcodes."""
    as_of = policy.as_of_date()
    la = policy.la_code
    rows = []
    for c in instance.children:
        age = c.age_on(as_of)
        rows.append(
            {
                "child_id": c.child_id,
                "age": age,
                "age_band": age_band(age),
                "status": c.status.value,
                "sibling_group_size": len(instance.siblings_of(c.child_id)) + 1,
                "needs": ";".join(sorted(n.value for n in c.needs)),
                "preferred_setting": ideal_setting(c, as_of)[0].value,
                "permanence_plan": ";".join(r.value for r in c.permanence_plan),
                "family_home_area": _family_area(c, la),
            }
        )
    return pd.DataFrame(rows)


# -------------------------------------------------------------------------------------- aggregates


def _metric_values(frame: pd.DataFrame, state: str) -> dict[str, float]:
    """Every metric of ``state`` over the rows of ``frame`` (a subset of ``Gaps.children``)."""
    col = lambda m: frame[f"{state}_{m}"]  # noqa: E731
    out: dict[str, float] = {"children": len(frame)}
    out["placed"] = int(col("placed").sum())
    out["unplaced"] = len(frame) - out["placed"]
    for m in (
        "in_family",
        "family_as_needed",
        "under12_residential",
        "under5_residential",
        "siblings_apart",
        "over_20_miles",
        "out_of_area",
        "plan_mismatch",
        "cost_unknown",
    ):
        out[m] = int(col(m).sum())
    # A split group is counted once, at its first member in the frame.
    firsts = frame[frame["sibling_group_size"] > 1].drop_duplicates("_group_key")
    out["sibling_groups_split"] = int(firsts[f"{state}_group_split"].sum())
    out["weekly_cost"] = round(float(col("weekly_cost").sum()), 2)
    out["annual_cost"] = round(out["weekly_cost"] * WEEKS_PER_YEAR, 2)
    return out


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    values = {s: _metric_values(frame, s) for s in STATES}
    rows = []
    for m, meaning in METRICS:
        t, n, b, i = (values[s][m] for s in STATES)
        rows.append(
            {
                "metric": m,
                "today": t,
                "no_moves": n,
                "best": b,
                "ideal": i,
                "today_to_best": round(b - t, 2),
                "no_moves_to_best": round(b - n, 2),
                "best_to_ideal": round(i - b, 2),
                "meaning": meaning,
            }
        )
    return pd.DataFrame(rows)


def _dimension(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    column = DIMENSIONS[name]
    if name == "need":
        exploded = frame.assign(need=frame["needs"].replace("", "none").str.split(";")).explode("need")
        order = sorted(exploded["need"].unique(), key=lambda v: (v == "none", v))
        groups = [(g, exploded[exploded["need"] == g]) for g in order]
    elif name == "age_band":
        groups = [(label, frame[frame["age_band"] == label]) for label, _, _ in AGE_BANDS]
    else:
        groups = [(g, frame[frame[column] == g]) for g in sorted(frame[column].unique())]
    parts = []
    for g, sub in groups:
        if len(sub) == 0:
            continue
        t = _table(sub).drop(columns=["meaning"])
        t.insert(0, name, str(g))
        parts.append(t)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# ------------------------------------------------------------------------------------ what's missing


def _missing(instance: Instance, policy: Policy, children: pd.DataFrame) -> pd.DataFrame:
    """Children whose ideal is a foster family who have none even in the best state, and why.

    The rule is the first, in the engine's explanation order, that leaves no foster home on the
    register for the child (age approval, needs, sex, distance, ...); ``capacity`` when foster homes
    exist that could take the child but the best match needs every one of them for other children.
    """
    want = children[(children["ideal_in_family"]) & ~(children["best_in_family"])]
    cols = [
        "child_id",
        "age_band",
        "needs",
        "sibling_group_size",
        "today_setting",
        "best_setting",
        "binding_rule",
        "what_is_missing",
    ]
    if len(want) == 0:
        return pd.DataFrame(columns=cols)
    policy = policy.replace(as_of=policy.as_of_date())
    elig = Eligibility(instance, policy, make_scope(instance, whole_cohort=True), policy.as_of_date())
    foster = np.array([p.setting is Setting.FOSTER for p in instance.places], dtype=bool)
    masks = elig.masks
    records = []
    for r in want.index:  # whole-cohort scope rows are the instance's children in order
        c = instance.children[r]
        alive = foster.copy()
        binding = Rule.CAPACITY
        for rule in RULE_ORDER:
            if rule is Rule.SETTING:
                continue
            passing = alive & masks[rule][r]
            if not passing.any():
                binding = rule
                break
            alive = passing
        age = int(elig.ages[r])
        needs = sorted(n.value for n in c.needs)
        kind = f"a foster home approved for age {age}" + (f" that meets {', '.join(needs)}" if needs else "")
        size = int(children.loc[r, "sibling_group_size"])
        if size > 1:
            kind += f", with room for a sibling group of {size}"
        if binding is Rule.CAPACITY:
            text = f"more foster homes like those that could take this child: {kind}; every one is needed by other children"
        elif binding is Rule.STABILITY:
            text = (
                f"{kind}, no worse for them than where they live today: the foster homes that could take them would "
                "leave them worse off (further from home, away from siblings, ...) for less than a move costs"
            )
        else:
            text = f"{kind} (today none passes the {binding.value} rule)"
        records.append(
            (
                c.child_id,
                children.loc[r, "age_band"],
                ";".join(needs),
                size,
                children.loc[r, "today_setting"] or "none",
                children.loc[r, "best_setting"] or "none",
                binding.value,
                text,
            )
        )
    return pd.DataFrame(records, columns=cols)


def _headline(
    summary: pd.DataFrame, missing: pd.DataFrame, counts: dict[str, Any], settled: int, policy: Policy
) -> dict[str, Any]:
    """The figures a commissioner reads first, each computed once here from the summary table (itself a
    sum over ``Gaps.children``) and the missing table; every other output reads them from here."""
    v = summary.set_index("metric")
    fam = v.loc["in_family"]
    needed = v.loc["family_as_needed"]
    n = int(v.loc["children", "today"])
    by_rule = missing.groupby("binding_rule").size().sort_values(ascending=False).to_dict() if len(missing) else {}
    by_band = missing.groupby("age_band").size().to_dict() if len(missing) else {}
    by_band = {label: int(by_band[label]) for label, _, _ in AGE_BANDS if label in by_band}
    need = int(needed["ideal"])
    head: dict[str, Any] = {
        "children": n,
        "children_outside_register": int(v.loc["cost_unknown", "today"]),
        "in_family_today": int(fam["today"]),
        "need_a_family": need,
        "need_a_family_with_one_today": int(needed["today"]),
        "could_have_a_family_without_moves": int(needed["no_moves"]),
        "could_have_a_family_with_todays_homes": int(needed["best"]),
        "family_homes_missing_for": len(missing),
        "family_homes_missing_without_moves": need - int(needed["no_moves"]),
        "missing_by_binding_rule": {str(k): int(x) for k, x in by_rule.items()},
        "missing_by_age_band": by_band,
        "unplaceable_with_todays_homes": int(v.loc["unplaced", "best"]),
        "unplaceable_without_moves": int(v.loc["unplaced", "no_moves"]),
        "settled_children": settled,
        "settled_children_moving": int(counts["moving"]),
        "moves_by_setting": dict(counts["by_setting"]),
        "moves_family_to_residential": int(counts["family_to_residential"]),
        "moves_worse_for_the_child": int(counts["worse_for_the_child"]),
        "stability": policy.stability,
        "under12_residential": {s: int(v.loc["under12_residential", s]) for s in STATES},
        "siblings_apart": {s: int(v.loc["siblings_apart", s]) for s in STATES},
        "weekly_cost": {s: float(v.loc["weekly_cost", s]) for s in STATES},
        "annual_cost": {s: float(v.loc["annual_cost", s]) for s in STATES},
    }
    if len(missing) != need - head["could_have_a_family_with_todays_homes"]:  # pragma: no cover - one definition
        raise RuntimeError("family homes missing disagree with the children needing a family; this is a bug")
    bands = ", ".join(f"{k} {x}" for k, x in by_band.items())
    rules = ", ".join(f"{k} {x}" for k, x in head["missing_by_binding_rule"].items())
    head["sentence"] = (
        f"Of {n} children, {need} need a foster family and {head['need_a_family_with_one_today']} of them live with "
        f"one today ({head['children_outside_register']} live outside the register and are not judged). With "
        f"today's homes {head['could_have_a_family_with_todays_homes']} could, "
        f"{head['could_have_a_family_without_moves']} of them without moving any settled child; {len(missing)} "
        "cannot"
        + (f" (by age: {bands}; stopped by: {rules})." if len(missing) else ".")
        + " "
        + moves_sentence(counts, settled)
    )
    return head


def register_cohort(instance: Instance) -> tuple[Instance, frozenset[str]]:
    """The cohort the ``best`` state re-matches: every child except those living outside the register.

    A placed child with a blank ``current_place_id`` lives where no place on the register is (with
    parents, placed for adoption, ...); matching them into today's homes would count as demand for
    foster and residential places what is not. They stay where they are in ``best``. Connected-person
    carers approved only for such children are left out with them (nobody else may live there).
    """
    outside = frozenset(
        c.child_id for c in instance.children if c.status is Status.PLACED and c.current_place_id is None
    )
    if not outside:
        return instance, outside
    places = []
    for p in instance.places:
        if p.kinship_for & outside:
            rest = p.kinship_for - outside
            if not rest:
                continue
            p = p.model_copy(update={"kinship_for": rest})
        places.append(p)
    children = tuple(c for c in instance.children if c.child_id not in outside)
    return instance.replace(children=children, places=tuple(places)), outside


def compute_gaps(instance: Instance, policy: Policy | None = None) -> Gaps:
    """Three states of the cohort side by side, their differences by dimension, and the headline.

    Runs the engine's whole-cohort match once (``policy.time_limit_seconds``); tiers (1)-(3) of that
    match are proven, and ``solver`` in the result says whether the score is too.
    """
    policy = policy or Policy()
    policy = policy.replace(as_of=policy.as_of_date())
    cohort, outside = register_cohort(instance)
    best = match(cohort, policy, whole_cohort=True)
    stay = match(cohort, policy)  # nobody moves: today's vacancies for the children needing a home

    today_homes = {c.child_id: (c.current_place_id if c.status is Status.PLACED else None) for c in instance.children}
    today_placed = {c.child_id: c.status is Status.PLACED for c in instance.children}
    stay_homes = {k: v if v is not None else stay.assignment.get(k) for k, v in today_homes.items()}
    stay_placed = {k: today_placed[k] or k in stay.assignment for k in today_homes}
    best_homes = {c.child_id: best.assignment.get(c.child_id) for c in instance.children}
    best_placed = {cid: pid is not None or cid in outside for cid, pid in best_homes.items()}

    facts = _facts(instance, policy)
    costs = reference_costs(instance)
    children = pd.concat(
        [
            facts,
            _state_columns(instance, policy, "today", today_homes, today_placed),
            _state_columns(instance, policy, "no_moves", stay_homes, stay_placed),
            _state_columns(instance, policy, "best", best_homes, best_placed),
            _ideal_columns(instance, policy, costs),
        ],
        axis=1,
    )
    for state in STATES:  # children who need a family (their ideal) and live with one: never more than need one
        children[f"{state}_family_as_needed"] = children["ideal_in_family"] & children[f"{state}_in_family"]
    children["_group_key"] = [c.sibling_group or f"\0{c.child_id}" for c in instance.children]
    summary_table = _table(children)
    by_dimension = {name: _dimension(children, name) for name in DIMENSIONS}
    missing = _missing(instance, policy, children)
    elig = Eligibility(cohort, policy, make_scope(cohort, whole_cohort=True), policy.as_of_date())
    index = cohort.place_index
    moved = moves(
        elig, {r: index[best.assignment[c.child_id]] for r, c in enumerate(elig.kids) if c.child_id in best.assignment}
    )
    counts = move_counts(moved)
    settled = int((elig.settled_at >= 0).sum())
    headline = _headline(summary_table, missing, counts, settled, policy)
    s = best.summary.to_dict()
    solver = {
        k: s[k] for k in ("status", "tiers_1_3_optimal", "objective", "bound", "gap", "seconds", "backend", "seed")
    }
    solver["children_matched"] = len(cohort.children)
    solver["children_outside_register_staying"] = len(outside)
    solver["stability"] = policy.stability
    solver["no_moves_status"] = stay.summary.status
    solver["reference_weekly_costs"] = {k.value: v for k, v in costs.items()}
    return Gaps(
        headline=headline,
        children=children.drop(columns=["_group_key"]),
        summary_table=summary_table,
        by_dimension=by_dimension,
        missing=missing,
        solver=solver,
        as_of=policy.as_of_date(),
        moves=moved,
    )
