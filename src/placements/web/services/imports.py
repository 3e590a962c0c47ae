"""Imports of places.csv and children.csv: checked by the engine's own reader, then saved in one transaction.

Any problem (file, line, column, as ``placements match`` reports them) means nothing is imported.
Rows are matched to existing records by ``place_id`` / ``child_id``: existing ones are updated,
new ones created; records not in the file are left as they are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path
from typing import Any

from django.db import transaction

from placements.web import audit
from placements.web.audit import Actor
from placements.web.models import Authority, Home, Referral
from placements.web.services import casefolder
from placements.web.services.register import _snapshot


class ImportProblems(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportProblems([f"{name}: not UTF-8 text: {exc}"]) from None


def _raw_rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader if any(row.values())]


def import_places(actor: Actor, authority: Authority, data: bytes, name: str = "places.csv") -> int:
    """Create or update homes from a places.csv; vacancies count as confirmed today."""
    from placements.errors import Problem
    from placements.io.case_folder import read_places

    text = _decode(data, name)
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="placements-import-") as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        places, _, _ = read_places(path, problems)
        if problems:
            raise ImportProblems([str(p).replace(str(Path(tmp)) + "/", "") for p in problems])
    raw = {r.get("place_id", ""): r for r in _raw_rows(text)}
    today = dt.date.today()
    with transaction.atomic():
        for p in places:
            r = raw.get(p.place_id, {})
            values: dict[str, Any] = {
                "setting": p.setting.value,
                "provider": p.provider.value,
                "postcode": p.postcode or "",
                "easting": None if p.postcode else p.easting,
                "northing": None if p.postcode else p.northing,
                "local_authority": r.get("local_authority", "") or (p.la_code or ""),
                "vacancies": p.vacancies,
                "children_in_placement": p.children_in_placement,
                "age_min": p.age_min,
                "age_max": p.age_max,
                "sex": p.sex.value,
                "meets_needs": ";".join(sorted(n.value for n in p.meets_needs)),
                "weekly_cost": p.weekly_cost,
                "long_term": p.long_term,
                "sibling_exemption": p.sibling_exemption,
                "kinship_for": ";".join(sorted(p.kinship_for)),
                "ofsted_rating": p.ofsted_rating.value if p.ofsted_rating else "",
                "ofsted_urn": p.ofsted_urn or "",
                "ofsted_date": p.ofsted_date,
                "ofsted_approved_for": ";".join(sorted(p.ofsted_approved_for)),
                "location_approximate": p.location_approximate,
                "vacancies_confirmed_on": today,
            }
            home = Home.objects.filter(authority=authority, place_id=p.place_id).first()
            if home is None:
                home = Home.objects.create(authority=authority, place_id=p.place_id, **values)
                audit.record(
                    actor, "home.import", "home", home.place_id, None, _snapshot(home, casefolder.PLACE_COLUMNS)
                )
            else:
                before = _snapshot(home, casefolder.PLACE_COLUMNS)
                for k, v in values.items():
                    setattr(home, k, v)
                home.version += 1
                home.save()
                b, a = audit.diff(before, _snapshot(home, casefolder.PLACE_COLUMNS))
                audit.record(actor, "home.import", "home", home.place_id, b, a)
    return len(places)


def import_children(actor: Actor, authority: Authority, data: bytes, name: str = "children.csv") -> int:
    """Create or update referrals from a children.csv, checked against the current register."""
    from placements import InputError, read_case_folder

    text = _decode(data, name)
    files = casefolder.build(authority, dt.date.today())
    # The register's kinship_for may name children the file does not list: checked on the next match instead.
    homes_text = _without_kinship(files["places.csv"])
    with tempfile.TemporaryDirectory(prefix="placements-import-") as tmp:
        folder = Path(tmp) / "case"
        casefolder.write({"children.csv": text, "places.csv": homes_text, "policy.toml": files["policy.toml"]}, folder)
        try:
            case = read_case_folder(folder)
        except InputError as exc:
            shown = [str(p).replace(str(folder) + "/", "") for p in exc.problems]
            raise ImportProblems(
                [s.replace("children.csv", name, 1) if s.startswith("children.csv") else s for s in shown]
            ) from None
    raw = {r.get("child_id", ""): r for r in _raw_rows(text)}
    _save_children(actor, authority, case.instance.children, raw, None, "referral.import")
    return len(case.instance.children)


#: The fields an SSDA903 return carries; the others come from the supplement, when it has a row for the child.
RETURN_FIELDS = frozenset(
    {
        "date_of_birth",
        "sex",
        "home_postcode",
        "local_authority",
        "entered_care_date",
        "last_review_date",
        "review_dates",
    }
)


def _child_values(c: Any, raw: dict[str, str], homes: dict[str, Home]) -> dict[str, Any]:
    return {
        "date_of_birth": c.date_of_birth,
        "sex": c.sex.value,
        "status": c.status.value,
        "current_place": homes.get(c.current_place_id) if c.current_place_id else None,
        "urgency": c.urgency.value,
        "sibling_group": c.sibling_group or "",
        "needs": ";".join(sorted(n.value for n in c.needs)),
        "settings": ";".join(st.value for st in c.settings),
        "lives_with_others": c.lives_with_others,
        "home_postcode": c.home_postcode or "",
        "school_postcode": c.school_postcode or "",
        "avoid_areas": ";".join(c.avoid_areas),
        "local_authority": c.local_authority or "",
        "max_distance_miles": c.max_distance_miles,
        "permanence_plan": ";".join(p.value for p in c.permanence_plan),
        "plan_date": c.plan_date,
        "last_review_date": c.last_review_date,
        "entered_care_date": c.entered_care_date,
        "assessment_date": c.assessment_date,
        "review_dates": ";".join(d.isoformat() for d in c.review_dates),
    }


def _save_children(
    actor: Actor,
    authority: Authority,
    children: Any,
    raw: dict[str, dict[str, str]],
    only: dict[str, frozenset[str]] | None,
    action: str,
) -> None:
    """Create or update referrals in one transaction; ``only[child_id]`` limits which fields an update may change."""
    homes = {h.place_id: h for h in Home.objects.filter(authority=authority)}
    with transaction.atomic():
        for c in children:
            values = _child_values(c, raw.get(c.child_id, {}), homes)
            referral = Referral.objects.filter(authority=authority, child_id=c.child_id).first()
            if referral is None:
                referral = Referral.objects.create(authority=authority, child_id=c.child_id, **values)
                audit.record(actor, action, "child", c.child_id, None, _snapshot(referral, casefolder.CHILD_COLUMNS))
                continue
            if only is not None:
                allowed = only.get(c.child_id, RETURN_FIELDS)
                values = {
                    k: v for k, v in values.items() if k in allowed or (k == "current_place" and "status" in allowed)
                }
            before = _snapshot(referral, casefolder.CHILD_COLUMNS)
            for k, v in values.items():
                setattr(referral, k, v)
            referral.version += 1
            referral.save()
            b, a = audit.diff(before, _snapshot(referral, casefolder.CHILD_COLUMNS))
            audit.record(actor, action, "child", c.child_id, b, a)


def import_ssda903(
    actor: Actor, authority: Authority, return_zip: bytes, supplement: bytes | None = None, as_of: dt.date | None = None
) -> int:
    """Referrals from an SSDA903 return (a zip of its CSV files, any folders) and, optionally, the supplement.

    Read by the engine's own SSDA903 reader against the current register (``placements match --ssda903``'s
    path). New children are added with everything; a child already on the list is updated with the
    return's fields, and with the supplement's only when the supplement has a row for them, so a
    return without a supplement never wipes needs, settings or plans recorded in the application.
    """
    import zipfile

    from placements import InputError
    from placements.io.ssda903.case import read_ssda903_case

    day = as_of or dt.date.today()
    files = casefolder.build(authority, day)
    with tempfile.TemporaryDirectory(prefix="placements-import-") as tmp:
        root = Path(tmp)
        ret = root / "ssda903"
        ret.mkdir()
        try:
            archive = zipfile.ZipFile(io.BytesIO(return_zip))
        except zipfile.BadZipFile:
            raise ImportProblems(["the SSDA903 return must be a zip of its CSV files"]) from None
        for info in archive.infolist():
            name = Path(info.filename)
            if info.is_dir() or name.is_absolute() or ".." in name.parts or name.suffix.lower() not in (".csv", ".xml"):
                continue
            target = ret / Path(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
        register_dir = root / "register"
        casefolder.write(
            {"places.csv": _without_kinship(files["places.csv"]), "policy.toml": files["policy.toml"]}, register_dir
        )
        sup_path = None
        if supplement is not None:
            sup_path = root / "supplement.csv"
            sup_path.write_text(_decode(supplement, "supplement.csv"), encoding="utf-8")
        try:
            folder, _ = read_ssda903_case(ret, register_dir / "places.csv", sup_path, day, authority.la_code)
        except InputError as exc:
            raise ImportProblems([str(p).replace(str(root) + "/", "") for p in exc.problems]) from None
    in_supplement: set[str] = set()
    if supplement is not None:
        in_supplement = {r.get("CHILD", "") for r in _raw_rows(_decode(supplement, "supplement.csv"))}
    # A return and its supplement say nothing of the child's school or areas to avoid: recorded here, never wiped.
    all_fields = (frozenset(casefolder.CHILD_COLUMNS) | {"current_place"}) - {"school_postcode", "avoid_areas"}
    only = {
        c.child_id: (all_fields if c.child_id in in_supplement else RETURN_FIELDS) for c in folder.instance.children
    }
    _save_children(actor, authority, folder.instance.children, {}, only, "referral.import_ssda903")
    return len(folder.instance.children)


def _without_kinship(places_csv: str) -> str:
    rows = list(csv.DictReader(io.StringIO(places_csv, newline="")))
    out = io.StringIO()
    if not rows:
        return places_csv
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for r in rows:  # both name children, who may not be in the file being checked
        r["kinship_for"] = ""
        r["ofsted_approved_for"] = ""
        writer.writerow(r)
    return out.getvalue()
