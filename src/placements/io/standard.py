"""The placements data standard (``SocialCareData/placements-standard``, v2, 2025-07-18) in and out.

The standard, piloted by the regional care co-operatives, describes a child at the point of referral
for a placement (availability, requirements, the settings recommended, risks) and the placement
agreed (type, weekly cost, provider URN, siblings placed together). Its fields are listed in its
``placements.json``; ``docs/standard.md`` maps every case-folder column to them and lists every
field of the standard the case folder lacks.

Files, CSV, one row per child, headed by the standard's field names (``childId``, ``neededBy``,
``fosterCareSuitability``, ``riskSelfHarm``, ...; a multi-valued field is ``;``-separated):

- ``referrals.csv``: PlacementAvailability, PlacementRequirements, PlacementRecommendation and Risks.
- ``placements.csv``: ActualPlacement for a child living in a home (or, from a match, proposed one),
  with ``childId``.

The standard allows local fields beside its own ("will not preclude LAs from gathering additional
data fields"), so the export adds, under their case-folder names, the columns the standard has no
field for (date of birth, sex, sibling group, home postcode, plans, ...) and those it states less
precisely (the full order of suitable settings, needs it has no field for). With them, case folder
-> standard -> case folder gives back what the engine uses; without them the import still reads the
standard's own fields, and says what it could not know.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from placements.codes import Need, Setting, Status, Urgency
from placements.errors import InputError, Problem
from placements.instance import Instance
from placements.io import case_folder
from placements.io.case_folder import columns_except

STANDARD = "SocialCareData/placements-standard v2 (2025-07-18)"

#: neededBy -> urgency. The engine knows emergency and planned only: "in less than 5 days" is planned.
NEEDED_BY = {"Today": Urgency.EMERGENCY, "in less than 5 days": Urgency.PLANNED, "in more than 5 days": Urgency.PLANNED}
URGENCY_NEEDED_BY = {Urgency.EMERGENCY: "Today", Urgency.PLANNED: "in more than 5 days"}

SUITABILITY_FIELD = {
    Setting.FOSTER: "fosterCareSuitability",
    Setting.RESIDENTIAL: "residentialCareSuitability",
    Setting.SUPPORTED: "supportedAccommodationSuitability",
}
PREFERRED, SUITABLE, UNSUITABLE, NOT_SPECIFIED = (
    "Preferred",
    "Suitable but not preferred",
    "Unsuitable",
    "Not specified",
)
SUITABILITY = (PREFERRED, SUITABLE, UNSUITABLE, NOT_SPECIFIED)

PRESENT, NO_RISK = "Risk Present", "No known risk"
#: Risk field -> the need it is (several fields may be one need).
RISK_NEED: dict[str, Need] = {
    "riskSelfHarm": Need.SELF_HARM,
    "riskSexualExploitation": Need.EXPLOITATION,
    "riskCriminalExploitation": Need.EXPLOITATION,
    "riskDrugAlcohol": Need.SUBSTANCE_MISUSE,
    "riskMissing": Need.MISSING,
    "riskToOthersPhysical": Need.HARM_TO_OTHERS,
    "riskToOthersSexual": Need.HARM_TO_OTHERS,
    "riskToOthersFire": Need.HARM_TO_OTHERS,
    "riskToOthersAnimals": Need.HARM_TO_OTHERS,
    "riskToOthersCriminal": Need.HARM_TO_OTHERS,
}
#: Risk fields the case folder has no need for: exported as "No known risk" only when said so, else blank.
RISK_UNMAPPED = ("riskEatingDisorder",)
LIVING = {
    "Solo placement recommended": False,
    "With other children recommended": True,
    "Only with other older children": True,
    "Only with other younger children": True,
    "No preference": True,
}
PLACEMENT_TYPE = {
    Setting.FOSTER: "Foster",
    Setting.RESIDENTIAL: "Residential",
    Setting.SUPPORTED: "Supported Accommodation",
}
YES_NO = {"Y": True, "N": False, "Yes": True, "No": False}

REFERRAL_FIELDS = (
    "childId", "neededBy", "siblingCount", "preferredLocation",
    "communicationNeeds", "specificCommunicationRequirements", "homeAdaptation", "culturalNeeds", "livingCompanions",
    "pets", "additionalSupport", "deprivationOfLiberty",
    "fosterCareSuitability", "residentialCareSuitability", "supportedAccommodationSuitability",
    *RISK_NEED, *RISK_UNMAPPED, "riskOther", "riskToOthersOther", "referralDate",
)  # fmt: skip
PLACEMENT_FIELDS = (
    "childId", "totalWeeklyCost", "placementLocation", "preferabilityLocation", "educationContinuity", "providerURN",
    "siblingsPlacedTogether", "placementType", "placementDate",
)  # fmt: skip
#: Case-folder columns written beside the standard's fields (local fields): what it lacks or states less precisely.
LOCAL_COLUMNS = (
    "date_of_birth", "sex", "status", "sibling_group", "needs", "settings", "home_postcode", "local_authority",
    "max_distance_miles", "permanence_plan", "plan_date", "last_review_date", "entered_care_date", "assessment_date",
    "review_dates", "siblings_apart_reason", "residential_rationale",
)  # fmt: skip


def _sector(postcode: str | None) -> str:
    return postcode[:-2] if postcode and len(postcode.split(" ")[-1]) == 3 else (postcode or "")


def _iso(d: dt.date | None) -> str:
    return d.isoformat() if d else ""


def referrals_frame(instance: Instance, as_of: dt.date) -> pd.DataFrame:
    """One referral row per child: the standard's fields, then the local (case-folder) columns."""
    rows = []
    groups = instance.sibling_groups
    for c in instance.children:
        settings = c.suitable_settings(as_of) if c.settings else ()
        row: dict[str, Any] = dict.fromkeys(REFERRAL_FIELDS, "")
        row.update(
            childId=c.child_id,
            # Placed children need no home; an emergency flag on one still matters to a whole-cohort match.
            neededBy=URGENCY_NEEDED_BY[c.urgency]
            if c.status is Status.NEEDS_PLACEMENT or c.urgency is Urgency.EMERGENCY
            else "",
            siblingCount=str(len(groups.get(c.sibling_group or "", ())) - 1) if c.sibling_group in groups else "0",
            preferredLocation=_sector(c.home_postcode),
            communicationNeeds="Y" if Need.COMMUNICATION in c.needs else "N",
            homeAdaptation="Y" if Need.DISABILITY in c.needs else "N",
            livingCompanions="With other children recommended" if c.lives_with_others else "Solo placement recommended",
            referralDate=as_of.isoformat(),
        )
        for s, field in SUITABILITY_FIELD.items():
            if not settings:
                row[field] = NOT_SPECIFIED
            else:
                row[field] = PREFERRED if s == settings[0] else SUITABLE if s in settings else UNSUITABLE
        for field, need in RISK_NEED.items():
            row[field] = PRESENT if need in c.needs else NO_RISK
        row.update(
            date_of_birth=_iso(c.date_of_birth),
            sex=c.sex.value,
            status=c.status.value,
            sibling_group=c.sibling_group or "",
            needs=";".join(sorted(n.value for n in c.needs)),
            settings=";".join(s.value for s in c.settings),
            home_postcode=c.home_postcode or "",
            local_authority=c.local_authority or "",
            max_distance_miles="" if c.max_distance_miles is None else f"{c.max_distance_miles:g}",
            permanence_plan=";".join(r.value for r in c.permanence_plan),
            plan_date=_iso(c.plan_date),
            last_review_date=_iso(c.last_review_date),
            entered_care_date=_iso(c.entered_care_date),
            assessment_date=_iso(c.assessment_date),
            review_dates=";".join(d.isoformat() for d in c.review_dates),
            siblings_apart_reason=c.siblings_apart_reason or "",
            residential_rationale=c.residential_rationale or "",
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=[*REFERRAL_FIELDS, *LOCAL_COLUMNS])


