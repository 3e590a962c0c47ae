"""Hypothesis strategies that build valid tiny instances with every rule in play."""

from __future__ import annotations

from hypothesis import strategies as st

from builders import child, instance, place
from placements.instance import Instance

NEEDS = ["", "disability", "exploitation", "disability;exploitation"]
#: Areas a child must avoid (issue 15): a district, a sector, a unitary authority, a county and one of its districts,
#: against homes drawn from POSTCODES and AUTHORITIES, so that every kind of entry sometimes excludes a home.
AVOID = ["", "", "", "NG7", "NG7 2", "E06000018", "E10000024", "E07000170;NG5"]
POSTCODES = [None, "NG7 2RD", "NG7 3AB", "NG5 1AA", "NG15 6AA"]
AUTHORITIES = ["E06000018", "E06000018", "E07000170"]
#: Lists of suitable settings that include a home's setting (supported accommodation: 16-17 only).
SUITING = {
    "foster": ["", "foster", "foster;residential", "residential;foster"],
    "residential": ["", "residential", "residential;foster", "foster;residential"],
    "supported": ["supported", "supported;foster", "foster;supported"],
}


def _school(draw: st.DrawFn) -> dict[str, object]:
    """A school on the grid for about one child in three (its postcode stands for the location)."""
    miles = draw(st.sampled_from([None, None, 0, 10, 25]))
    if miles is None:
        return {}
    return {"school_postcode": "NG5 1AA", "school_easting": miles * 1609.3, "school_northing": 0.0}


@st.composite
def tiny_instances(
    draw: st.DrawFn, max_children: int = 5, max_places: int = 3, placed_ok: bool = True, settled: bool = False
) -> Instance:
    """``settled``: about half the children are placed, each in a home whose own rules they meet (age,
    sex, needs, setting), as most children in care are, so the stability rule has children to protect."""
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
                status="placed" if placed_ok and draw(st.integers(0, 1 if settled else 5)) == 0 else "needs_placement",
                urgency=draw(st.sampled_from(["planned", "planned", "emergency"])),
                sibling_group=draw(st.sampled_from([None, None, "A", "A", "B"])),
                needs=draw(st.sampled_from(NEEDS)),
                settings=settings,
                lives_with_others=draw(st.sampled_from(["yes", "yes", "yes", "no"])),
                home_easting=float(draw(st.integers(0, 40))) * 1609.3,
                max_distance_miles=draw(st.sampled_from([None, None, 15.0])),
                permanence_plan=draw(st.sampled_from(["", "long_term_foster"])),
                avoid_areas=draw(st.sampled_from(AVOID)),
                **_school(draw),
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
                postcode=draw(st.sampled_from(POSTCODES)),
                la_code=draw(st.sampled_from(AUTHORITIES)),
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
            if settled:  # a home that suits the child: age, sex, needs and setting
                h = homes[j]
                lo, hi = (
                    (max(h.age_min, 16), max(h.age_max, 17))
                    if h.setting.value == "supported"
                    else (h.age_min, h.age_max)
                )
                if (lo, hi) != (h.age_min, h.age_max):
                    homes[j] = h = h.model_copy(update={"age_min": lo, "age_max": hi})
                age = draw(st.integers(lo, hi))
                if h.sex.value != "any":
                    k["sex"] = h.sex.value
                k["needs"] = ";".join([x.value for x in sorted(h.meets_needs) if draw(st.booleans())])
                k["settings"] = draw(st.sampled_from(SUITING[h.setting.value]))
                k["max_distance_miles"] = None
        built.append(child(cid, age=age, home_northing=0.0, **k))
    homes = [
        h.model_copy(update={"children_in_placement": max(h.children_in_placement, occupancy[h.place_id])})
        for h in homes
    ]
    if draw(st.booleans()):
        named = draw(st.sampled_from([c.child_id for c in built]))
        homes[0] = homes[0].model_copy(update={"kinship_for": frozenset({named}), "setting": homes[0].setting})
    return instance(built, homes)
