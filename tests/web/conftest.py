"""Fixtures for the web application's tests: an authority, a user per role, a live server with its worker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
ROLES = ("officer", "manager", "commissioner", "read_only")
PASSWORD = "correct-horse-battery-staple"


def ensure_roles_and_audit() -> None:
    """Groups and the audit head: created by migrations, but a transactional test's flush removes them."""
    from django.contrib.auth.models import Group
    from django.core.cache import cache
    from django.db import connection

    from placements.web.audit import GENESIS, triggers_sql
    from placements.web.models import AuditHead

    cache.clear()  # the register's cached table is keyed by database state that rolled-back tests reuse
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    AuditHead.objects.get_or_create(pk=1, defaults={"last_seq": 0, "last_hash": GENESIS})
    create, drop = triggers_sql(connection.vendor)
    with connection.cursor() as cur:
        for sql in drop:
            cur.execute(sql)
        for sql in create:
            cur.execute(sql)


def drop_audit_triggers() -> None:
    """Before a transactional test's flush empties every table (the triggers would refuse it)."""
    from django.db import connection

    from placements.web.audit import triggers_sql

    _, drop = triggers_sql(connection.vendor)
    with connection.cursor() as cur:
        for sql in drop:
            cur.execute(sql)


def make_user(role: str, username: str | None = None):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username=username or f"{role}-user", password=PASSWORD)
    user.groups.add(Group.objects.get(name=role))
    return user


def load_authority(folder: Path, la_code: str = "E06000018"):
    from placements.web.audit import SYSTEM
    from placements.web.models import Authority
    from placements.web.services import imports

    authority = Authority.objects.create(la_code=la_code, name="Test City Council", policy_toml="")
    imports.import_places(SYSTEM, authority, (folder / "places.csv").read_bytes())
    imports.import_children(SYSTEM, authority, (folder / "children.csv").read_bytes())
    return authority


@pytest.fixture
def roles(db: None) -> None:
    ensure_roles_and_audit()


@pytest.fixture
def users(roles: None) -> dict[str, object]:
    return {role: make_user(role) for role in ROLES}


@pytest.fixture
def tiny(roles: None):
    """The tests' tiny case folder as an authority: 7 children, 4 homes (one in Derby: out of area)."""
    return load_authority(DATA / "tiny")


class Worker:
    """The background worker in a thread, for tests with a live server."""

    def __init__(self) -> None:
        from placements.web.worker import loop

        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(loop,), daemon=True)

    def _run(self, loop) -> None:
        from django.db import connections

        try:
            loop(self.stop, poll_seconds=0.1)
        finally:
            connections.close_all()

    def __enter__(self) -> Worker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


@pytest.fixture
def live_app(live_server, transactional_db) -> Iterator[object]:
    """A live server on 127.0.0.1 with the worker running; the audit triggers are dropped before the flush."""
    ensure_roles_and_audit()
    with Worker():
        yield live_server
    drop_audit_triggers()
