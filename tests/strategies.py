"""Hypothesis strategies that build valid tiny instances with every rule in play."""

from __future__ import annotations

from hypothesis import strategies as st

from builders import child, instance, place
from placements.instance import Instance

NEEDS = ["", "disability", "exploitation", "disability;exploitation"]


@st.composite
def tiny_instances(draw: st.DrawFn, max_children: int = 5, max_places: int = 3, placed_ok: bool = True) -> Instance:
    n = draw(st.integers(1, max_children))
    m = draw(st.integers(1, max_places))
    kids = []
    for i in range(n):
        age = draw(st.integers(0, 17))
        settings = draw(st.sampled_from(["", "", "foster", "residential;foster", "supported;foster;residential"]))
        if "supported" in settings and age < 16:
            settings = draw(st.sampled_from(["", "supported;foster"]))  # a lawful but unsatisfiable wish
        kids.append(
            dict(
                cid=f"C{i}",
                age=age,
                sex=draw(st.sampled_from(["M", "F"])),
                status="placed" if placed_ok and draw(st.integers(0, 5)) == 0 else "needs_placement",
                urgency=draw(st.sampled_from(["planned", "planned", "emergency"])),
                sibling_group=draw(st.sampled_from([None, None, "A", "A", "B"])),
                needs=draw(st.sampled_from(NEEDS)),
                settings=settings,
                lives_with_others=draw(st.sampled_from(["yes", "yes", "yes", "no"])),
                home_easting=float(draw(st.integers(0, 40))) * 1609.3,
                max_distance_miles=draw(st.sampled_from([None, None, 15.0])),
                permanence_plan=draw(st.sampled_from(["", "long_term_foster"])),
            )
        )
    homes = []
    for j in range(m):
        lo = draw(st.integers(0, 17))
        hi = draw(st.integers(lo, 17))
        setting = draw(st.sampled_from(["foster", "foster", "residential", "supported"]))
        homes.append(
            place(
                f"P{j}",
                miles=float(draw(st.integers(0, 40))),
                setting=setting,
                provider="private" if setting != "foster" else "in_house",
                vacancies=draw(st.integers(0, 4)),
                children_in_placement=draw(st.integers(0, 3)),
                age_min=lo,
                age_max=hi,
                sex=draw(st.sampled_from(["any", "any", "M", "F"])),
                meets_needs=draw(st.sampled_from(NEEDS)),
                weekly_cost=draw(st.sampled_from([400, 800, 4000])),
                long_term=draw(st.sampled_from(["yes", "no"])),
                sibling_exemption=draw(st.sampled_from(["no", "no", "yes"])),
            )
        )
    # Placed children live somewhere that has room for them in children_in_placement.
    built = []
    occupancy = {h.place_id: 0 for h in homes}
    for k in kids:
        cid = k.pop("cid")
        age = k.pop("age")
        if k["status"] == "placed":
            j = draw(st.integers(0, m - 1))
            k["current_place_id"] = homes[j].place_id
            occupancy[homes[j].place_id] += 1
        built.append(child(cid, age=age, home_northing=0.0, **k))
    homes = [
        h.model_copy(update={"children_in_placement": max(h.children_in_placement, occupancy[h.place_id])})
        for h in homes
    ]
    if draw(st.booleans()):
        named = draw(st.sampled_from([c.child_id for c in built]))
        homes[0] = homes[0].model_copy(update={"kinship_for": frozenset({named}), "setting": homes[0].setting})
    return instance(built, homes)
