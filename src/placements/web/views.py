"""Pages. Each view checks its role on the server (``roles.requires``), validates, and calls a service or selector.

Every page works without JavaScript: forms post back, the run page refreshes itself with a meta
refresh while a match runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from placements.web import audit, selectors
from placements.web.audit import Actor
from placements.web.forms import (
    ApprovalForm,
    DecisionForm,
    HomeForm,
    ImportForm,
    NewHomeForm,
    NewReferralForm,
    ReferralForm,
    TokenForm,
    VacancyForm,
)
from placements.web.models import (
    ApiToken,
    ApprovalReason,
    AuditEvent,
    ChooseReason,
    Decision,
    DecisionStatus,
    Home,
    MatchRun,
    Proposal,
    Referral,
    RejectReason,
    Role,
)
from placements.web.roles import PERMISSIONS, can, requires, role_of
from placements.web.services import casefolder, decisions, imports, register, runs
from placements.web.services.register import StaleEdit

APPROVAL_LABELS = dict(ApprovalReason.choices())
PART_WORDS = {
    "setting_rank": "not the child's preferred kind of home",
    "under12_not_family": "a child under 12 not in a family home",
    "plan_fit": "plan is long-term fostering; carer not approved long-term",
    "not_kinship": "not with the child's connected-person carer",
    "apart_from_placed_sibling": "apart from a sibling already placed",
    "distance": "distance from the family home",
    "school_distance": "distance from the child's school",
    "out_of_area": "outside the authority's area",
    "cost": "weekly cost",
    "siblings_apart": "apart from siblings being placed",
}


def _version(request: HttpRequest) -> int:
    """The record version the form was opened on (a stale or missing one is refused as a stale edit)."""
    try:
        return int(request.POST.get("version", "0"))
    except ValueError:
        return 0


def actor(request: HttpRequest) -> Actor:
    return Actor(request.user.get_username(), role_of(request.user) or "")


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context for every page: the council's name, the user's role and the links their role may follow."""
    user = getattr(request, "user", None)
    items = [
        ("home", "Overview", None),
        ("proposals", "Proposals", "view_run"),
        ("referrals", "Referrals", "view_child"),
        ("register", "Register of homes", "view_home"),
        ("runs", "Match runs", "view_run"),
        ("approvals", "Approvals", "approve"),
        ("decisions", "Decisions", "view_run"),
        ("sufficiency", "Sufficiency", "view_sufficiency"),
        ("imports", "Import", "import"),
        ("exports", "Export", "export"),
        ("audit", "Audit", "view_audit"),
    ]
    nav = []
    if user is not None and user.is_authenticated:
        current = request.resolver_match.url_name if request.resolver_match else ""
        for name, label, action in items:
            if action is None or can(user, action):
                nav.append({"url": reverse(name), "label": label, "active": current == name})
    authority = selectors.authority_or_none()
    role = role_of(user) if user is not None else None
    return {
        "nav": nav,
        "council_name": authority.name if authority else "Children's services",
        "user_role": dict(Role.choices()).get(role or "", ""),
    }


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"

    def get_success_url(self) -> str:
        return reverse("home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        profile = getattr(self.request.user, "profile", None)
        if profile is not None and profile.must_change_password:
            profile.must_change_password = False
            profile.save(update_fields=["must_change_password"])
        audit.record(actor(self.request), "user.password_change", "user", self.request.user.get_username())
        messages.success(self.request, "Your password has been changed.")
        return response


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    authority = selectors.authority_or_none()
    if authority is None:
        return render(request, "web/not_set_up.html", {"reason": "no authority is set up yet"}, status=503)
    return render(request, "web/home.html", {"overview": selectors.overview(authority), "can": _can(request)})


def _can(request: HttpRequest) -> dict[str, bool]:
    return {a: can(request.user, a) for a in PERMISSIONS}


# ---------------------------------------------------------------- register of homes


@requires("view_home")
def register_list(request: HttpRequest) -> HttpResponse:
    authority = selectors.authority()
    setting = request.GET.get("setting", "")
    only = request.GET.get("only", "")
    # The table is cached under the register's version (any change to any home changes it): rendering 400
    # rows is most of the page's time, and the rows are read (lazily, a callable) only when not cached.
    return render(
        request,
        "web/register.html",
        {
            "homes": lambda: selectors.homes(authority, setting=setting, only=only),
            "cache_key": f"{selectors.register_version(authority)}-{setting}-{only}",
            "setting": setting,
            "only": only,
            "can": _can(request),
        },
    )


@requires("view_home")
def home_detail(request: HttpRequest, place_id: str) -> HttpResponse:
    authority = selectors.authority()
    home_obj = get_object_or_404(Home, authority=authority, place_id=place_id)
    form = HomeForm(instance=home_obj)
    vacancy_form = VacancyForm(initial={"vacancies": home_obj.vacancies, "version": home_obj.version})
    if request.method == "POST":
        if not can(request.user, "edit_home"):
            raise PermissionDenied
        if "confirm_vacancies" in request.POST:
            vacancy_form = VacancyForm(request.POST)
            if vacancy_form.is_valid():
                try:
                    register.confirm_vacancies(
                        actor(request),
                        home_obj,
                        vacancy_form.cleaned_data["vacancies"],
                        vacancy_form.cleaned_data["version"],
                    )
                except StaleEdit as exc:
                    messages.error(request, str(exc))
                    return redirect("home_detail", place_id=place_id)
                messages.success(request, f"Vacancies at {place_id} confirmed today.")
                return redirect("home_detail", place_id=place_id)
        else:
            form = HomeForm(request.POST, instance=Home.objects.get(pk=home_obj.pk))
            if form.is_valid():
                changes = {f: form.cleaned_data[f] for f in form.Meta.fields}
                try:
                    register.update_home(actor(request), home_obj, changes, _version(request))
                except StaleEdit as exc:
                    messages.error(request, str(exc))
                    return redirect("home_detail", place_id=place_id)
                messages.success(request, f"Home {place_id} saved.")
                return redirect("home_detail", place_id=place_id)
    home_obj.refresh_from_db()
    return render(
        request,
        "web/home_detail.html",
        {
            "home": home_obj,
            "form": form,
            "vacancy_form": vacancy_form,
            "stale": home_obj.is_stale(),
            "can": _can(request),
            "living": Referral.objects.filter(current_place=home_obj, status="placed").count(),
        },
    )


@requires("edit_home")
def home_new(request: HttpRequest) -> HttpResponse:
    authority = selectors.authority()
    form = NewHomeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if Home.objects.filter(authority=authority, place_id=form.cleaned_data["place_id"]).exists():
            form.add_error("place_id", "A home with this identifier is already on the register")
        else:
            values = {f: form.cleaned_data[f] for f in form.Meta.fields}
            values["vacancies_confirmed_on"] = dt.date.today()
            h = register.create_home(actor(request), authority, values)
            messages.success(request, f"Home {h.place_id} added to the register.")
            return redirect("home_detail", place_id=h.place_id)
    return render(request, "web/form_page.html", {"form": form, "title": "Add a home to the register"})


# ---------------------------------------------------------------- referrals


@requires("view_child")
def referral_list(request: HttpRequest) -> HttpResponse:
    authority = selectors.authority()
    status = request.GET.get("status", "needs_placement")
    rows = Referral.objects.filter(authority=authority)
    if status in ("needs_placement", "placed"):
        rows = rows.filter(status=status)
    rows = rows.select_related("current_place").order_by("-urgency", "child_id")
    return render(
        request,
        "web/referrals.html",
        {"referrals": rows, "status": status, "can": _can(request), "today": dt.date.today()},
    )


@requires("edit_child")
def referral_new(request: HttpRequest) -> HttpResponse:
    authority = selectors.authority()
    form = NewReferralForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        cid = form.cleaned_data["child_id"].strip()
        if Referral.objects.filter(authority=authority, child_id=cid).exists():
            form.add_error("child_id", "A referral with this child identifier already exists")
        else:
            values = {f: form.cleaned_data[f] for f in form.Meta.fields if f != "child_id"}
            values["settings"] = form.cleaned_data["settings"]
            values["child_id"] = cid
            r = register.create_referral(actor(request), authority, values)
            messages.success(request, f"Referral for child {r.child_id} saved.")
            return redirect("child", child_id=r.child_id)
    return render(request, "web/referral_form.html", {"form": form, "title": "New referral"})


@requires("edit_child")
def referral_edit(request: HttpRequest, child_id: str) -> HttpResponse:
    authority = selectors.authority()
    referral = get_object_or_404(Referral, authority=authority, child_id=child_id)
    form = ReferralForm(
        request.POST if request.method == "POST" else None, instance=Referral.objects.get(pk=referral.pk)
    )
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in form.Meta.fields}
        changes["settings"] = form.cleaned_data["settings"]
        try:
            register.update_referral(actor(request), referral, changes, _version(request))
        except StaleEdit as exc:
            messages.error(request, str(exc))
            return redirect("referral_edit", child_id=child_id)
        messages.success(request, f"Referral for child {child_id} saved.")
        return redirect("child", child_id=child_id)
    return render(
        request,
        "web/referral_form.html",
        {"form": form, "title": f"Referral for child {child_id}", "version": referral.version},
    )


