"""The audit: append-only by database triggers, hash-chained, verified; no personal details; views logged."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from typer.testing import CliRunner

from placements.cli import app
from placements.web import audit
from placements.web.audit import Actor
from placements.web.models import AuditEvent, Referral
from placements.web.services import register

OFFICER = Actor("officer-user", "officer")


def _events(n: int) -> None:
    for i in range(n):
        audit.record(OFFICER, "test.event", "thing", i, {"v": i}, {"v": i + 1}, reason="because")


def test_update_and_delete_are_refused_by_the_database(roles) -> None:
    _events(3)
    table = AuditEvent._meta.db_table
    for sql in (f"UPDATE {table} SET actor = 'someone else' WHERE seq = 2", f"DELETE FROM {table} WHERE seq = 3"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).delete()
    assert AuditEvent.objects.count() == 3
    assert audit.verify().ok


def _tamper(sql: str) -> None:
    """What someone with the database's owner rights could do: drop the trigger, change a row, put it back."""
    create, drop = audit.triggers_sql(connection.vendor)
    with connection.cursor() as cur:
        for s in drop:
            cur.execute(s)
        cur.execute(sql)
        for s in create:
            cur.execute(s)


@pytest.mark.parametrize(
    ("sql", "broken", "words"),
    [
        ("UPDATE {t} SET reason = 'other' WHERE seq = 3", 3, "do not match its hash"),
        ("UPDATE {t} SET after = NULL WHERE seq = 4", 4, "do not match its hash"),
        ("DELETE FROM {t} WHERE seq = 2", 3, "event 2 is missing"),
        ("DELETE FROM {t} WHERE seq = 5", 5, "chain ends early"),
    ],
)
def test_verify_names_the_first_altered_row(roles, sql, broken, words) -> None:
    _events(5)
    assert audit.verify().ok
    _tamper(sql.format(t=AuditEvent._meta.db_table))
    result = audit.verify()
    assert not result.ok
    assert result.first_broken == broken
    assert words in result.message and f"audit event {broken}" in result.message


def test_verify_audit_command_exits_non_zero_naming_the_row(roles) -> None:
    _events(4)
    runner = CliRunner()
    ok = runner.invoke(app, ["web", "verify-audit"])
    assert ok.exit_code == 0, ok.output
    assert "4 audit events, chain intact" in ok.output
    _tamper(f"UPDATE {AuditEvent._meta.db_table} SET actor = 'mallory' WHERE seq = 2")
    bad = runner.invoke(app, ["web", "verify-audit"])
    assert bad.exit_code == 1
    out = bad.output + (bad.stderr if bad.stderr_bytes is not None else "")
    assert "audit event 2" in out


def test_no_personal_details_in_the_audit(tiny, users) -> None:
    r = Referral.objects.first()
    register.update_referral(
        OFFICER, r, {"home_postcode": "NG1 1AA", "date_of_birth": r.date_of_birth.replace(day=1)}, r.version
    )
    text = " ".join(str(e.before) + str(e.after) for e in AuditEvent.objects.all())
    assert "NG1 1AA" not in text and "NG7 2RD" not in text
    for referral in Referral.objects.all():
        assert referral.date_of_birth.isoformat() not in text
    assert "(changed)" in text


def test_viewing_a_child_record_is_logged(tiny, users) -> None:
    client = Client()
    client.force_login(users["read_only"])
    child_id = Referral.objects.first().child_id
    assert client.get(reverse("child", args=[child_id])).status_code == 200
    e = AuditEvent.objects.filter(action="child.view").last()
    assert (e.actor, e.role, e.object_id) == ("read_only-user", "read_only", child_id)
    assert audit.verify().ok


def test_every_decision_is_attributable(tiny, users) -> None:
    from placements.web.models import MatchRun, Proposal
    from placements.web.services import decisions, runs
    from placements.web.worker import run_pending

    runs.request_run(OFFICER, users["officer"].pk, tiny)
    run_pending()
    p = Proposal.objects.filter(run=MatchRun.objects.get(), home__isnull=False).first()
    d = decisions.decide(OFFICER, p, "reject", "education")
    e = AuditEvent.objects.get(action="decision.reject")
    assert (e.actor, e.role, e.reason, e.object_id) == ("officer-user", "officer", "education", str(p.pk))
    assert e.at is not None and e.after["place_id"] == d.home.place_id
