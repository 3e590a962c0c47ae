"""The JSON API for case-management systems and scripts: Django Ninja, OpenAPI at ``/api/v1/openapi.json``.

Why Django Ninja: its schemas are pydantic v2 models, like the engine's own, and it serves the
OpenAPI document and a docs page from the type hints, with no second serializer layer to keep in
step. Authentication is a bearer token (``Authorization: Bearer <token>``) created on the
"API tokens" page; only its sha256 is stored. Every operation checks the same role table as the
pages (``roles.PERMISSIONS``) and calls the same services, so it is audited the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer

from placements.web import audit, selectors
from placements.web.audit import Actor
from placements.web.models import ApiToken, Home, MatchRun, Proposal, Referral
from placements.web.roles import check, role_of
from placements.web.services import decisions, register, runs


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        digest = hashlib.sha256(token.encode()).hexdigest()
        t = ApiToken.objects.filter(key_hash=digest, revoked_at__isnull=True).select_related("user").first()
        if t is None or not t.user.is_active:
            return None
        request.user = t.user
        return t.user


api = NinjaAPI(
    title="placements web API",
    version="1",
    description="Referrals, homes and vacancies, match runs, proposals, decisions and the audit's verification.",
    auth=TokenAuth(),
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> Any:
    return api.create_response(request, {"detail": str(exc) or "forbidden"}, status=403)


def _actor(request: HttpRequest, action: str) -> Actor:
    role = check(request.user, action)
    return Actor(request.user.get_username(), role)


class HomeOut(Schema):
    place_id: str
    setting: str
    provider: str
    postcode: str
    local_authority: str
    vacancies: int
    children_in_placement: int
    age_min: int
    age_max: int
    sex: str
    meets_needs: str
    weekly_cost: float
    long_term: bool
    sibling_exemption: bool
    vacancies_confirmed_on: dt.date
    stale: bool
    version: int


class VacancyIn(Schema):
    vacancies: int
    version: int


class ReferralOut(Schema):
    child_id: str
    status: str
    urgency: str
    sex: str
    age: int
    sibling_group: str
    needs: str
    settings: str
    lives_with_others: bool
    max_distance_miles: float | None
    permanence_plan: str
    current_place_id: str | None
    version: int


class ReferralIn(Schema):
    child_id: str
    date_of_birth: dt.date
    sex: Literal["M", "F", "U"]
    urgency: Literal["emergency", "planned"] = "planned"
    sibling_group: str = ""
    needs: list[str] = []
    settings: list[str] = []
    lives_with_others: bool = True
    home_postcode: str = ""
    school_postcode: str = ""
    avoid_areas: list[str] = []  # postcode districts (NG7), sectors (NG7 2) or ONS codes (E06000018)
    max_distance_miles: float | None = None
    permanence_plan: list[str] = []


class RunOut(Schema):
    id: int
    status: str
    progress: int
    stage: str
    as_of: dt.date
    inputs_fingerprint: str
    engine_version: str
    solver_status: str
    objective: int | None
    bound: float | None
    gap: float | None
    summary: dict[str, Any]
    warnings: list[str]
    error: str


class ShortlistOut(Schema):
    rank: int
    place_id: str
    distance_miles: float | None
    in_area: bool
    weekly_cost: float
    score: int
    score_parts: dict[str, int]
    approvals_needed: list[str]


class ProposalOut(Schema):
    id: int
    child_id: str
    place_id: str | None
    distance_miles: float | None
    in_area: bool
    weekly_cost: float | None
    sibling_group: str
    split: bool
    score: int | None
    score_parts: dict[str, int]
    approvals_needed: list[str]
    reason_code: str
    binding_rule: str
    explanation: str
    conflicts: list[dict[str, str]]
    shortlist: list[ShortlistOut]
    decision: str | None
    decision_status: str | None


class DecisionIn(Schema):
    kind: Literal["accept", "reject", "choose_other"]
    reason_code: str = ""
    place_id: str | None = None


class DecisionOut(Schema):
    id: int
    child_id: str
    place_id: str
    kind: str
    reason_code: str
    status: str
    approvals_needed: list[str]
    decided_by: str
    decided_role: str
    decided_at: dt.datetime


class VerifyOut(Schema):
    ok: bool
    events: int
    first_broken: int | None
    message: str


def _home(h: Home) -> dict[str, Any]:
    return {
        **{f: getattr(h, f) for f in HomeOut.model_fields if f != "stale"},
        "weekly_cost": float(h.weekly_cost),
        "stale": h.is_stale(),
    }


def _referral(r: Referral) -> dict[str, Any]:
    return {
        **{f: getattr(r, f) for f in ReferralOut.model_fields if f not in ("age", "current_place_id")},
        "age": r.age_on(dt.date.today()),
        "current_place_id": r.current_place.place_id if r.current_place_id else None,
    }


def _run(r: MatchRun) -> dict[str, Any]:
    return {f: getattr(r, f) for f in RunOut.model_fields}


def _proposal(p: Proposal) -> dict[str, Any]:
    d = getattr(p, "decision", None)
    return {
        "id": p.pk,
        "child_id": p.referral.child_id,
        "place_id": p.home.place_id if p.home else None,
        "distance_miles": p.distance_miles,
        "in_area": p.in_area,
        "weekly_cost": None if p.weekly_cost is None else float(p.weekly_cost),
        "sibling_group": p.sibling_group,
        "split": p.split,
        "score": p.score,
        "score_parts": p.score_parts,
        "approvals_needed": p.approvals_needed,
        "reason_code": p.reason_code,
        "binding_rule": p.binding_rule,
        "explanation": p.explanation,
        "conflicts": p.conflicts,
        "shortlist": [
            {
                "rank": e.rank,
                "place_id": e.home.place_id,
                "distance_miles": e.distance_miles,
                "in_area": e.in_area,
                "weekly_cost": float(e.weekly_cost),
                "score": e.score,
                "score_parts": e.score_parts,
                "approvals_needed": e.approvals_needed,
            }
            for e in p.shortlist.select_related("home")
        ],
        "decision": d.kind if d else None,
        "decision_status": d.status if d else None,
    }


def _decision(d: Any) -> dict[str, Any]:
    return {
        "id": d.pk,
        "child_id": d.referral.child_id,
        "place_id": d.home.place_id,
        "kind": d.kind,
        "reason_code": d.reason_code,
        "status": d.status,
        "approvals_needed": d.approvals_needed,
        "decided_by": d.decided_by.get_username(),
        "decided_role": d.decided_role,
        "decided_at": d.decided_at,
    }


@api.get("/homes", response=list[HomeOut], tags=["register"])
def list_homes(request: HttpRequest, setting: str = "", only: str = "") -> Any:
    """The register of homes (``only=vacancies`` or ``only=stale`` to filter)."""
    _actor(request, "view_home")
    return [_home(r["h"]) for r in selectors.homes(selectors.authority(), setting, only)]


@api.post("/homes/{place_id}/vacancies", response=HomeOut, tags=["register"])
def confirm_vacancies(request: HttpRequest, place_id: str, body: VacancyIn) -> Any:
    """Confirm a home's vacancies today (refused with 409 if ``version`` is not the current one)."""
    actor = _actor(request, "edit_home")
    h = get_object_or_404(Home, authority=selectors.authority(), place_id=place_id)
    if body.vacancies < 0:
        raise HttpError(422, "vacancies must be 0 or more")
    try:
        return _home(register.confirm_vacancies(actor, h, body.vacancies, body.version))
    except register.StaleEdit as exc:
        raise HttpError(409, str(exc)) from None