@requires("view_child")
def child(request: HttpRequest, child_id: str) -> HttpResponse:
    authority = selectors.authority()
    referral = get_object_or_404(
        Referral.objects.select_related("current_place"), authority=authority, child_id=child_id
    )
    register.record_view(actor(request), referral)
    today = dt.date.today()
    return render(
        request,
        "web/child.html",
        {
            "r": referral,
            "age": referral.age_on(today),
            "decisions": referral.decisions.select_related("home", "decided_by").order_by("-decided_at"),
            "proposals": referral.proposals.select_related("run", "home").order_by("-run_id")[:10],
            "can": _can(request),
        },
    )


# ---------------------------------------------------------------- match runs


@requires("view_run")
def run_list(request: HttpRequest) -> HttpResponse:
    authority = selectors.authority()
    return render(
        request,
        "web/runs.html",
        {
            "runs": MatchRun.objects.filter(authority=authority).select_related("requested_by")[:30],
            "can": _can(request),
        },
    )


@require_POST
@requires("run_match")
def run_start(request: HttpRequest) -> HttpResponse:
    authority = selectors.authority()
    try:
        run = runs.request_run(actor(request), request.user.pk, authority)
    except runs.RunRefused as exc:
        messages.error(request, str(exc))
        return redirect("runs")
    return redirect("run", run_id=run.pk)


