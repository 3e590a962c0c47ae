"""``plan_recruitment``: the cheapest mix of new households that reaches a target, or the most a budget reaches.

Steps (``docs/recruit.md`` has the reasoning):

1. ``movers``: the target's children need a placement; everyone else stays where they are.
2. The ordinary engine matches that instance with today's homes: the floor no mix may fall below,
   and the "before" picture.
3. The recruitment MIP (``model.py``) proposes the best mix over today's homes plus every candidate
   household (``max_households`` copies of each profile).
4. The ordinary engine matches today's homes plus the proposed mix. If its proposal reaches the
   target (budget mode: however many children and groups it serves), the mix is confirmed. A mix it
   does not confirm is cut off and step 3 runs again; the search stops when no mix left can beat
   the best confirmed one (proven), when none is left, or after ``max_iterations``.

A target the candidate profiles cannot reach at any cost is reported as such, with the most they
can do (budget mode without a budget).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from placements.analysis.recruit.model import RecruitModel
from placements.analysis.recruit.profiles import Candidate, Profile, candidate_places
from placements.analysis.recruit.targets import (
    FAMILY_AGE,
    Target,
    movers,
    progress,
    reached,
    scope_groups,
    settled_homes,
)
from placements.codes import Setting, Status, age_band
from placements.instance import Instance
from placements.io.writers import csv_text, json_text
from placements.match import match
from placements.policy import Policy
from placements.result import MatchResult
from placements.stability import move_counts

WEEKS_PER_YEAR = 52
DEFAULT_TARGETS: tuple[Target, ...] = (Target.NO_UNDER12_RESIDENTIAL,)


@dataclass(frozen=True)
class RecruitPlan:
    """What ``plan_recruitment`` returns: plain data for the command line and the HTML report.

    ``households``: per profile, how many to recruit and what they cost. ``moves``: every child the
    target concerns, where they live today and where they would live. ``progress``: per target,
    how many children or groups meet it today and with the recruits. ``search``: each mix the
    optimiser proposed and what the engine made of it. ``instance`` and ``result``: today's homes
    plus the recommended households, and the ordinary engine's match on them (for re-checking).
    """

    headline: dict[str, Any]
    households: pd.DataFrame = field(repr=False)
    moves: pd.DataFrame = field(repr=False)
    progress: pd.DataFrame = field(repr=False)
    search: pd.DataFrame = field(repr=False)
    instance: Instance | None = field(default=None, repr=False)
    result: MatchResult | None = field(default=None, repr=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "recruit_households": self.households,
            "recruit_moves": self.moves,
            "recruit_progress": self.progress,
            "recruit_search": self.search,
        }

    def files(self) -> dict[str, str]:
        """Every table as ``<name>.csv`` and the summary as ``recruit_summary.json``."""
        files = {f"{name}.csv": csv_text(frame) for name, frame in self.tables().items()}
        files["recruit_summary.json"] = json_text(self.summary())
        return files

    def summary(self) -> dict[str, Any]:
        return dict(self.headline)


def _with(base: Instance, candidates: list[Candidate], mix: tuple[int, ...]) -> Instance:
    return base.replace(places=base.places + tuple(candidates[h].place for h in mix))


def _mix_label(candidates: list[Candidate], mix: tuple[int, ...]) -> str:
    counts: dict[str, int] = {}
    for h in mix:
        counts[candidates[h].profile.name] = counts.get(candidates[h].profile.name, 0) + 1
    return "; ".join(f"{k} x{v}" for k, v in counts.items()) or "none"


def plan_recruitment(
    instance: Instance,
    policy: Policy | None,
    profiles: list[Profile],
    targets: tuple[Target, ...] | tuple[str, ...] = DEFAULT_TARGETS,
    budget: float | None = None,
    horizon_weeks: int = WEEKS_PER_YEAR,
    max_iterations: int = 25,
    candidates: list[Candidate] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> RecruitPlan:
    """Cheapest mix reaching every target in ``targets`` (``budget`` None), or the most ``budget`` reaches.

    A mix's cost is its one-off recruitment cost plus ``horizon_weeks`` of every place it approves at
    the profile's weekly cost; ``budget`` caps the same figure. ``candidates`` defaults to
    ``candidate_places(profiles, instance)`` (pass your own to place households on a grid in tests).
    ``on_step`` is told, in words, each step of the search (for a progress display).
    """
    step = on_step or (lambda _text: None)
    t0 = time.perf_counter()
    policy = policy or Policy()
    policy = policy.replace(as_of=policy.as_of_date())
    as_of = policy.as_of_date()
    targets = tuple(Target(t) for t in targets)
    candidates = candidates if candidates is not None else candidate_places(profiles, instance)
    base, mover_ids = movers(instance, as_of, targets)
    settled = settled_homes(instance, mover_ids)
    before = match(base, policy, settled=settled)
    b = before.summary
    floor = (b.emergency_placed, b.placed, b.extra_homes_for_split_groups)
    before_progress = progress(base, before, targets)

    mode = "target" if budget is None else "budget"
    reachable = True
    model = RecruitModel(base, candidates, policy, targets, floor, budget, horizon_weeks, mode, settled)
    beyond = {t.value: sum(1 for bt, _ in model.beyond if bt is t) for t in targets}
    search: list[dict[str, Any]] = []
    best: tuple[float, tuple[int, ...], Instance, MatchResult, dict[str, tuple[int, int]]] | None = None
    proven = True
    stop = "no mix left"
    for attempt in range(2):  # a second pass only when the target cannot be reached: the most it can do
        for it in range(1, max_iterations + 1):
            step(f"mix {it}: the optimiser proposes" + (" (the most the profiles can do)" if attempt else ""))
            prop = model.solve(max(1.0, policy.time_limit_seconds), policy.seed)
            if prop.status in ("INFEASIBLE", "NOT_SOLVED"):
                proven = proven and prop.status == "INFEASIBLE"
                stop = "no mix left" if prop.status == "INFEASIBLE" else "solver stopped without a mix"
                break
            if best is not None and prop.bound <= best[0] + 1e-6:
                stop = "proven: no mix left can do better"
                break
            proven = proven and prop.status == "OPTIMAL"
            inst_m = _with(base, candidates, prop.households)
            step(f"mix {it}: the engine checks {_mix_label(candidates, prop.households)}")
            res = match(inst_m, policy, settled=settled)
            prog = progress(inst_m, res, targets)
            met = sum(m for m, _ in prog.values())
            ok = reached(prog, beyond) if mode == "target" else True
            value = model.value_of(prop.households, met) if ok else None
            search.append(
                {
                    "pass": attempt + 1,
                    "iteration": it,
                    "mix": _mix_label(candidates, prop.households),
                    "households": len(prop.households),
                    "cost": sum(model.cost[h] for h in prop.households),
                    "mip_status": prop.status,
                    "engine_status": res.status,
                    **{f"{k}_met": m for k, (m, _) in prog.items()},
                    "confirmed": value is not None,
                }
            )
            if value is not None and (best is None or value > best[0]):
                best = (value, prop.households, inst_m, res, prog)
            if value is not None and value >= prop.bound - 1e-6:
                stop = "proven: the engine confirms the optimiser's best mix"
                break
            # A mix the engine did not confirm is cut off; that is only safe when the engine's answer was proven.
            proven = proven and res.status == "OPTIMAL"
            model.exclude(prop.households)
            if res.summary.tiers_1_3_optimal:
                r = res.summary
                model.floor_above(prop.households, r.emergency_placed, r.placed, r.extra_homes_for_split_groups)
        else:
            stop = f"stopped after {max_iterations} mixes"
            proven = False
        if best is not None or mode == "budget" or stop != "no mix left":
            break
        reachable, mode = False, "budget"  # the target is out of reach: how far can the profiles go?
        model = RecruitModel(base, candidates, policy, targets, floor, None, horizon_weeks, mode, settled)
    return _report(
        instance,
        base,
        mover_ids,
        candidates,
        policy,
        targets,
        budget,
        horizon_weeks,
        before,
        before_progress,
        best,
        reachable,
        proven,
        stop,
        search,
        time.perf_counter() - t0,
        model,
        beyond,
    )


def _report(
    instance: Instance,
    base: Instance,
    mover_ids: tuple[str, ...],
    candidates: list[Candidate],
    policy: Policy,
    targets: tuple[Target, ...],
    budget: float | None,
    horizon_weeks: int,
    before: MatchResult,
    before_progress: dict[str, tuple[int, int]],
    best: Any,
    reachable: bool,
    proven: bool,
    stop: str,
    search: list[dict[str, Any]],
    seconds: float,
    model: RecruitModel,
    beyond: dict[str, int],
) -> RecruitPlan:
    as_of = policy.as_of_date()
    if best is None:
        mix: tuple[int, ...] = ()
        inst_m, res, prog = base, before, before_progress
    else:
        _, mix, inst_m, res, prog = best
    places = {p.place_id: p for p in inst_m.places}
    orig = {p.place_id: p for p in instance.places}
    profile_of = {candidates[h].place.place_id: candidates[h].profile.name for h in mix}
    movers_set = set(mover_ids)

    together = {
        k
        for g in scope_groups(inst_m)
        if all(x in res.assignment for x in g) and len({res.assignment[x] for x in g}) == 1
        for k in g
    }
    in_groups = {k for g in scope_groups(inst_m) for k in g}
    beyond_ids: dict[str, set[str]] = {}
    for t, who in model.beyond:
        beyond_ids.setdefault(t.value, set()).update(who)
    rows = []
    for c in base.children:
        if c.status is not Status.NEEDS_PLACEMENT:
            continue
        short: list[str] = []
        if Target.ALL_PLACED in targets and c.child_id not in res.assignment:
            short.append(Target.ALL_PLACED.value)
        if (
            Target.NO_UNDER12_RESIDENTIAL in targets
            and c.age_on(as_of) < FAMILY_AGE
            and not (c.child_id in res.assignment and places[res.assignment[c.child_id]].setting is Setting.FOSTER)
        ):
            short.append(Target.NO_UNDER12_RESIDENTIAL.value)
        if Target.SIBLINGS_TOGETHER in targets and c.child_id in in_groups and c.child_id not in together:
            short.append(Target.SIBLINGS_TOGETHER.value)
        src = orig.get(c.current_place_id) if c.child_id in movers_set and c.current_place_id else None
        dst_id = res.assignment.get(c.child_id)
        dst = places[dst_id] if dst_id else None
        moved = dst is not None and (src is None or dst.place_id != src.place_id)
        to_family = (
            dst is not None and dst.setting is Setting.FOSTER and (src is None or src.setting is not Setting.FOSTER)
        )
        saving = (src.weekly_cost - dst.weekly_cost) if (src is not None and dst is not None and moved) else 0.0
        pre_id = before.assignment.get(c.child_id)
        pre = places[pre_id] if pre_id else None
        thanks = (
            dst is not None and dst.setting is Setting.FOSTER and (pre is None or pre.setting is not Setting.FOSTER)
        )
        rows.append(
            {
                "child_id": c.child_id,
                "age_band": age_band(c.age_on(as_of)),
                "why": "lives here today, target asks" if c.child_id in movers_set else "needs a placement",
                "from_place_id": src.place_id if src else "",
                "from_setting": src.setting.value if src else "",
                "from_weekly_cost": src.weekly_cost if src else 0.0,
                "without_recruits_place_id": pre_id or "",
                "without_recruits_setting": pre.setting.value if pre else "",
                "to_place_id": dst_id or "",
                "to_setting": dst.setting.value if dst else "",
                "to_profile": profile_of.get(dst_id or "", ""),
                "to_weekly_cost": dst.weekly_cost if dst else 0.0,
                "moves": moved,
                "to_family": to_family,
                "to_family_because_of_recruits": thanks,
                "weekly_saving": round(saving, 2),
                "short_of": ";".join(short),
                "beyond_every_profile": ";".join(t for t in short if c.child_id in beyond_ids.get(t, set())),
            }
        )
    moves = pd.DataFrame(
        rows,
        columns=[
            "child_id",
            "age_band",
            "why",
            "from_place_id",
            "from_setting",
            "from_weekly_cost",
            "without_recruits_place_id",
            "without_recruits_setting",
            "to_place_id",
            "to_setting",
            "to_profile",
            "to_weekly_cost",
            "moves",
            "to_family",
            "to_family_because_of_recruits",
            "weekly_saving",
            "short_of",
            "beyond_every_profile",
        ],
    )
    why = dict(zip(res.moves["child_id"], res.moves["reason"], strict=True)) if len(res.moves) else {}
    moves["move_reason"] = [why.get(k, "") if m else "" for k, m in zip(moves["child_id"], moves["moves"], strict=True)]
    hh = []
    seen: list[str] = []
    for cand in candidates:
        if cand.profile.name not in seen:
            seen.append(cand.profile.name)
    for name in seen:
        prof = next(c.profile for c in candidates if c.profile.name == name)
        chosen = [h for h in mix if candidates[h].profile.name == name]
        ids = {candidates[h].place.place_id for h in chosen}
        placed_there = moves[moves["to_place_id"].isin(ids)]
        hh.append(
            {
                "profile": name,
                "label": prof.label,
                "setting": prof.setting.value,
                "provider": prof.provider.value,
                "ages": f"{prof.age_min}-{prof.age_max}",
                "places_each": prof.places,
                "area": prof.area,
                "households": len(chosen),
                "children_placed": len(placed_there),
                "recruitment_cost_each": prof.recruitment_cost,
                "weekly_cost_per_child": prof.weekly_cost,
                "one_off_cost": round(prof.recruitment_cost * len(chosen), 2),
                "plan_cost": sum(model.cost[h] for h in chosen),
            }
        )
    households = pd.DataFrame(hh)
    prog_rows = [
        {
            "target": t,
            "of": prog[t][1],
            "beyond_every_profile": beyond.get(t, 0),
            "met_today": before_progress[t][0],
            "met_with_recruits": prog[t][0],
        }
        for t in prog
    ]
    progress_frame = pd.DataFrame(
        prog_rows, columns=["target", "of", "beyond_every_profile", "met_today", "met_with_recruits"]
    )

    one_off = round(float(households["one_off_cost"].sum()) if len(households) else 0.0, 2)
    weekly_saving = round(float(moves["weekly_saving"].sum()), 2)
    new_saving = round(float(moves.loc[moves["to_profile"] != "", "weekly_saving"].sum()), 2)
    new_spend = round(
        float(moves.loc[(moves["from_place_id"] == "") & (moves["to_place_id"] != ""), "to_weekly_cost"].sum()), 2
    )
    headline = {
        "as_of": as_of.isoformat(),
        "mode": "budget" if budget is not None else "target",
        "targets": [t.value for t in targets],
        "budget": budget,
        "horizon_weeks": horizon_weeks,
        "target_reachable": reachable if (best is not None or not reachable) else None,  # None: search stopped first
        "target_reached": reached(prog, beyond),
        "beyond_every_profile": beyond,
        "proven": proven and best is not None,
        "search_stop": stop,
        "mixes_tried": len(search),
        "households": len(mix),
        "households_by_profile": {r["profile"]: r["households"] for r in hh if r["households"]},
        "one_off_cost": one_off,
        "plan_cost": sum(model.cost[h] for h in mix),
        "children_in_scope": len(moves),
        "children_asked_to_move": len(mover_ids),
        "children_moving": int((moves["moves"] & (moves["from_place_id"] != "")).sum()),
        "children_newly_placed": int(((moves["from_place_id"] == "") & (moves["to_place_id"] != "")).sum()),
        "children_to_family": int(moves["to_family"].sum()),
        "children_to_family_because_of_recruits": int(moves["to_family_because_of_recruits"].sum()),
        "weekly_saving": weekly_saving,
        "annual_saving": round(weekly_saving * WEEKS_PER_YEAR, 2),
        "weekly_saving_in_new_households": new_saving,
        "weekly_cost_of_newly_placed": new_spend,
        "payback_weeks": round(one_off / new_saving, 1) if new_saving > 0 else None,
        "progress": {
            t: {
                "of": prog[t][1],
                "beyond_every_profile": beyond.get(t, 0),
                "today": before_progress[t][0],
                "with_recruits": prog[t][0],
            }
            for t in prog
        },
        "seconds": round(seconds, 3),
        "candidate_households": len(candidates),
        "patterns": model.patterns,
    }
    counts = move_counts(res.moves[res.moves["from_place_id"] != ""]) if len(res.moves) else move_counts(res.moves)
    headline["stability"] = policy.stability
    headline["moves_by_setting"] = counts["by_setting"]
    headline["moves_family_to_residential"] = counts["family_to_residential"]
    headline["moves_worse_for_the_child"] = counts["worse_for_the_child"]
    headline["status"] = plan_status(headline)
    headline["sentence"] = plan_sentence(headline, counts, len(mover_ids))
    return RecruitPlan(headline, households, moves, progress_frame, pd.DataFrame(search), inst_m, res)


TARGET_WORDS = {
    Target.ALL_PLACED.value: "every child who needs a home has one",
    Target.NO_UNDER12_RESIDENTIAL.value: "no child under 12 lives in a children's home",
    Target.SIBLINGS_TOGETHER.value: "brothers and sisters live together",
}


def plan_status(h: dict[str, Any]) -> str:
    """``reached`` (the mix is confirmed by the engine), ``not reached`` (no mix of the profiles can reach it
    with no child worse off) or ``not proven`` (the search stopped first); ``budget`` for the most a budget
    reaches. A reached target whose mix is not proven the cheapest says so in ``proven``."""
    if h["mode"] == "budget":
        return "budget"
    if h["target_reached"] and h["target_reachable"]:
        return "reached"
    if h["target_reachable"] is False:
        return "not reached"
    return "not proven"


def _gbp(v: float) -> str:
    return f"GBP {abs(v):,.0f}"


def plan_sentence(h: dict[str, Any], counts: dict[str, Any], asked: int) -> str:
    """What the plan says, in words: whether the target is reached, the households, what they cost, what the
    moves save (or cost), and the moves."""
    what = " and ".join(f"'{TARGET_WORDS[t]}'" for t in h["targets"])
    mix = ", ".join(f"{k} {v}" for k, v in h["households_by_profile"].items())
    households = f"{h['households']} household{'s' if h['households'] != 1 else ''}" + (f" ({mix})" if mix else "")
    cost = (
        f"a plan cost of {_gbp(h['plan_cost'])} (one-off recruitment {_gbp(h['one_off_cost'])} and "
        f"{h['horizon_weeks']} weeks of the new places)"
    )
    saving = h["annual_saving"]
    money = (
        f"the moves save {_gbp(saving)} a year"
        if saving > 0
        else f"the moves cost {_gbp(saving)} a year more"
        if saving < 0
        else "the moves save nothing"
    )
    status = h["status"]
    if status == "budget":
        head = f"The most GBP {h['budget']:,.0f} reaches towards {what}: recruit {households}, {cost}; {money}."
    elif status == "reached" and not h["households"]:
        head = (
            f"Target {what} reached with no child worse off and no household to recruit: today's homes do it; {money}."
        )
    elif status == "reached":
        proof = "proven the cheapest" if h["proven"] else "not proven the cheapest (the search stopped first)"
        head = f"Target {what} reached with no child worse off: recruit {households}, {cost}, {proof}; {money}."
    elif status == "not reached":
        progress = "; ".join(
            f"{v['with_recruits']} of {v['of'] - v['beyond_every_profile']} meet it at most"
            + (f", {v['beyond_every_profile']} beyond every profile" if v["beyond_every_profile"] else "")
            for v in h["progress"].values()
        )
        head = (
            f"Target {what} not reached: no mix of these profiles reaches it with no child worse off ({progress}). "
            f"The most the profiles can do: recruit {households}, {cost}"
            + ("" if h["proven"] else " (not proven the cheapest way to do it)")
            + f"; {money}."
        )
    else:
        head = (
            f"Target {what} not proven: the search stopped ({h['search_stop']}) before the engine confirmed a mix "
            "that reaches it; no cost or saving is claimed for it."
        )
    beyond = sum(h["beyond_every_profile"].values())
    if beyond and status in ("reached", "not proven"):
        head += (
            f" {beyond} of the children or sibling groups it concerns {'is' if beyond == 1 else 'are'} beyond every"
            " profile (no home of today's or of these profiles could serve them, or none without making a settled"
            " child worse off) and left out of it."
        )
    n = counts["moving"]
    if n:
        by = ", ".join(f"{v} {k.replace('->', 'to')}" for k, v in counts["by_setting"].items())
        moves = f" {n} of the {asked} settled children the target concerns would move ({by})"
        moves += (
            ", each to a home better for them."
            if not counts["worse_for_the_child"]
            else f"; {counts['worse_for_the_child']} of these moves are not better for the child (policy allows it)."
        )
    else:
        moves = f" None of the {asked} settled children the target concerns would move." if asked else ""
    return head + moves


def recruitment_options(
    instance: Instance,
    policy: Policy,
    profiles: list[Profile],
    candidates: list[Candidate],
    time_limit: float,
    iterations: int,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, RecruitPlan]:
    """One recruitment option per target: the cheapest mix that reaches it (``plan_recruitment``).

    Each option gets its own time limit per solve and at most ``iterations`` confirmations, so a
    report's run time stays bounded; whether each option was proven is in its summary.
    """
    step = on_step or (lambda _text: None)
    plans = {}
    for t in Target:
        step(f"recruitment option: {t.value}")
        plans[t.value] = plan_recruitment(
            instance,
            policy.replace(time_limit_seconds=time_limit),
            profiles,
            targets=(t,),
            candidates=candidates,
            max_iterations=iterations,
        )
    return plans
