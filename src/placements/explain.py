"""Reasons an officer can read: the shortlist of alternatives, and why a child has no home."""

from __future__ import annotations

import numpy as np
import pandas as pd

from placements.codes import Rule, UnplacedReason
from placements.eligibility import PENALTY_PARTS, RULE_ORDER, Eligibility


def shortlist(elig: Eligibility, size: int) -> pd.DataFrame:
    """For each child in scope, the best ``size`` admissible homes by score, ignoring competition."""
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
    return top[cols].reset_index(drop=True)


def _phrase(rule: Rule, elig: Eligibility, row: int) -> str:
    c = elig.kids[row]
    if rule is Rule.SETTING:
        names = [s.value for s in c.suitable_settings(elig.as_of)]
        return (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]) + " home"
    if rule is Rule.AGE:
        return f"approved for age {elig.ages[row]}"
    if rule is Rule.SEX:
        return {"M": "taking boys", "F": "taking girls"}.get(c.sex.value, "taking a child of unrecorded sex")
    if rule is Rule.NEEDS:
        return "meeting " + " and ".join(sorted(n.value for n in c.needs)) if c.needs else ""
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
    raise ValueError(rule)


def why_no_eligible_place(elig: Eligibility, row: int) -> tuple[Rule, str]:
    """Apply the rules in order; the first that leaves no home is the binding rule."""
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
            return rule, text + _nearest(elig, row, rest, rule)
        alive = passing
        phrase = _phrase(rule, elig, row)
        if rule is Rule.SETTING or (phrase and rule not in (Rule.CAPACITY, Rule.FOSTERING_LIMIT, Rule.KINSHIP)):
            said.append(phrase)
    raise AssertionError("child has an admissible home")


def _nearest(elig: Eligibility, row: int, candidates: np.ndarray, rule: Rule) -> str:
    idx = np.flatnonzero(candidates)
    if len(idx) == 0:
        return "; relaxing that rule alone would not help"
    d = elig.distance[row, idx]
    order = np.lexsort((idx, np.where(np.isnan(d), np.inf, d)))
    j = int(idx[order[0]])
    place = elig.instance.places[j]
    what = {
        Rule.CAPACITY: "has no vacancy",
        Rule.MAX_DISTANCE: f"at {elig.distance[row, j]:.1f} miles",
        Rule.AGE: f"approved for ages {place.age_min}-{place.age_max}",
        Rule.NEEDS: "meets " + (", ".join(sorted(n.value for n in place.meets_needs)) or "no listed needs"),
        Rule.SEX: f"takes {place.sex.value} only",
        Rule.FOSTERING_LIMIT: f"already has {int(elig.scope.others[j])} children",
        Rule.LIVES_ALONE: f"has {int(elig.scope.others[j])} other children",
        Rule.SETTING: f"is {place.setting.value}",
        Rule.SUPPORTED_AGE: "is supported accommodation (16-17 only)",
        Rule.KINSHIP: "is approved for other named children",
        Rule.DECISION: "the placement team rejected for this child (decisions.csv)",
        Rule.OFSTED: f"is judged {place.ofsted_rating.value if place.ofsted_rating else 'unrated'} by Ofsted "
        "(a manager's approval for this child in ofsted_approved_for, where policy allows one)",
    }[rule]
    if rule is Rule.MAX_DISTANCE:
        return f"; nearest that would: {place.place_id} {what}"
    dist = "" if np.isnan(elig.distance[row, j]) else f" at {elig.distance[row, j]:.1f} miles"
    return f"; nearest that would: {place.place_id}{dist}, which {what}"


def unplaced_reasons(elig: Eligibility, placed_rows: set[int], taken_by: dict[int, list[str]]) -> pd.DataFrame:
    """One row per child in scope without a home: the reason code, binding rule and a sentence."""
    records = []
    admissible = elig.admissible
    for row, c in enumerate(elig.kids):
        if row in placed_rows:
            continue
        homes = np.flatnonzero(admissible[row])
        if len(homes) == 0:
            rule, text = why_no_eligible_place(elig, row)
            records.append(
                (c.child_id, UnplacedReason.NO_ELIGIBLE_PLACE.value, rule.value, text[0].upper() + text[1:] + ".")
            )
            continue
        best = elig.pairs[elig.pairs["row"] == row].sort_values(["penalty", "place"]).head(3)
        parts = []
        for j in best["place"]:
            pid = elig.instance.places[int(j)].place_id
            who = taken_by.get(int(j), [])
            parts.append(f"{pid} (given to {', '.join(who)})" if who else f"{pid} (could not also take this child)")
        text = (
            f"{len(homes)} home(s) could take this child, but each was needed to place more children "
            f"or more urgent ones: {'; '.join(parts)}. Recruiting a home like these would place the child."
        )
        records.append((c.child_id, UnplacedReason.TAKEN_BY_OTHERS.value, Rule.CAPACITY.value, text))
    return pd.DataFrame(records, columns=["child_id", "reason_code", "binding_rule", "explanation"])