@requires("view_run")
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(MatchRun, pk=run_id, authority=selectors.authority())
    previous = selectors.latest_run()
    return render(
        request,
        "web/run.html",
        {
            "run": run,
            "summary_rows": selectors.summary_rows(run),
            "previous": previous if previous and previous.pk != run.pk else None,
            "can": _can(request),
        },
    )


@requires("view_run")
def run_status(request: HttpRequest, run_id: int) -> HttpResponse:
    from django.http import JsonResponse

    run = get_object_or_404(MatchRun, pk=run_id, authority=selectors.authority())
    return JsonResponse(
        {
            "status": run.status,
            "status_display": run.get_status_display(),
            "active": run.active,
            "progress": run.progress,
            "stage": run.stage,
        }
    )


# ---------------------------------------------------------------- proposals and decisions


@requires("view_run")
def proposal_list(request: HttpRequest) -> HttpResponse:
    run = selectors.latest_run()
    rows = selectors.proposals(run) if run else []
    return render(
        request,
        "web/proposals.html",
        {
            "run": run,
            "rows": rows,
            "held": selectors.holds(selectors.authority()),
            "active": selectors.active_run(),
            "labels": APPROVAL_LABELS,
            "can": _can(request),
        },
    )


@requires("view_run")
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = get_object_or_404(
        Proposal.objects.select_related("run", "referral", "home"), pk=proposal_id, run__authority=selectors.authority()
    )
    form = DecisionForm()
    if request.method == "POST":
        if not can(request.user, "decide"):
            raise PermissionDenied
        form = DecisionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            other = None
            if data["kind"] == "choose_other":
                other = Home.objects.filter(authority=proposal.run.authority, place_id=data["other_home"]).first()
            reason = data.get("reject_reason") if data["kind"] == "reject" else data.get("choose_reason")
            try:
                d = decisions.decide(actor(request), proposal, data["kind"], reason or "", other)
            except decisions.DecisionError as exc:
                messages.error(request, str(exc))
                return redirect("proposal", proposal_id=proposal.pk)
            cid, pid = proposal.referral.child_id, d.home.place_id
            if d.status == DecisionStatus.AWAITING_APPROVAL:
                needed = "; ".join(APPROVAL_LABELS[a].lower() for a in d.approvals_needed)
                messages.success(
                    request, f"Child {cid}: {pid} is held, and a manager must approve it first ({needed})."
                )
            elif d.status == DecisionStatus.REJECTED:
                messages.success(request, f"Child {cid}: {pid} rejected. It will not be proposed for this child again.")
            else:
                messages.success(request, f"Child {cid}: {pid} is held for the child until the move.")
            return redirect("proposals")
    decision = Decision.objects.filter(proposal=proposal).select_related("decided_by", "home").first()
    shortlist = list(proposal.shortlist.select_related("home"))
    return render(
        request,
        "web/proposal.html",
        {
            "p": proposal,
            "r": proposal.referral,
            "age": proposal.referral.age_on(proposal.run.as_of),
            "parts": _parts_in_words(proposal.score_parts),
            "shortlist": [
                {
                    "e": e,
                    "parts": _parts_in_words(e.score_parts),
                    "approvals": [APPROVAL_LABELS[a] for a in e.approvals_needed],
                }
                for e in shortlist
            ],
            "alternatives": [
                {
                    "e": e,
                    "parts": _parts_in_words(e.score_parts),
                    "approvals": [APPROVAL_LABELS[a] for a in e.approvals_needed],
                }
                for e in shortlist
                if e.home_id != proposal.home_id
            ],
            "approvals": [APPROVAL_LABELS[a] for a in proposal.approvals_needed],
            "decision": decision,
            "form": form,
            "reject_reasons": RejectReason.choices(),
            "choose_reasons": ChooseReason.choices(),
            "latest": selectors.latest_run(),
            "siblings": selectors.siblings(proposal),
            "can": _can(request),
        },
    )


