"""Baselines on a large instance, piece by piece: the same geographic pieces the engine matches.

Why: England is 83,600 children x 53,000 homes. The engine matches it in geographic pieces
(``placements.decompose``); a baseline over the whole country would need the dense child x home
matrices of ``placements.eligibility`` (33 GiB for the distances alone), and would not be
comparable anyway. So with ``piece_children`` set, every baseline runs on the pieces
``decompose.plan_pieces`` gives (each piece an instance of its own, ``decompose.sub_instance``),
two pieces at a time in local processes, as the engine does, and the pieces' figures are joined
here: counts, objectives and bounds summed, mean distance weighted by the children it is known
for; sibling groups, split groups and extra homes counted again over the whole instance from the
joined assignment (``result.sibling_figures``), as the engine's joined answer is. A bound so
summed holds per piece only, as the engine's own (``bound_scope``).

The joined assignment is checked by the validator against the whole instance, not piece by piece.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from placements.codes import Urgency
from placements.instance import Instance
from placements.parallel import parallel_map
from placements.policy import Policy

#: Pieces matched side by side, engine and baselines alike (the machine has 2 cores).
PIECE_WORKERS = 2
BOUND_SCOPE = "per piece: the sum of the pieces' bounds, not a bound for the whole instance"

#: Quality figures that add up over pieces (None in any piece: None joined).
_SUMMED = (
    "needing",
    "placed",
    "emergency_needing",
    "emergency_placed",
    "sibling_groups",
    "sibling_groups_split",
    "extra_homes",
    "under12_in_residential",
    "over_20_miles",
    "objective",
    "bound",
    "patterns",
)


def pieces(instance: Instance, policy: Policy, max_children: int) -> list[Instance]:
    """The engine's pieces (``decompose.plan_pieces``), each as an instance of its own."""
    from placements.decompose import plan_pieces, sub_instance

    return [sub_instance(instance, pc) for pc in plan_pieces(instance, policy, max_children)]


def run_all(fn: Callable[[Any], Any], tasks: list[Any], workers: int = PIECE_WORKERS) -> list[Any]:
    """``fn`` over ``tasks`` in ``workers`` fresh processes (spawned, like the engine's pool), in order."""
    return parallel_map(fn, tasks, workers=workers)


def tiers_by_piece(subs: list[Instance], matches: pd.DataFrame) -> list[dict[str, int]]:
    """Per piece, tiers (1)-(3) of a joined answer: emergency children placed, children placed, extra homes.

    Read from the joined ``matches`` table (child_id, place_id, urgency, sibling_group), so the LP
    relaxation of each piece can be held at the levels the engine reached on that piece. Extra homes
    are counted as ``result.build_result`` counts them: per sibling group, homes used less one. Only
    children placed in their own piece's homes count: the repair across pieces may place a child in
    another piece's home, which that piece's own model could not express.
    """
    out = []
    for sub in subs:
        ids = {c.child_id for c in sub.children}
        homes = {p.place_id for p in sub.places}
        m = matches[matches["child_id"].isin(ids) & matches["place_id"].isin(homes)]
        grouped = m[m["sibling_group"] != ""].groupby("sibling_group")["place_id"].nunique()
        out.append(
            {
                "emergency_placed": int((m["urgency"] == Urgency.EMERGENCY.value).sum()),
                "placed": len(m),
                "extra_homes": int((grouped - 1).clip(lower=0).sum()),
            }
        )
    return out


def join_quality(parts: list[dict[str, Any]], miles: list[tuple[float, int]]) -> dict[str, Any]:
    """The pieces' quality figures as one: sums, the mean distance weighted, the gap of the sums.

    ``miles``: per piece, (sum of known distances, how many are known).
    """
    if not parts:
        return {}
    out: dict[str, Any] = {}
    statuses = {p["status"] for p in parts}
    out["status"] = statuses.pop() if len(statuses) == 1 else "MIXED"
    for key in _SUMMED:
        if key not in parts[0]:
            continue
        vals = [p.get(key) for p in parts]
        total = None if any(v is None for v in vals) else sum(v for v in vals if v is not None)
        out[key] = round(total, 3) if isinstance(total, float) else total
    if "weekly_cost" in parts[0]:
        out["weekly_cost"] = round(sum(p["weekly_cost"] for p in parts), 2)
    known = sum(n for _, n in miles)
    if miles:
        out["mean_miles"] = round(sum(s for s, _ in miles) / known, 2) if known else None
    obj, bound = out.get("objective"), out.get("bound")
    if "gap" in parts[0]:
        out["gap"] = round((obj - bound) / obj, 6) if obj and bound is not None else None
    out["pieces"] = len(parts)
    out["bound_scope"] = BOUND_SCOPE
    return out
