"""``placements serve``: migrate, load the demo authority once, create a demo user per role, serve on 127.0.0.1.

The web server is waitress (pure Python, threads); the match worker runs as a second process so a
match never runs inside a web request and never slows the pages.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

DEMO_USERS = {
    "officer": "demo-officer",
    "manager": "demo-manager",
    "commissioner": "demo-commissioner",
    "read_only": "demo-readonly",
}
DEMO_LA = ("E06000018", "Nottingham City Council (demo)")


def demo_dir() -> Path:
    """The demo authority shipped inside the package (a synthetic city; no real child's data)."""
    from placements.resources import demo_folder

    return demo_folder()


def prepare(say: Callable[[str], object] = print) -> dict[str, str]:
    """Migrate, load the demo once and create the demo users. Returns new users' one-time passwords."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from placements.web.models import Authority

    if not Authority.objects.exists():
        say("Loading the demo authority (data/demo) ...")
        load_demo(demo_dir())
    return create_demo_users()


def load_demo(folder: Path, stale_every: int = 10) -> None:
    """The demo's homes and referrals through the ordinary import services (audited as 'system').

    So that the register shows what a stale vacancy looks like, every ``stale_every``-th home with a
    vacancy is recorded as last confirmed nine days ago (the demo's limit is seven).
    """
    from django.db import transaction

    from placements.web.audit import SYSTEM
    from placements.web.models import Authority, Home
    from placements.web.services import imports

    policy = tomllib.loads((folder / "policy.toml").read_text(encoding="utf-8"))
    kept = [
        line
        for line in (folder / "policy.toml").read_text(encoding="utf-8").splitlines()
        if line.split("=", 1)[0].strip() not in ("as_of", "la_code") and not line.startswith("#")
    ]
    with transaction.atomic():
        authority = Authority.objects.create(
            la_code=policy.get("la_code", DEMO_LA[0]), name=DEMO_LA[1], policy_toml="\n".join(kept).strip()
        )
        imports.import_places(SYSTEM, authority, (folder / "places.csv").read_bytes())
        imports.import_children(SYSTEM, authority, (folder / "children.csv").read_bytes())
        old = dt.date.today() - dt.timedelta(days=9)
        with_vacancy = list(Home.objects.filter(authority=authority, vacancies__gt=0).order_by("place_id"))
        Home.objects.filter(pk__in=[h.pk for h in with_vacancy[::stale_every]]).update(vacancies_confirmed_on=old)


def create_demo_users() -> dict[str, str]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from placements.web.models import Profile

    user_model = get_user_model()
    created = {}
    for role, username in DEMO_USERS.items():
        if user_model.objects.filter(username=username).exists():
            continue
        password = "-".join(secrets.token_hex(3) for _ in range(3))
        user = user_model.objects.create_user(username=username, password=password)
        user.groups.add(Group.objects.get(name=role))
        Profile.objects.create(user=user, must_change_password=True)
        created[username] = password
    return created


def serve(db: str | None = None, port: int = 8000, host: str = "127.0.0.1", threads: int = 8) -> None:
    if db:
        os.environ["DATABASE_URL"] = db
    from placements.web import setup

    setup()
    from django.conf import settings

    created = prepare()
    print(
        f"Database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} {settings.DATABASES['default']['NAME']}"
    )
    if created:
        print("Demo users (one-time passwords: each must choose their own at first sign-in):")
        for username, password in created.items():
            print(f"  {username:20} {password}")
    else:
        print("Demo users exist already: " + ", ".join(DEMO_USERS.values()) + " (their passwords were printed once).")
    worker = subprocess.Popen([sys.executable, "-m", "placements.web.worker"], env=os.environ.copy())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the worker too (the finally below)
    try:
        from waitress import create_server

        from placements.web.wsgi import application

        server = create_server(application, host=host, port=port, threads=threads, ident="placements")
        print(f"Serving on http://{host}:{port}/  (Ctrl-C to stop)", flush=True)  # listening from here on
        server.run()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
