"""Moves of settled children: who would move, from which home to which, and why, in words.

A settled child lives in a home today and is matched again (every ``placed`` child in a whole-cohort
match, a recruitment target's movers in a daily one). Under ``Policy.stability`` the engine moves them
only to a home better for them; ``moves`` says what each move gains (or, when the policy allows moves
that are not, what it costs the child), so every output that re-matches settled children can say how
many would move and why. The rule itself is in ``eligibility.py`` (the ``stability`` mask), the model
(``model/patterns.py``) and, stated independently, ``validate.py``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from placements.codes import Setting
from placements.eligibility import NEVER_WORSE, WELFARE_PARTS, Eligibility

#: Columns of a moves table.
MOVE_COLUMNS = (
    "child_id",
    "age",
    "from_place_id",
    "from_setting",
    "to_place_id",
    "to_setting",
    "miles_from_home_before",
    "miles_from_home_after",
    "weekly_cost_before",
    "weekly_cost_after",
    "protected",
    "gain_points",
    "better_for_the_child",
    "reason",
)

#: Settings in words, as a commissioner says them.
SETTING_WORDS = {
    Setting.FOSTER.value: "a foster family",
    Setting.RESIDENTIAL.value: "a children's home",
    Setting.SUPPORTED.value: "supported accommodation",
    "": "no home",
}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _together(elig: Eligibility, home_of_row: dict[int, int | None]) -> tuple[np.ndarray, np.ndarray]:
    """Per child in scope: brothers and sisters in scope living with them today, and in the proposal."""
    n = len(elig.kids)
    today, after = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    by_group: dict[str, list[int]] = {}
    for r, c in enumerate(elig.kids):
        if c.sibling_group is not None:
            by_group.setdefault(c.sibling_group, []).append(r)
    at = elig.settled_at
    for rows in by_group.values():
        for r in rows:
            others = [o for o in rows if o != r]
            today[r] = sum(1 for o in others if at[r] >= 0 and at[o] == at[r])
            home = home_of_row.get(r)
            after[r] = sum(1 for o in others if home is not None and home_of_row.get(o) == home)
    return today, after


def _reason(
    before: dict[str, int],
    after: dict[str, int] | None,
    setting_before: str,
    setting_after: str,
    miles_before: float,
    miles_after: float,
    siblings_before: int,
    siblings_after: int,
    protected: bool,
    better: bool,
) -> str:
    """What a move does for the child, in words: gains first, then what it costs them (a trade-off the child
    gains from overall, or, when ``better`` is False, what makes the move worse for them)."""
    if after is None:
        return "left without a home" + ("" if protected else " (their home today breaks a rule)")
    gains, losses = [], []
    if setting_after == Setting.FOSTER.value and setting_before != Setting.FOSTER.value:
        gains.append(f"to a foster family from {SETTING_WORDS[setting_before]}")
    elif after["setting_rank"] < before["setting_rank"]:
        gains.append(f"to a setting higher in their plan ({SETTING_WORDS[setting_after]})")
    elif after["setting_rank"] > before["setting_rank"] or (
        setting_before == Setting.FOSTER.value and setting_after != Setting.FOSTER.value
    ):
        losses.append(f"from {SETTING_WORDS[setting_before]} to {SETTING_WORDS[setting_after]}")
    if after["not_kinship"] < before["not_kinship"]:
        gains.append("to their connected-person (kinship) carer")
    elif after["not_kinship"] > before["not_kinship"]:
        losses.append("away from their connected-person (kinship) carer")
    if after["plan_fit"] < before["plan_fit"]:
        gains.append("to a carer approved long term, as their plan needs")
    elif after["plan_fit"] > before["plan_fit"]:
        losses.append("to a home that cannot deliver their long-term fostering plan")
    more = siblings_after - siblings_before
    if more > 0 or after["apart_from_placed_sibling"] < before["apart_from_placed_sibling"]:
        gains.append(f"to live with {_plural(max(more, 1), 'more brother or sister', 'more brothers or sisters')}")
    if more < 0 or after["apart_from_placed_sibling"] > before["apart_from_placed_sibling"]:
        losses.append(f"away from {_plural(max(-more, 1), 'brother or sister', 'brothers or sisters')}")
    if not (np.isnan(miles_before) or np.isnan(miles_after)):
        d = miles_before - miles_after
        if d >= 0.95:
            gains.append(f"{d:.0f} miles nearer home")
        elif d <= -0.95:
            losses.append(f"{-d:.0f} miles further from home")
    if after.get("school_distance", 0) < before.get("school_distance", 0):
        gains.append("nearer their school")
    elif after.get("school_distance", 0) > before.get("school_distance", 0):
        losses.append("further from their school")
    if after["out_of_area"] < before["out_of_area"]:
        gains.append("back in the authority's area")
    elif after["out_of_area"] > before["out_of_area"]:
        losses.append("out of the authority's area")
    text = "; ".join(gains) if gains else "no gain for the child"
    if losses:
        text += ("; though " if better else "; worse for the child: ") + ", ".join(losses)
    elif not better:
        text += "; worse for the child: it gains them less than a move costs"
    if not protected:
        text += " (their home today breaks a rule, so staying is not an option)"
    return text


def moves(elig: Eligibility, home_of_row: dict[int, int]) -> pd.DataFrame:
    """One row per settled child in scope who does not stay where they live: where from, where to
    (blank: no home), distance and weekly cost before and after, and why (``_reason``)."""
    at = elig.settled_at
    places = elig.instance.places
    movers = [r for r in range(len(elig.kids)) if at[r] >= 0 and home_of_row.get(r) != at[r]]
    if not movers:
        return pd.DataFrame(columns=list(MOVE_COLUMNS))
    rows = np.array(movers, dtype=np.int64)
    before = elig.penalty_parts(rows, at[rows]).to_dict("records")
    placed = [r for r in movers if r in home_of_row]
    after_parts = (
        dict(
            zip(
                placed,
                elig.penalty_parts(np.array(placed), np.array([home_of_row[r] for r in placed])).to_dict("records"),
                strict=True,
            )
        )
        if placed
        else {}
    )
    together_before, together_after = _together(elig, dict(home_of_row))
    protected = elig.protected
    # Under allow_moves nobody is protected by choice; otherwise an unprotected settled child's home breaks a rule.
    must_move = elig.policy.stability != "allow_moves"
    w = elig.policy.weights
    hard = NEVER_WORSE.get(elig.policy.stability, NEVER_WORSE["protect"])
    out = []
    for k, r in enumerate(movers):
        src = places[int(at[r])]
        dst_index = home_of_row.get(r)
        dst = places[dst_index] if dst_index is not None else None
        miles_before = float(elig.distance[r, at[r]])
        miles_after = float(elig.distance[r, dst_index]) if dst_index is not None else float("nan")
        after = after_parts.get(r)
        gain, better = 0, False
        if after is not None:
            # As the stability rule judges a move (``validate.stability_violations``): the child's own parts,
            # brothers and sisters included, must gain at least what a move costs, with none of ``hard`` worse
            # and no less preferred setting (never out of a foster family).
            gain = int(
                sum(before[k][p] for p in WELFARE_PARTS)
                - sum(after[p] for p in WELFARE_PARTS)
                + w.sibling_apart * (int(together_after[r]) - int(together_before[r]))
            )
            out_of_family = src.setting is Setting.FOSTER and dst is not None and dst.setting is not Setting.FOSTER
            better = (
                gain >= w.moves_settled_child
                and int(together_after[r]) >= int(together_before[r])
                and not any(after[p] > before[k][p] for p in hard)
                and not out_of_family
                and after["setting_rank"] <= before[k]["setting_rank"]
            )
        out.append(
            {
                "child_id": elig.kids[r].child_id,
                "age": int(elig.ages[r]),
                "from_place_id": src.place_id,
                "from_setting": src.setting.value,
                "to_place_id": dst.place_id if dst else "",
                "to_setting": dst.setting.value if dst else "",
                "miles_from_home_before": miles_before,
                "miles_from_home_after": miles_after,
                "weekly_cost_before": src.weekly_cost,
                "weekly_cost_after": dst.weekly_cost if dst else 0.0,
                "protected": bool(protected[r]),
                "gain_points": gain,
                "better_for_the_child": better,
                "reason": _reason(
                    before[k],
                    after,
                    src.setting.value,
                    dst.setting.value if dst else "",
                    miles_before,
                    miles_after,
                    int(together_before[r]),
                    int(together_after[r]),
                    bool(protected[r]) or not must_move,
                    better,
                ),
            }
        )
    return pd.DataFrame(out, columns=list(MOVE_COLUMNS))


def move_counts(table: pd.DataFrame) -> dict[str, Any]:
    """How many move, by setting (``"foster -> residential"``) and by what the move does for the child."""
    by_setting = Counter(f"{r.from_setting} -> {r.to_setting or 'no home'}" for r in table.itertuples())
    worse = int((~table["better_for_the_child"].astype(bool)).sum()) if len(table) else 0
    return {
        "moving": len(table),
        "by_setting": dict(sorted(by_setting.items(), key=lambda kv: (-kv[1], kv[0]))),
        "family_to_residential": int(by_setting.get("foster -> residential", 0)),
        "worse_for_the_child": worse,
    }


def moves_sentence(counts: dict[str, Any], settled: int) -> str:
    """``counts`` (``move_counts``) in words."""
    n = counts["moving"]
    if n == 0:
        return f"No settled child would move (of {settled})."
    parts = [
        f"{v} from {SETTING_WORDS[k.split(' -> ')[0]]} to {SETTING_WORDS.get(k.split(' -> ')[1], 'no home')}"
        for k, v in counts["by_setting"].items()
    ]
    text = f"{_plural(n, 'settled child', 'settled children')} of {settled} would move: " + ", ".join(parts) + "."
    if counts["worse_for_the_child"]:
        text += (
            f" {counts['worse_for_the_child']} of these moves would not be better for the child who makes it"
            " (allowed by the policy's stability setting)."
        )
    else:
        text += " Every move is better for the child who makes it, by more than a move costs them."
    return text
