"""Login throttling, the content-security policy, cookies, and `manage.py check --deploy` under production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from django.test import Client
from django.urls import reverse

from web.conftest import PASSWORD


def test_check_deploy_is_clean_with_production_settings(tmp_path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "placements.web.settings_production",
        "PLACEMENTS_WEB_SECRET_KEY": secrets.token_urlsafe(64),
        "PLACEMENTS_WEB_ALLOWED_HOSTS": "placements.council.example",
        "PLACEMENTS_WEB_DATA": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/deploy.sqlite3",
    }
    done = subprocess.run(
        [sys.executable, "-m", "placements.web.manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PLACEMENTS_WEB_SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="placements.web.settings_production", PLACEMENTS_WEB_DATA=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "placements.web.manage", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "PLACEMENTS_WEB_SECRET_KEY" in done.stderr


def test_five_wrong_passwords_lock_the_account(users) -> None:
    client = Client(REMOTE_ADDR="127.0.0.9")
    for _ in range(5):
        r = client.post(reverse("login"), {"username": "officer-user", "password": "wrong password"})
        assert r.status_code in (200, 429)
    r = client.post(reverse("login"), {"username": "officer-user", "password": PASSWORD})
    assert r.status_code == 429
    assert b"Too many attempts" in r.content
    assert "_auth_user_id" not in client.session


def test_a_right_password_signs_in(users) -> None:
    client = Client(REMOTE_ADDR="127.0.0.10")
    r = client.post(reverse("login"), {"username": "manager-user", "password": PASSWORD})
    assert r.status_code == 302 and client.session.get("_auth_user_id")


def test_pages_carry_the_security_headers(users) -> None:
    client = Client()
    client.force_login(users["officer"])
    r = client.get(reverse("login"))
    csp = r["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r["X-Frame-Options"] == "DENY"
    assert r["X-Content-Type-Options"] == "nosniff"


def test_one_time_password_must_be_changed_first(tiny, users) -> None:
    from placements.web.models import Profile

    user = users["officer"]
    Profile.objects.create(user=user, must_change_password=True)
    client = Client()
    client.force_login(user)
    r = client.get(reverse("proposals"))
    assert r.status_code == 302 and r["Location"] == reverse("password_change")
    new = "a-new-and-long-passphrase-2026"
    r = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert r.status_code == 302
    assert client.get(reverse("proposals")).status_code == 200


def test_form_errors_are_shown_beside_the_field_and_in_the_summary(tiny, users) -> None:
    client = Client()
    client.force_login(users["officer"])
    r = client.post(reverse("referral_new"), {"child_id": "", "date_of_birth": "2031-01-01", "sex": "M"})
    page = r.content.decode()
    assert r.status_code == 200
    assert "govuk-error-summary" in page and 'href="#id_child_id"' in page
    assert 'id="id_date_of_birth-error"' in page and "must be in the past" in page