@api.get("/referrals", response=list[ReferralOut], tags=["referrals"])
def list_referrals(request: HttpRequest, status: str = "needs_placement") -> Any:
    _actor(request, "view_child")
    qs = Referral.objects.filter(authority=selectors.authority()).select_related("current_place")
    if status:
        qs = qs.filter(status=status)
    return [_referral(r) for r in qs.order_by("child_id")]


@api.post("/referrals", response={201: ReferralOut}, tags=["referrals"])
def create_referral(request: HttpRequest, body: ReferralIn) -> Any:
    """A new referral, checked by the engine's own child model (codes, dates, distance with a postcode)."""
    from pydantic import ValidationError

    from placements import Child
    from placements.geo import parse_avoid_areas
    from placements.web.forms import checked_postcode

    actor = _actor(request, "edit_child")
    authority = selectors.authority()
    values = body.model_dump()
    problems: list[str] = []
    for field, what in (("home_postcode", "the family home's postcode"), ("school_postcode", "the school's postcode")):
        try:  # the form's check: a postcode the match will find in the ONS Postcode Directory
            values[field] = checked_postcode(values[field], what)
        except ValueError as exc:
            problems.append(f"{field}: {exc}")
    try:
        values["avoid_areas"] = ";".join(parse_avoid_areas(";".join(body.avoid_areas)))
    except ValueError as exc:
        problems.append(f"avoid_areas: {exc}")
    if problems:
        raise HttpError(422, "; ".join(problems))
    try:
        Child.model_validate(
            {
                **values,
                "status": "needs_placement",
                "needs": ";".join(body.needs),
                "settings": ";".join(body.settings),
                "permanence_plan": ";".join(body.permanence_plan),
                "home_easting": 0.0 if values["home_postcode"] else None,
                "home_northing": 0.0 if values["home_postcode"] else None,
                "school_easting": 0.0 if values["school_postcode"] else None,
                "school_northing": 0.0 if values["school_postcode"] else None,
            }
        )
    except ValidationError as exc:
        raise HttpError(422, "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())) from None
    if Referral.objects.filter(authority=authority, child_id=body.child_id).exists():
        raise HttpError(409, f"child {body.child_id} already has a referral")
    values.update(
        needs=";".join(body.needs), settings=";".join(body.settings), permanence_plan=";".join(body.permanence_plan)
    )
    return Status(201, _referral(register.create_referral(actor, authority, values)))


@api.get("/referrals/{child_id}", response=ReferralOut, tags=["referrals"])
def get_referral(request: HttpRequest, child_id: str) -> Any:
    """One child's referral (the view is audited, as on the pages)."""
    actor = _actor(request, "view_child")
    r = get_object_or_404(Referral, authority=selectors.authority(), child_id=child_id)
    register.record_view(actor, r)
    return _referral(r)


@api.post("/runs", response={202: RunOut}, tags=["match runs"])
def start_run(request: HttpRequest) -> Any:
    """Queue a match (the background worker runs it); 409 while another is queued or running."""
    actor = _actor(request, "run_match")
    try:
        return Status(202, _run(runs.request_run(actor, request.user.pk, selectors.authority())))
    except runs.RunRefused as exc:
        raise HttpError(409, str(exc)) from None


@api.get("/runs/{run_id}", response=RunOut, tags=["match runs"])
def get_run(request: HttpRequest, run_id: int) -> Any:
    _actor(request, "view_run")
    return _run(get_object_or_404(MatchRun, pk=run_id, authority=selectors.authority()))


@api.get("/runs/{run_id}/proposals", response=list[ProposalOut], tags=["match runs"])
def run_proposals(request: HttpRequest, run_id: int) -> Any:
    _actor(request, "view_run")
    run = get_object_or_404(MatchRun, pk=run_id, authority=selectors.authority())
    qs = Proposal.objects.filter(run=run).select_related("referral", "home", "decision").order_by("referral__child_id")
    return [_proposal(p) for p in qs]


@api.post("/proposals/{proposal_id}/decision", response={201: DecisionOut}, tags=["decisions"])
def decide(request: HttpRequest, proposal_id: int, body: DecisionIn) -> Any:
    """Accept, reject (``reason_code``) or choose another home (``place_id`` and ``reason_code``); 409 if decided."""
    actor = _actor(request, "decide")
    p = get_object_or_404(Proposal.objects.select_related("run", "referral", "home"), pk=proposal_id)
    other = None
    if body.kind == "choose_other":
        other = Home.objects.filter(authority=p.run.authority, place_id=body.place_id or "").first()
    try:
        d = decisions.decide(actor, p, body.kind, body.reason_code, other)
    except decisions.AlreadyDecided as exc:
        raise HttpError(409, str(exc)) from None
    except decisions.DecisionError as exc:
        raise HttpError(422, str(exc)) from None
    return Status(201, _decision(d))


@api.get("/decisions", response=list[DecisionOut], tags=["decisions"])
def list_decisions(request: HttpRequest) -> Any:
    _actor(request, "view_run")
    from placements.web.models import Decision

    qs = Decision.objects.filter(referral__authority=selectors.authority()).select_related(
        "referral", "home", "decided_by"
    )
    return [_decision(d) for d in qs.order_by("decided_at", "id")]


@api.get("/audit/verify", response=VerifyOut, tags=["audit"])
def verify_audit(request: HttpRequest) -> Any:
    """Recompute the audit's hash chain; ``first_broken`` names the first altered row."""
    actor = _actor(request, "view_audit")
    result = audit.verify()
    audit.record(actor, "audit.verify", "audit", "chain", None, {"ok": result.ok, "events": result.events})
    return result.__dict__


@api.get("/me", tags=["account"])
def me(request: HttpRequest) -> Any:
    return {"username": request.user.get_username(), "role": role_of(request.user)}


__all__ = ["api", "get_user_model"]
