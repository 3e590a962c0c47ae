"""Reasons an officer can read: the shortlist of alternatives, and why a child has no home."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from placements.codes import USUAL_FOSTERING_LIMIT, Rule, UnplacedReason
from placements.eligibility import PENALTY_PARTS, RULE_ORDER, Eligibility


def shortlist(elig: Eligibility, size: int, home_of_row: dict[int, int] | None = None) -> pd.DataFrame:
    """For each child in scope, the best ``size`` admissible homes by score, ignoring competition.

    Every home listed passes every hard rule for the child on its own. Given the proposal
    (``home_of_row``), two columns say where each stands after it: ``proposed`` (the home proposed
    for this child) and ``blocked_by`` (the rules, ``+``-joined, that placing the child there would
    now break with every other child's proposal kept: capacity, fostering_limit, lives_alone; empty
    when the home could still take the child).
    """
    pairs = elig.pairs.sort_values(["row", "penalty", "place"], kind="stable")
    top = pairs.groupby("row", sort=True).head(size).copy()
    top["rank"] = top.groupby("row").cumcount() + 1
    places = elig.instance.places
    top.insert(0, "child_id", [elig.kids[r].child_id for r in top["row"]])
    top.insert(2, "place_id", [places[p].place_id for p in top["place"]])
    top["setting"] = [places[p].setting.value for p in top["place"]]
    top["provider"] = [places[p].provider.value for p in top["place"]]
    top["weekly_cost"] = [places[p].weekly_cost for p in top["place"]]
    top["ofsted_rating"] = [places[p].ofsted_rating.value if places[p].ofsted_rating else "" for p in top["place"]]
    top["ofsted_approved"] = [
        elig.kids[r].child_id in places[p].ofsted_approved_for for r, p in zip(top["row"], top["place"], strict=True)
    ]
    top["location_approximate"] = [places[p].location_approximate for p in top["place"]]
    top = top.rename(columns={"miles": "distance_miles", "penalty": "score_penalty"})
    cols = [
        "child_id",
        "rank",
        "place_id",
        "setting",
        "provider",
        "distance_miles",
        "location_approximate",
        "weekly_cost",
        "ofsted_rating",
        "ofsted_approved",
        *PENALTY_PARTS,
        "score_penalty",
    ]
    if home_of_row is not None:
        proposal = Proposal(elig, home_of_row)
        rows, homes = top["row"].to_numpy(), top["place"].to_numpy()
        top["proposed"] = [home_of_row.get(int(r)) == int(j) for r, j in zip(rows, homes, strict=True)]
        top["blocked_by"] = ["+".join(proposal.blocking(int(r), int(j))) for r, j in zip(rows, homes, strict=True)]
        cols += ["proposed", "blocked_by"]
    return top[cols].reset_index(drop=True)


class Proposal:
    """Who a proposal puts in each home, to say what stops one more child joining them.

    The rules are those that involve more than one child (``validate`` checks them per home):
    a pair that passes every other rule is stopped only by these.
    """

    def __init__(self, elig: Eligibility, home_of_row: dict[int, int]) -> None:
        self.elig = elig
        self.home_of_row = home_of_row
        self.at: dict[int, list[int]] = defaultdict(list)
        for r, j in sorted(home_of_row.items()):
            self.at[j].append(r)

    def blocking(self, row: int, j: int) -> list[str]:
        """Rules placing ``row`` in home ``j`` would break, every other child's proposal kept (in that order:
        capacity, fostering_limit, lives_alone); empty when the home could take the child too."""
        elig, kids = self.elig, self.elig.kids
        new = [r for r in self.at.get(j, ()) if r != row]
        others = int(elig.scope.others[j])
        group = kids[row].sibling_group
        out = []
        if len(new) + 1 > int(elig.scope.capacity[j]):
            out.append(Rule.CAPACITY.value)
        one_group = all(group is not None and kids[r].sibling_group == group for r in new)
        if (
            elig.fostering_limit_applies[j]
            and others + len(new) + 1 > USUAL_FOSTERING_LIMIT
            and not (others == 0 and one_group)
        ):
            out.append(Rule.FOSTERING_LIMIT.value)

        def apart(a: int, b: int) -> bool:  # b counts as another child for a who must live alone
            return kids[a].sibling_group is None or kids[a].sibling_group != kids[b].sibling_group

        alone = not kids[row].lives_with_others and (others > 0 or any(apart(row, r) for r in new))
        if alone or any(not kids[r].lives_with_others and apart(r, row) for r in new):
            out.append(Rule.LIVES_ALONE.value)
        return out


def _phrase(rule: Rule, elig: Eligibility, row: int) -> str:
    c = elig.kids[row]
    if rule is Rule.SETTING:
        names = [str(s.value) for s in c.suitable_settings(elig.as_of)]
        return (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]) + " home"
    if rule is Rule.AGE:
        return f"approved for age {elig.ages[row]}"
    if rule is Rule.SEX:
        return {"M": "taking boys", "F": "taking girls"}.get(c.sex.value, "taking a child of unrecorded sex")
    if rule is Rule.NEEDS:
        return "meeting " + _listing(sorted(n.value for n in c.needs)) if c.needs else ""
    if rule is Rule.SUPPORTED_AGE:
        return ""
    if rule is Rule.KINSHIP:
        return "open to this child (connected-person carers are approved for named children only)"
    if rule is Rule.LIVES_ALONE:
        return "" if c.lives_with_others else "with no other children living there"
    if rule is Rule.FOSTERING_LIMIT:
        return "within the usual fostering limit of three"
    if rule is Rule.CAPACITY:
        return "with a vacancy"
    if rule is Rule.MAX_DISTANCE:
        return "" if c.max_distance_miles is None else f"within {c.max_distance_miles:g} miles"
    if rule is Rule.DECISION:
        return "that the placement team has not rejected for this child"
    if rule is Rule.OFSTED:
        return "with an Ofsted judgement the authority accepts"
    if rule is Rule.AVOID_AREA:
        return "outside the areas to avoid for this child" if c.avoid_areas else ""
    raise ValueError(rule)


def why_no_eligible_place(elig: Eligibility, row: int) -> tuple[Rule, str]:
    """Apply the rules in order; the first that leaves no home is the binding rule."""
    rule, text, _ = _no_eligible_place(elig, row)
    return rule, text


def _no_eligible_place(elig: Eligibility, row: int) -> tuple[Rule, str, int | None]:
    """The binding rule, the sentence, and the home it names (one that fails the binding rule alone)."""
    masks = elig.masks
    alive = np.ones(len(elig.instance.places), dtype=bool)
    said: list[str] = []
    for rule in RULE_ORDER:
        passing = alive & masks[rule][row]
        if not passing.any():
            phrase = _phrase(rule, elig, row)
            if rule is Rule.SETTING:
                text = f"no {phrase} is on the register"
            else:
                text = "no " + " ".join(x for x in [*said, phrase] if x)
            rest = alive & ~masks[rule][row]
            for later in RULE_ORDER[RULE_ORDER.index(rule) + 1 :]:
                rest &= masks[later][row]
            clause, home = _nearest(elig, row, rest, rule)
            return rule, text + clause, home
        alive = passing
        phrase = _phrase(rule, elig, row)
        if rule is Rule.SETTING or (
            phrase and rule not in (Rule.CAPACITY, Rule.FOSTERING_LIMIT, Rule.KINSHIP, Rule.OFSTED)
        ):
            said.append(phrase)
    raise AssertionError("child has an admissible home")


def _nearest(elig: Eligibility, row: int, candidates: np.ndarray, rule: Rule) -> tuple[str, int | None]:
    """The home that comes closest: it meets every rule but ``rule``; the sentence says what it lacks.

    Closest means fewest unmet needs, or the age approval nearest the child's age, or (for every
    rule) the shortest distance; ties go to the home listed first. Returns the clause and the
    home's index (None when no home fails ``rule`` alone).
    """
    idx = np.flatnonzero(candidates)
    if len(idx) == 0:
        return "; relaxing that rule alone would not help", None
    c, places = elig.kids[row], elig.instance.places
    d = elig.distance[row, idx]
    if rule is Rule.NEEDS:
        short = np.array([len(c.needs - places[j].meets_needs) for j in idx])
    elif rule is Rule.AGE:
        age = int(elig.ages[row])
        short = np.array([max(places[j].age_min - age, age - places[j].age_max, 0) for j in idx])
    else:
        short = np.zeros(len(idx), dtype=np.int64)
    order = np.lexsort((idx, np.where(np.isnan(d), np.inf, d), short))
    j = int(idx[order[0]])
    place = places[j]
    miles = elig.distance[row, j]
    what = {
        Rule.CAPACITY: "has no vacancy",
        Rule.MAX_DISTANCE: f"is beyond the child's limit of {c.max_distance_miles or 0:g} miles",
        Rule.AGE: f"is approved for ages {place.age_min}-{place.age_max}, not {elig.ages[row]}",
        Rule.NEEDS: "does not meet "
        + _listing(sorted(n.value for n in c.needs - place.meets_needs))
        + f" (it meets {_listing(sorted(n.value for n in place.meets_needs)) or 'no listed needs'})",
        Rule.SEX: f"takes {'boys' if place.sex.value == 'M' else 'girls'} only",
        Rule.FOSTERING_LIMIT: f"already has {int(elig.scope.others[j])} fostered children (the usual limit is three)",
        Rule.LIVES_ALONE: f"has {int(elig.scope.others[j])} other children living there",
        Rule.SETTING: f"is {place.setting.value}, not a setting listed for this child",
        Rule.SUPPORTED_AGE: f"is supported accommodation, for 16-17s only (the child is {elig.ages[row]})",
        Rule.KINSHIP: "is a connected-person carer approved for other named children only",
        Rule.OFSTED: f"is judged {place.ofsted_rating.value if place.ofsted_rating else 'unrated'} by Ofsted, which "
        "the authority's policy does not accept for this child (a manager's approval in ofsted_approved_for, where "
        "policy allows one)",
        Rule.DECISION: "was rejected for this child by the placement team (decisions.csv)",
        Rule.AVOID_AREA: "is in an area to avoid for this child",
    }[rule]
    near = "closest" if rule in (Rule.NEEDS, Rule.AGE) or np.isnan(miles) else "nearest"
    at = "" if np.isnan(miles) else f" at {miles:.1f} miles"
    return f"; {near}: {place.place_id}{at}, which meets every other rule but {what}", j


def _listing(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


#: What stops a home taking one more child, as the sentence says it.
_BLOCKED = {
    Rule.CAPACITY.value: "no vacancy left",
    Rule.FOSTERING_LIMIT.value: "one more child would break the usual fostering limit of three",
    Rule.LIVES_ALONE.value: "a child placed there must live without other children",
}

#: Columns of ``unplaced.csv``. ``named_place_ids`` lists every home the sentence names (``;``-joined)
#: and ``named_place_rules`` the rule(s) each fails (aligned; ``+`` when one home fails several): each
#: named home passes every other hard rule for the child.
UNPLACED_COLUMNS = ["child_id", "reason_code", "binding_rule", "explanation", "named_place_ids", "named_place_rules"]


def unplaced_reasons(elig: Eligibility, placed_rows: set[int], taken_by: dict[int, list[str]]) -> pd.DataFrame:
    """One row per child in scope without a home: the reason code, binding rule, a sentence, and the homes named."""
    row_of = {c.child_id: r for r, c in enumerate(elig.kids)}
    home_of_row = {row_of[kid]: j for j, kids in taken_by.items() for kid in kids}
    proposal = Proposal(elig, home_of_row)
    records = []
    admissible = elig.admissible
    places = elig.instance.places
    for row, c in enumerate(elig.kids):
        if row in placed_rows:
            continue
        homes = np.flatnonzero(admissible[row])
        if len(homes) == 0:
            rule, text, home = _no_eligible_place(elig, row)
            named = "" if home is None else places[home].place_id
            records.append(
                (
                    c.child_id,
                    UnplacedReason.NO_ELIGIBLE_PLACE.value,
                    rule.value,
                    text[0].upper() + text[1:] + ".",
                    named,
                    rule.value if named else "",
                )
            )
            continue
        best = elig.pairs[elig.pairs["row"] == row].sort_values(["penalty", "place"]).head(3)
        parts, ids, fails = [], [], []
        for j in best["place"]:
            pid = places[int(j)].place_id
            who = taken_by.get(int(j), [])
            blocked = proposal.blocking(row, int(j))
            said = [_BLOCKED[b] for b in blocked]
            if Rule.LIVES_ALONE.value in blocked and not c.lives_with_others:
                said[blocked.index(Rule.LIVES_ALONE.value)] = "this child must live without other children"
            why = "; ".join(said) or "still had room, left unused by this proposal"
            parts.append(f"{pid} ({'given to ' + ', '.join(who) + ': ' if who else ''}{why})")
            ids.append(pid)
            fails.append("+".join(blocked))
        lead = (
            "each was needed to place more children or more urgent ones"
            if all(fails)
            else "the proposal (not proven best) left room in some"
        )
        text = (
            f"{len(homes)} home(s) could take this child, but {lead}: {'; '.join(parts)}. "
            "Recruiting a home like these would place the child."
        )
        records.append(
            (
                c.child_id,
                UnplacedReason.TAKEN_BY_OTHERS.value,
                Rule.CAPACITY.value,
                text,
                ";".join(ids),
                ";".join(fails),
            )
        )
    return pd.DataFrame(records, columns=UNPLACED_COLUMNS)