def placements_frame(instance: Instance, assignment: dict[str, str] | None = None) -> pd.DataFrame:
    """ActualPlacement rows: each placed child's current home, or with ``assignment`` (a match's
    proposals, child -> home) the homes proposed. ``place_id`` is a local column beside them."""
    places = {p.place_id: p for p in instance.places}
    kids = {c.child_id: c for c in instance.children}
    pairs = (
        assignment
        if assignment is not None
        else {
            c.child_id: c.current_place_id
            for c in instance.children
            if c.status is Status.PLACED and c.current_place_id
        }
    )
    rows = []
    for cid, pid in pairs.items():
        p, c = places[pid], kids[cid]
        group = instance.siblings_of(cid)
        together = sum(1 for s in group if pairs.get(s) == pid)
        in_area = p.la_code is not None and c.local_authority is not None and p.la_code == c.local_authority
        rows.append(
            {
                "childId": cid,
                "totalWeeklyCost": f"{p.weekly_cost:.0f}",
                "placementLocation": _sector(p.postcode) or (p.la_code or ""),
                "preferabilityLocation": "Yes" if in_area else "",
                "educationContinuity": "",
                "providerURN": p.ofsted_urn or "",
                "siblingsPlacedTogether": str(together),
                "placementType": PLACEMENT_TYPE[p.setting],
                "placementDate": "",
                "place_id": pid,
            }
        )
    return pd.DataFrame(rows, columns=[*PLACEMENT_FIELDS, "place_id"])


# ---------------------------------------------------------------------------------------------
# Import


def _read(path: Path, problems: list[Problem]) -> list[dict[str, str]] | None:
    from placements.io.case_folder import _read_csv

    table = _read_csv(path, ("childId",), problems)
    return None if table is None else table.rows


