"""Roles on the server: every role against every page and action (allowed, or 403), the API's tokens, CSRF."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from placements.web.audit import Actor
from placements.web.models import ApiToken, Decision, MatchRun, Proposal
from placements.web.roles import PERMISSIONS
from placements.web.services import decisions, runs
from placements.web.worker import run_pending

PUBLIC = {"home", "login", "logout", "password_change"}
POST_ONLY = {"run_start", "decision_withdraw", "decision_move"}


def _patterns() -> list[URLPattern]:
    out = []
    for p in get_resolver().url_patterns:
        if isinstance(p, URLPattern):
            out.append(p)
        elif isinstance(p, URLResolver):
            continue  # the API: tested below with tokens
    return out


@pytest.fixture
def world(tiny, users):
    """One of everything a URL can name: a home, a child, a finished run, a proposal, two decisions."""
    officer = Actor("officer-user", "officer")
    runs.request_run(officer, users["officer"].pk, tiny)
    run_pending()
    run = MatchRun.objects.get()
    placed = list(Proposal.objects.filter(run=run, home__isnull=False))
    rejected = decisions.decide(officer, placed[0], "reject", "carer_declined")
    held = decisions.decide(officer, placed[1], "accept")
    return {
        "place_id": placed[0].home.place_id,
        "child_id": placed[0].referral.child_id,
        "run_id": run.pk,
        "proposal_id": placed[2].pk if len(placed) > 2 else placed[0].pk,
        "decision_id": rejected.pk,
        "held_id": held.pk,
    }


def _url(p: URLPattern, w: dict[str, object]) -> str:
    kwargs = {k: w[k] for k in p.pattern.converters}
    return reverse(p.name, kwargs=kwargs)


def test_every_page_names_its_permission() -> None:
    for p in _patterns():
        if p.name in PUBLIC:
            continue
        action = getattr(p.callback, "required_action", None)
        assert action in PERMISSIONS, f"view {p.name} has no role check"


@pytest.mark.parametrize("role", ["officer", "manager", "commissioner", "read_only", None])
def test_every_role_against_every_page(role, world, users) -> None:
    client = Client()
    if role:
        client.force_login(users[role])
    checked = 0
    for p in _patterns():
        if p.name in PUBLIC:
            continue
        action = p.callback.required_action
        url = _url(p, world)
        response = client.post(url) if p.name in POST_ONLY else client.get(url)
        allowed = role is not None and role in PERMISSIONS[action]
        if role is None:
            assert response.status_code == 302 and "/login/" in response["Location"], (p.name, response.status_code)
        elif allowed:
            assert response.status_code in (200, 302), (role, p.name, response.status_code)
        else:
            assert response.status_code == 403, (role, p.name, response.status_code)
        checked += 1
    assert checked >= 25


@pytest.mark.parametrize("role", ["commissioner", "read_only"])
def test_changes_are_refused_to_roles_that_only_read(role, world, users) -> None:
    client = Client()
    client.force_login(users[role])
    before = Decision.objects.count()
    r = client.post(reverse("proposal", args=[world["proposal_id"]]), {"kind": "accept"})
    assert r.status_code == 403
    assert Decision.objects.count() == before
    r = client.post(
        reverse("home_detail", args=[world["place_id"]]), {"confirm_vacancies": "1", "vacancies": 3, "version": 1}
    )
    assert r.status_code == 403


def test_read_only_sees_proposals_without_a_decision_form(world, users) -> None:
    client = Client()
    client.force_login(users["read_only"])
    page = client.get(reverse("proposal", args=[world["proposal_id"]])).content.decode()
    assert ("Accept the proposed home" not in page and "cannot" in page) or "not decide" in page


def _token(user) -> str:
    key = f"token-for-{user.username}"
    ApiToken.objects.create(user=user, name="test", key_hash=hashlib.sha256(key.encode()).hexdigest())
    return key


@pytest.mark.parametrize("role", ["officer", "manager", "commissioner", "read_only"])
def test_api_has_the_pages_permissions(role, world, users) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {_token(users[role])}")
    calls = [
        ("get", "/api/v1/homes", "view_home", None),
        ("get", "/api/v1/referrals", "view_child", None),
        ("get", f"/api/v1/referrals/{world['child_id']}", "view_child", None),
        ("get", f"/api/v1/runs/{world['run_id']}", "view_run", None),
        ("get", f"/api/v1/runs/{world['run_id']}/proposals", "view_run", None),
        ("get", "/api/v1/decisions", "view_run", None),
        ("get", "/api/v1/audit/verify", "view_audit", None),
        ("post", f"/api/v1/homes/{world['place_id']}/vacancies", "edit_home", {"vacancies": 1, "version": 999}),
        (
            "post",
            f"/api/v1/proposals/{world['proposal_id']}/decision",
            "decide",
            {"kind": "reject", "reason_code": "bogus"},
        ),
        ("post", "/api/v1/runs", "run_match", None),
    ]
    for method, url, action, body in calls:
        if method == "get":
            r = client.get(url)
        else:
            r = client.post(url, body or {}, content_type="application/json")
        if role in PERMISSIONS[action]:
            assert r.status_code not in (401, 403), (role, url, r.status_code, r.content[:200])
        else:
            assert r.status_code == 403, (role, url, r.status_code)


def test_api_without_a_valid_token_is_refused(world) -> None:
    assert Client().get("/api/v1/homes").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer nonsense").get("/api/v1/homes").status_code == 401


def test_openapi_schema_is_served(world, users) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for p in (
        "/api/v1/homes",
        "/api/v1/referrals",
        "/api/v1/runs",
        "/api/v1/runs/{run_id}/proposals",
        "/api/v1/audit/verify",
    ):
        assert p in paths, sorted(paths)
    assert "BearerAuth" in str(schema["components"]["securitySchemes"]) or schema["components"]["securitySchemes"]


def test_csrf_is_enforced_on_forms(world, users) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["officer"])
    before = MatchRun.objects.count()
    assert client.post(reverse("run_start")).status_code == 403
    assert MatchRun.objects.count() == before
    client.get(reverse("runs"))
    token = client.cookies["csrftoken"].value
    assert client.post(reverse("run_start"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert MatchRun.objects.count() == before + 1
