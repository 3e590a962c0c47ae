"""Reads for pages, the API and exports: plain functions over the models, no writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, Sum

from placements.web.models import (
    HOLDING,
    ApprovalReason,
    Authority,
    Decision,
    DecisionStatus,
    Home,
    MatchRun,
    Proposal,
    Referral,
    RunStatus,
)

APPROVAL_LABELS = dict(ApprovalReason.choices())


def authority_or_none() -> Authority | None:
    return Authority.objects.order_by("id").first()


class NoAuthority(RuntimeError):
    """No authority is set up yet (nothing imported)."""


def authority() -> Authority:
    a = authority_or_none()
    if a is None:
        raise NoAuthority("no authority is set up: run `placements serve` (it loads the demo) or import one")
    return a


def latest_run() -> MatchRun | None:
    a = authority_or_none()
    if a is None:
        return None
    return MatchRun.objects.filter(authority=a, status=RunStatus.SUCCEEDED).order_by("-id").first()


def active_run() -> MatchRun | None:
    a = authority_or_none()
    return MatchRun.objects.filter(authority=a, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first() if a else None


def register_version(a: Authority) -> str:
    """Changes whenever any home changes (every write bumps a home's version) and each day (staleness):
    the register page caches its table under it. One narrow query over the register's rows."""
    import hashlib

    rows = (
        Home.objects.filter(authority=a)
        .order_by("id")
        .values_list("id", "version", "vacancies", "vacancies_confirmed_on")
    )
    digest = hashlib.sha256(repr(list(rows)).encode()).hexdigest()[:20]
    return f"{a.pk}-{a.stale_after_days}-{dt.date.today().isoformat()}-{digest}"


def homes(a: Authority, setting: str = "", only: str = "") -> list[dict[str, Any]]:
    qs = Home.objects.filter(authority=a).order_by("place_id")
    if setting:
        qs = qs.filter(setting=setting)
    if only == "vacancies":
        qs = qs.filter(vacancies__gt=0)
    today = dt.date.today()
    limit = today - dt.timedelta(days=a.stale_after_days)
    if only == "stale":
        qs = qs.filter(vacancies_confirmed_on__lt=limit)
    return [{"h": h, "stale": h.vacancies_confirmed_on < limit} for h in qs]


def overview(a: Authority) -> dict[str, Any]:
    today = dt.date.today()
    limit = today - dt.timedelta(days=a.stale_after_days)
    return {
        "authority": a,
        "needing": Referral.objects.filter(authority=a, status="needs_placement").count(),
        "emergencies": Referral.objects.filter(authority=a, status="needs_placement", urgency="emergency").count(),
        "homes": Home.objects.filter(authority=a).count(),
        "vacancies": Home.objects.filter(authority=a).aggregate(v=Sum("vacancies"))["v"] or 0,
        "stale": Home.objects.filter(authority=a, vacancies__gt=0, vacancies_confirmed_on__lt=limit).count(),
        "awaiting": Decision.objects.filter(referral__authority=a, status=DecisionStatus.AWAITING_APPROVAL).count(),
        "held": Decision.objects.filter(referral__authority=a, status=DecisionStatus.HELD).count(),
        "latest": latest_run(),
        "active": active_run(),
    }


def summary_rows(run: MatchRun) -> list[tuple[str, Any]]:
    s = run.summary or {}
    labels = [
        ("needing_placement", "Children being matched"),
        ("placed", "Proposed a home"),
        ("unplaced", "No home proposed"),
        ("emergency_placed", "Emergencies proposed a home"),
        ("sibling_groups", "Sibling groups"),
        ("sibling_groups_split", "Sibling groups split"),
        ("under12_in_residential", "Under-12s proposed a children's home"),
        ("out_of_area", "Proposed a home out of area"),
        ("over_20_miles", "Proposed a home over 20 miles away"),
        ("total_weekly_cost", "Total weekly cost of the homes proposed"),
    ]
    rows = [(label, s.get(key)) for key, label in labels if key in s]
    return [(label, f"£{v:,.0f}" if "cost" in label and v is not None else v) for label, v in rows]


def proposals(run: MatchRun) -> list[dict[str, Any]]:
    rows = []
    qs = (
        Proposal.objects.filter(run=run)
        .select_related("referral", "home", "decision", "decision__home")
        .order_by("referral__child_id")
    )
    for p in qs:
        decision = getattr(p, "decision", None)
        rows.append(
            {
                "p": p,
                "decision": decision,
                "approvals": [APPROVAL_LABELS[a] for a in p.approvals_needed],
                "emergency": p.referral.urgency == "emergency",
            }
        )
    # Emergencies first, then children without a home, then by identifier.
    rows.sort(key=lambda r: (not r["emergency"], r["p"].home_id is not None, r["p"].referral.child_id))
    return rows


def holds(a: Authority) -> list[Decision]:
    return list(
        Decision.objects.filter(referral__authority=a, status__in=HOLDING)
        .select_related("referral", "home", "decided_by")
        .order_by("referral__child_id")
    )


def siblings(p: Proposal) -> list[dict[str, Any]]:
    """The child's siblings among this run's proposals: where each is proposed to live."""
    if not p.referral.sibling_group:
        return []
    out = []
    for q in Proposal.objects.filter(run=p.run, referral__sibling_group=p.referral.sibling_group).select_related(
        "referral", "home"
    ):
        if q.pk != p.pk:
            out.append({"child_id": q.referral.child_id, "home": q.home.place_id if q.home else None, "pk": q.pk})
    return out


def proposals_table(run: MatchRun) -> tuple[list[str], list[list[Any]]]:
    header = [
        "run",
        "child_id",
        "urgency",
        "place_id",
        "setting",
        "provider",
        "distance_miles",
        "in_area",
        "weekly_cost",
        "sibling_group",
        "split",
        "score_penalty",
        "approvals_needed",
        "reason_code",
        "binding_rule",
        "decision",
        "decision_status",
        "decision_place_id",
    ]
    rows = []
    for r in proposals(run):
        p, d = r["p"], r["decision"]
        rows.append(
            [
                run.pk,
                p.referral.child_id,
                p.referral.urgency,
                p.home.place_id if p.home else "",
                p.home.setting if p.home else "",
                p.home.provider if p.home else "",
                "" if p.distance_miles is None else p.distance_miles,
                p.in_area if p.home else "",
                "" if p.weekly_cost is None else p.weekly_cost,
                p.sibling_group,
                p.split,
                "" if p.score is None else p.score,
                ";".join(p.approvals_needed),
                p.reason_code,
                p.binding_rule,
                d.kind if d else "",
                d.status if d else "",
                d.home.place_id if d else "",
            ]
        )
    return header, rows


def decisions_table(a: Authority) -> tuple[list[str], list[list[Any]]]:
    header = [
        "decision_id",
        "child_id",
        "place_id",
        "kind",
        "reason_code",
        "status",
        "approvals_needed",
        "decided_by",
        "decided_role",
        "decided_at",
        "approved",
        "approved_by",
        "approved_at",
        "run",
    ]
    rows = []
    qs = (
        Decision.objects.filter(referral__authority=a)
        .select_related("referral", "home", "decided_by", "approval", "approval__decided_by", "proposal")
        .order_by("decided_at", "id")
    )
    for d in qs:
        ap = getattr(d, "approval", None)
        rows.append(
            [
                d.pk,
                d.referral.child_id,
                d.home.place_id,
                d.kind,
                d.reason_code,
                d.status,
                ";".join(d.approvals_needed),
                d.decided_by.get_username(),
                d.decided_role,
                d.decided_at.isoformat(),
                "" if ap is None else ap.approved,
                "" if ap is None else ap.decided_by.get_username(),
                "" if ap is None else ap.decided_at.isoformat(),
                d.proposal.run_id,
            ]
        )
    return header, rows


def sufficiency(a: Authority) -> dict[str, Any]:
    """Register-level sufficiency for commissioners: vacancies against children waiting, by setting and age band."""
    from placements.codes import AGE_BANDS, age_band

    today = dt.date.today()
    waiting = Referral.objects.filter(authority=a, status="needs_placement")
    by_band: dict[str, int] = {label: 0 for label, _, _ in AGE_BANDS}
    for r in waiting:
        by_band[age_band(r.age_on(today))] += 1
    vac_by_band: dict[str, int] = {label: 0 for label, _, _ in AGE_BANDS}
    for h in Home.objects.filter(authority=a, vacancies__gt=0):
        for label, lo, hi in AGE_BANDS:
            if h.age_min <= hi and h.age_max >= lo:
                vac_by_band[label] += h.vacancies
    settings = (
        Home.objects.filter(authority=a)
        .values("setting")
        .annotate(homes=Count("id"), vacancies=Sum("vacancies"), in_placement=Sum("children_in_placement"))
        .order_by("setting")
    )
    run = latest_run()
    return {
        "bands": [(label, by_band[label], vac_by_band[label]) for label, _, _ in AGE_BANDS],
        "settings": list(settings),
        "run": run,
        "summary_rows": summary_rows(run) if run else [],
        "reasons": list(
            Proposal.objects.filter(run=run, home__isnull=True)
            .values("binding_rule")
            .annotate(n=Count("id"))
            .order_by("-n")
        )
        if run
        else [],
        "out_of_area_homes": Home.objects.filter(authority=a).filter(~Q(local_authority=a.la_code)).count(),
    }
