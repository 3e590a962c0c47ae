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
    homes = {h.place_id: h for h in Home.objects.filter(authority=authority)}
    with transaction.atomic():
        for c in case.instance.children:
            r = raw.get(c.child_id, {})
            values: dict[str, Any] = {
                "date_of_birth": c.date_of_birth,
                "sex": c.sex.value,
                "status": c.status.value,
                "current_place": homes.get(c.current_place_id) if c.current_place_id else None,
                "urgency": c.urgency.value,
                "sibling_group": c.sibling_group or "",
                "needs": ";".join(sorted(n.value for n in c.needs)),
                "settings": ";".join(s.value for s in c.settings),
                "lives_with_others": c.lives_with_others,
                "home_postcode": c.home_postcode or "",
                "school_postcode": r.get("school_postcode", ""),
                "local_authority": c.local_authority or "",
                "max_distance_miles": c.max_distance_miles,
                "permanence_plan": ";".join(p.value for p in c.permanence_plan),
                "plan_date": c.plan_date,
                "last_review_date": c.last_review_date,
                "entered_care_date": c.entered_care_date,
                "assessment_date": c.assessment_date,
                "review_dates": ";".join(d.isoformat() for d in c.review_dates),
            }
            referral = Referral.objects.filter(authority=authority, child_id=c.child_id).first()
            if referral is None:
                referral = Referral.objects.create(authority=authority, child_id=c.child_id, **values)
                audit.record(
                    actor, "referral.import", "child", c.child_id, None, _snapshot(referral, casefolder.CHILD_COLUMNS)
                )
            else:
                before = _snapshot(referral, casefolder.CHILD_COLUMNS)
                for k, v in values.items():
                    setattr(referral, k, v)
                referral.version += 1
                referral.save()
                b, a = audit.diff(before, _snapshot(referral, casefolder.CHILD_COLUMNS))
                audit.record(actor, "referral.import", "child", c.child_id, b, a)
    return len(case.instance.children)


def _without_kinship(places_csv: str) -> str:
    rows = list(csv.DictReader(io.StringIO(places_csv, newline="")))
    out = io.StringIO()
    if not rows:
        return places_csv
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        r["kinship_for"] = ""
        writer.writerow(r)
    return out.getvalue()
