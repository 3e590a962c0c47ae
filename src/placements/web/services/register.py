"""Writes to the register of homes and to referrals. Each is one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from placements.web import audit
from placements.web.audit import Actor
from placements.web.models import Authority, Home, Referral
from placements.web.services.casefolder import CHILD_COLUMNS, PLACE_COLUMNS


class StaleEdit(Exception):
    """Someone else changed the record after this form was opened."""


def _snapshot(obj: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    out = {c: getattr(obj, c, None) for c in columns}
    if isinstance(obj, Referral):
        out["current_place_id"] = obj.current_place.place_id if obj.current_place_id else None
    return out


def update_home(actor: Actor, home: Home, changes: dict[str, Any], version: int) -> Home:
    """Apply form changes to a home; confirming vacancies sets today's date. Refused if the version moved on."""
    with transaction.atomic():
        locked = Home.objects.select_for_update().get(pk=home.pk)
        if locked.version != version:
            raise StaleEdit(f"home {locked.place_id} was changed by someone else; reload and try again")
        before = _snapshot(locked, PLACE_COLUMNS)
        for k, v in changes.items():
            setattr(locked, k, v)
        locked.version += 1
        locked.save()
        b, a = audit.diff(before, _snapshot(locked, PLACE_COLUMNS))
        audit.record(actor, "home.update", "home", locked.place_id, b, a)
        return locked


def confirm_vacancies(actor: Actor, home: Home, vacancies: int, version: int, today: dt.date | None = None) -> Home:
    return update_home(
        actor, home, {"vacancies": vacancies, "vacancies_confirmed_on": today or dt.date.today()}, version
    )


def create_home(actor: Actor, authority: Authority, values: dict[str, Any]) -> Home:
    with transaction.atomic():
        home = Home.objects.create(authority=authority, **values)
        audit.record(actor, "home.create", "home", home.place_id, None, _snapshot(home, PLACE_COLUMNS))
        return home


def create_referral(actor: Actor, authority: Authority, values: dict[str, Any]) -> Referral:
    with transaction.atomic():
        referral = Referral.objects.create(authority=authority, **values)
        audit.record(actor, "referral.create", "child", referral.child_id, None, _snapshot(referral, CHILD_COLUMNS))
        return referral


def update_referral(actor: Actor, referral: Referral, changes: dict[str, Any], version: int) -> Referral:
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if locked.version != version:
            raise StaleEdit(f"child {locked.child_id}'s referral was changed by someone else; reload and try again")
        before = _snapshot(locked, CHILD_COLUMNS)
        for k, v in changes.items():
            setattr(locked, k, v)
        locked.version += 1
        locked.save()
        b, a = audit.diff(before, _snapshot(locked, CHILD_COLUMNS))
        audit.record(actor, "referral.update", "child", locked.child_id, b, a)
        return locked


def record_view(actor: Actor, referral: Referral) -> None:
    """A child's record was opened: who, in what role, when (the identifier only)."""
    with transaction.atomic():
        audit.record(actor, "child.view", "child", referral.child_id)