def _parts_in_words(parts: dict[str, int]) -> list[tuple[str, int]]:
    return [(PART_WORDS.get(k, k.replace("_", " ")), v) for k, v in parts.items() if v]


@requires("view_run")
def decision_list(request: HttpRequest) -> HttpResponse:
    authority = selectors.authority()
    rows = (
        Decision.objects.filter(referral__authority=authority)
        .select_related("referral", "home", "decided_by", "approval", "approval__decided_by")
        .order_by("-decided_at")[:200]
    )
    return render(request, "web/decisions.html", {"rows": rows, "can": _can(request), "labels": APPROVAL_LABELS})


@require_POST
@requires("withdraw")
def decision_withdraw(request: HttpRequest, decision_id: int) -> HttpResponse:
    d = get_object_or_404(Decision, pk=decision_id, referral__authority=selectors.authority())
    try:
        decisions.withdraw(actor(request), d)
        messages.success(request, f"Decision for child {d.referral.child_id} and home {d.home.place_id} withdrawn.")
    except decisions.DecisionError as exc:
        messages.error(request, str(exc))
    return redirect("decisions")


@require_POST
@requires("record_move")
def decision_move(request: HttpRequest, decision_id: int) -> HttpResponse:
    d = get_object_or_404(Decision, pk=decision_id, referral__authority=selectors.authority())
    try:
        decisions.record_move(actor(request), d)
        messages.success(request, f"Child {d.referral.child_id} recorded as living at {d.home.place_id}.")
    except decisions.DecisionError as exc:
        messages.error(request, str(exc))
    return redirect("decisions")


@requires("approve")
def approval_list(request: HttpRequest) -> HttpResponse:
    authority = selectors.authority()
    rows = (
        Decision.objects.filter(referral__authority=authority, status=DecisionStatus.AWAITING_APPROVAL)
        .select_related("referral", "home", "decided_by", "proposal")
        .order_by("decided_at")
    )
    return render(request, "web/approvals.html", {"rows": rows, "labels": APPROVAL_LABELS})


@requires("approve")
def approval_detail(request: HttpRequest, decision_id: int) -> HttpResponse:
    d = get_object_or_404(
        Decision.objects.select_related("referral", "home", "decided_by", "proposal"),
        pk=decision_id,
        referral__authority=selectors.authority(),
    )
    form = ApprovalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            decisions.approve(
                actor(request), d, form.cleaned_data["outcome"] == "approve", form.cleaned_data["rationale"]
            )
        except decisions.DecisionError as exc:
            messages.error(request, str(exc))
            return redirect("approvals")
        messages.success(request, f"Approval recorded for child {d.referral.child_id}.")
        return redirect("approvals")
    entry = d.proposal.shortlist.filter(home=d.home).first()
    return render(
        request,
        "web/approval.html",
        {
            "d": d,
            "form": form,
            "needed": [APPROVAL_LABELS[a] for a in d.approvals_needed],
            "distance": entry.distance_miles if entry else d.proposal.distance_miles,
            "age": d.referral.age_on(dt.date.today()),
            "conflicts": d.proposal.conflicts,
        },
    )