def _check(value: str, allowed: tuple[str, ...] | dict[str, Any], where: Problem, problems: list[Problem]) -> bool:
    if value in allowed:
        return True
    shown = ", ".join(f"{a!r}" for a in allowed)
    problems.append(Problem(where.file, where.row, where.column, f"{value!r} is not one of {shown}"))
    return False


def children_rows(referrals: Path, placements: Path | None = None) -> list[dict[str, str]]:
    """children.csv rows (case-folder columns) from the standard's files; ``InputError`` listing every
    unknown code or conflict with file, line and column (nothing is written then)."""
    problems: list[Problem] = []
    rows = _read(Path(referrals), problems)
    placed: dict[str, tuple[dict[str, str], str]] = {}
    if placements is not None:
        prow = _read(Path(placements), problems)
        for r in prow or []:
            if not r.get("place_id"):
                problems.append(Problem(str(placements), int(r["__line__"]), "place_id",
                                        "place_id (local column) is blank: the home cannot be found"))  # fmt: skip
            placed[r["childId"]] = (r, str(placements))
    if rows is None or problems:
        raise InputError(problems)
    out = []
    name = str(referrals)
    for r in rows:
        line = int(r["__line__"])

        def at(col: str, _line: int = line) -> Problem:
            return Problem(name, _line, col, "")

        child: dict[str, str] = {"child_id": r["childId"]}
        for col in LOCAL_COLUMNS:
            if r.get(col, "") != "":
                child[col] = r[col]
        # Urgency and status
        needed = r.get("neededBy", "")
        if needed:
            if _check(needed, NEEDED_BY, at("neededBy"), problems):
                child["urgency"] = NEEDED_BY[needed].value
            child.setdefault("status", Status.NEEDS_PLACEMENT.value)
        # Settings: the local column's order, else Preferred first then the suitable ones in the legal order.
        ranks: dict[Setting, str] = {}
        for s, field in SUITABILITY_FIELD.items():
            v = r.get(field, "") or NOT_SPECIFIED
            if _check(v, SUITABILITY, at(field), problems):
                ranks[s] = v
        named = [s for s in Setting if ranks.get(s) == PREFERRED] + [s for s in Setting if ranks.get(s) == SUITABLE]
        if named and "settings" not in child:
            child["settings"] = ";".join(s.value for s in named)
        elif named and set(child["settings"].split(";")) != {s.value for s in named}:
            problems.append(
                Problem(
                    name,
                    line,
                    "settings",
                    f"settings {child['settings']!r} disagree with the suitability fields "
                    f"({', '.join(s.value for s in named)})",
                )
            )
        # Needs: the standard's requirements and risks, with the local column's needs it has no field for.
        needs = set(child.get("needs", "").split(";")) - {""}
        communication = r.get("communicationNeeds", "")
        if communication and _check(communication, ("Y", "N", "Not Specified"), at("communicationNeeds"), problems):
            needs |= {Need.COMMUNICATION.value} if communication == "Y" else set()
        adapted = r.get("homeAdaptation", "")
        if adapted and _check(adapted, YES_NO, at("homeAdaptation"), problems) and YES_NO[adapted]:
            needs.add(Need.DISABILITY.value)
        for field, need in RISK_NEED.items():
            v = r.get(field, "")
            if v and _check(v, (PRESENT, NO_RISK), at(field), problems) and v == PRESENT:
                needs.add(need.value)
        for field in RISK_UNMAPPED:
            v = r.get(field, "")
            if v:
                _check(v, (PRESENT, NO_RISK), at(field), problems)
        child["needs"] = ";".join(sorted(needs))
        living = r.get("livingCompanions", "")
        if living and _check(living, LIVING, at("livingCompanions"), problems):
            child["lives_with_others"] = "yes" if LIVING[living] else "no"
        hit = placed.get(r["childId"])
        if hit is not None:
            prow_, pfile = hit
            ptype = prow_.get("placementType", "")
            if ptype:
                _check(
                    ptype,
                    tuple(PLACEMENT_TYPE.values()),
                    Problem(pfile, int(prow_["__line__"]), "placementType", ""),
                    problems,
                )
            child["current_place_id"] = prow_["place_id"]
            child.setdefault("status", Status.PLACED.value)
        child.setdefault("status", Status.PLACED.value)
        out.append(child)
    known = {r["childId"] for r in rows}
    for cid, (prow_, pfile) in placed.items():
        if cid not in known:
            problems.append(Problem(pfile, int(prow_["__line__"]), "childId", f"child {cid!r} has no referral row"))
    if problems:
        raise InputError(problems)
    return out


#: The children.csv an import writes: the case folder's columns the standard can fill.
CHILD_COLUMNS = columns_except(case_folder.CHILD_COLUMNS, "school_postcode", "avoid_areas")


def children_csv(rows: list[dict[str, str]]) -> str:
    frame = pd.DataFrame([[r.get(c, "") for c in CHILD_COLUMNS] for r in rows], columns=list(CHILD_COLUMNS))
    return str(frame.to_csv(index=False, lineterminator="\n"))
