"""The audit trail: append-only, hash-chained, protected by database triggers.

Every write service calls :func:`record` inside its own transaction, so an action and its audit
event commit together or not at all. Each event's hash covers its fields and the previous
event's hash; :func:`verify` recomputes the chain and names the first row that does not match.
UPDATE and DELETE on the table are refused by triggers (migration 0002) on SQLite and PostgreSQL.

What goes in: identifiers, codes, numbers and dates of the register; never free text (reasons
typed by a person, a manager's rationale) and never a child's date of birth or postcode, which
are recorded as changed without their value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from placements.web.models import AuditEvent, AuditHead

GENESIS = "0" * 64
#: Fields whose values never enter the audit: recorded as "changed" only (a child's date of birth and
#: postcodes, and the areas they must avoid, which can point to a person who harms them; a fostering
#: household's postcode and grid reference locate a carer's home).
PERSONAL_FIELDS = frozenset(
    {"date_of_birth", "home_postcode", "school_postcode", "avoid_areas", "postcode", "easting", "northing"}
)
CHANGED = "(changed)"


@dataclass(frozen=True)
class Actor:
    """Who did something: the username and the role they acted in."""

    username: str
    role: str


SYSTEM = Actor("system", "system")


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def clean(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """A snapshot fit for the audit: personal fields masked, values made JSON-plain."""
    if values is None:
        return None
    return {k: (CHANGED if k in PERSONAL_FIELDS else _canonical(v)) for k, v in values.items()}


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, before and after (personal fields masked)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return clean({k: before.get(k) for k in keys}) or {}, clean({k: after.get(k) for k in keys}) or {}


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(_canonical(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def _fields(e: AuditEvent) -> dict[str, Any]:
    at = e.at.astimezone(dt.UTC) if e.at.tzinfo else e.at.replace(tzinfo=dt.UTC)
    return {
        "seq": e.seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": e.actor,
        "role": e.role,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "before": e.before,
        "after": e.after,
        "reason": e.reason,
    }


def record(
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the chain (inside the caller's transaction, which it joins)."""
    with transaction.atomic():
        head = _locked_head()
        event = AuditEvent(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor=actor.username,
            role=actor.role,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=clean(before),
            after=clean(after),
            reason=reason,
            prev_hash=head.last_hash,
        )
        event.hash = event_hash(head.last_hash, _fields(event))
        event.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(last_seq=event.seq, last_hash=event.hash)
        return event


def _locked_head() -> AuditHead:
    """The chain's head, locked until the transaction ends, so concurrent appends queue up.

    PostgreSQL: a row lock (SELECT ... FOR UPDATE). SQLite: every transaction begins IMMEDIATE
    (settings), so writers are serialised by the database lock already.
    """
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditHead.objects.get_or_create(pk=1, defaults={"last_seq": 0, "last_hash": GENESIS})
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    first_broken: int | None
    message: str


def verify() -> Verification:
    """Recompute the chain from the first event; the first row whose hash or link is wrong is named."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for e in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        count += 1
        if e.seq != expected_seq:
            return Verification(False, count, e.seq, f"audit event {e.seq}: event {expected_seq} is missing")
        if e.prev_hash != prev:
            return Verification(False, count, e.seq, f"audit event {e.seq}: does not link to event {e.seq - 1}")
        if event_hash(prev, _fields(e)) != e.hash:
            return Verification(False, count, e.seq, f"audit event {e.seq}: contents do not match its hash")
        prev = e.hash
        expected_seq += 1
    head = AuditHead.objects.filter(pk=1).first()
    last = expected_seq - 1
    if head is not None and (head.last_seq != last or head.last_hash != prev):
        return Verification(
            False, count, last + 1, f"audit event {last + 1}: the chain ends early (head says {head.last_seq})"
        )
    return Verification(True, count, None, f"{count} audit events, chain intact")


def triggers_sql(vendor: str) -> tuple[list[str], list[str]]:
    """SQL that creates and drops the append-only triggers on this database."""
    table = AuditEvent._meta.db_table
    if vendor == "sqlite":
        create = [
            f"CREATE TRIGGER audit_no_update BEFORE UPDATE ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
            f"CREATE TRIGGER audit_no_delete BEFORE DELETE ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
        ]
        drop = ["DROP TRIGGER IF EXISTS audit_no_update;", "DROP TRIGGER IF EXISTS audit_no_delete;"]
        return create, drop
    if vendor == "postgresql":
        create = [
            "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;",
            f"CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only();",
            f"CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();",
        ]
        drop = [
            f"DROP TRIGGER IF EXISTS audit_no_update_delete ON {table};",
            f"DROP TRIGGER IF EXISTS audit_no_truncate ON {table};",
            "DROP FUNCTION IF EXISTS audit_append_only();",
        ]
        return create, drop
    # The audit trail must be append-only, so a database without these triggers is refused outright.
    raise ImproperlyConfigured(f"no append-only audit triggers for {vendor}: use SQLite or PostgreSQL")


def install_triggers(schema_editor: Any) -> None:
    create, _ = triggers_sql(schema_editor.connection.vendor)
    for sql in create:
        schema_editor.execute(sql)


def remove_triggers(schema_editor: Any) -> None:
    _, drop = triggers_sql(schema_editor.connection.vendor)
    for sql in drop:
        schema_editor.execute(sql)


def vendor() -> str:
    return connection.vendor