# ---------------------------------------------------------------- imports and exports


@requires("import")
def import_page(request: HttpRequest) -> HttpResponse:
    form = ImportForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        kind = form.cleaned_data["kind"]
        name = "places.csv" if kind == "places" else "children.csv"
        try:
            if kind == "places":
                n = imports.import_places(actor(request), selectors.authority(), data, name)
            elif kind == "children":
                n = imports.import_children(actor(request), selectors.authority(), data, name)
            else:
                sup = form.cleaned_data.get("supplement")
                n = imports.import_ssda903(actor(request), selectors.authority(), data, sup.read() if sup else None)
            messages.success(request, f"Imported {n} row(s) from {upload.name}.")
            return redirect("imports")
        except imports.ImportProblems as exc:
            problems = exc.problems
    return render(
        request, "web/imports.html", {"form": form, "problems": problems[:100], "more": max(len(problems) - 100, 0)}
    )


@requires("export")
def export_page(request: HttpRequest) -> HttpResponse:
    return render(request, "web/exports.html", {"runs": MatchRun.objects.filter(status="succeeded")[:10]})


def _csv_response(name: str, header: list[str], rows: list[list[Any]]) -> HttpResponse:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@requires("export")
def export_proposals(request: HttpRequest) -> HttpResponse:
    run = selectors.latest_run()
    if run is None:
        raise PermissionDenied("no match has finished yet")
    audit.record(actor(request), "export.proposals", "run", run.pk)
    header, rows = selectors.proposals_table(run)
    return _csv_response(f"proposals-run{run.pk}.csv", header, rows)


@requires("export")
def export_decisions(request: HttpRequest) -> HttpResponse:
    audit.record(actor(request), "export.decisions", "authority", selectors.authority().la_code)
    header, rows = selectors.decisions_table(selectors.authority())
    return _csv_response("decisions-log.csv", header, rows)


@requires("export")
def export_case_folder(request: HttpRequest) -> HttpResponse:
    """Today's case folder (children, places, decisions, policy), or a past run's exact inputs."""
    authority = selectors.authority()
    run_id = request.GET.get("run")
    if run_id:
        run = get_object_or_404(MatchRun, pk=int(run_id), authority=authority)
        files, name = dict(run.inputs), f"case-run{run.pk}-{run.as_of.isoformat()}"
    else:
        files, name = casefolder.build(authority, dt.date.today()), f"case-{dt.date.today().isoformat()}"
    audit.record(actor(request), "export.case_folder", "authority", authority.la_code, None, {"folder": name})
    response = HttpResponse(casefolder.zip_bytes(files, name), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


# ---------------------------------------------------------------- sufficiency, audit, tokens


@requires("view_sufficiency")
def sufficiency(request: HttpRequest) -> HttpResponse:
    authority = selectors.authority()
    return render(request, "web/sufficiency.html", selectors.sufficiency(authority))


@requires("view_audit")
def audit_page(request: HttpRequest) -> HttpResponse:
    result = None
    if request.method == "POST":
        result = audit.verify()
        audit.record(actor(request), "audit.verify", "audit", "chain", None, {"ok": result.ok, "events": result.events})
    events = AuditEvent.objects.order_by("-seq")[:100]
    return render(request, "web/audit.html", {"events": events, "result": result})


@requires("manage_tokens")
def token_page(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST if request.method == "POST" else None)
    new_token = None
    if request.method == "POST":
        if "revoke" in request.POST:
            t = get_object_or_404(ApiToken, pk=int(request.POST["revoke"]), user=request.user)
            t.revoked_at = timezone.now()
            t.save(update_fields=["revoked_at"])
            audit.record(actor(request), "token.revoke", "token", t.pk)
            messages.success(request, "Token revoked.")
            return redirect("tokens")
        if form.is_valid():
            new_token = secrets.token_urlsafe(32)
            t = ApiToken.objects.create(
                user=request.user,
                name=form.cleaned_data["name"],
                key_hash=hashlib.sha256(new_token.encode()).hexdigest(),
            )
            audit.record(actor(request), "token.create", "token", t.pk)
    tokens = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True).order_by("-created_at")
    return render(request, "web/tokens.html", {"form": form, "tokens": tokens, "new_token": new_token})


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/403.html", {"reason": str(exception or "")}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/404.html", status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(
        request, "web/403.html", {"reason": "the form had expired; go back, reload and try again"}, status=403
    )


__all__ = ["Count", "Q"]
