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


def _update(actor: Actor, obj: Any, changes: dict[str, Any], version: int, columns: tuple[str, ...]) -> Any:
    """Apply changes to a home or a referral under a row lock, audited; refused if its version moved on
    (another officer saved first)."""
    kind, key, action = ("home", "place_id", "home") if isinstance(obj, Home) else ("child", "child_id", "referral")
    with transaction.atomic():
        locked = type(obj).objects.select_for_update().get(pk=obj.pk)
        if locked.version != version:
            what = f"home {locked.place_id}" if kind == "home" else f"child {locked.child_id}'s referral"
            raise StaleEdit(f"{what} was changed by someone else; reload and try again")
        before = _snapshot(locked, columns)
        for k, v in changes.items():
            setattr(locked, k, v)
        locked.version += 1
        locked.save()
        b, a = audit.diff(before, _snapshot(locked, columns))
        audit.record(actor, f"{action}.update", kind, getattr(locked, key), b, a)
        return locked


def update_home(actor: Actor, home: Home, changes: dict[str, Any], version: int) -> Home:
    """Apply form changes to a home; confirming vacancies sets today's date. Refused if the version moved on."""
    updated: Home = _update(actor, home, changes, version, PLACE_COLUMNS)
    return updated


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
    """Apply form changes to a referral. Refused if the version moved on."""
    updated: Referral = _update(actor, referral, changes, version, CHILD_COLUMNS)
    return updated


def record_view(actor: Actor, referral: Referral) -> None:
    """A child's record was opened: who, in what role, when (the identifier only)."""
    with transaction.atomic():
        audit.record(actor, "child.view", "child", referral.child_id)
