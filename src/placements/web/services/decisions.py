"""Decisions on proposals, managers' approvals, withdrawals and moves: each one transaction, each audited.

Exactly one decision lands per proposal: the database's one-to-one constraint decides between two
officers deciding at once, and the loser gets :class:`AlreadyDecided` naming who decided first.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from placements.web import audit
from placements.web.audit import Actor
from placements.web.models import (
    HOLDING,
    Approval,
    ChooseReason,
    Decision,
    DecisionKind,
    DecisionStatus,
    Home,
    MatchRun,
    Proposal,
    RejectReason,
    Role,
    RunStatus,
)


class DecisionError(Exception):
    """A decision that cannot be recorded; the message is for the officer."""


class AlreadyDecided(DecisionError):
    pass


def _summary(d: Decision) -> dict[str, object]:
    return {
        "child_id": d.referral.child_id,
        "place_id": d.home.place_id,
        "kind": d.kind,
        "status": d.status,
        "approvals_needed": list(d.approvals_needed),
        "proposal": d.proposal_id,
        "run": d.proposal.run_id,
    }


def _latest_run_id(proposal: Proposal) -> int | None:
    run = (
        MatchRun.objects.filter(authority_id=proposal.run.authority_id, status=RunStatus.SUCCEEDED)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return run


def decide(
    actor: Actor, proposal: Proposal, kind: str, reason_code: str = "", other_home: Home | None = None
) -> Decision:
    """Accept the proposed home, reject it with a coded reason, or choose another home from the shortlist."""
    if kind not in DecisionKind.values():
        raise DecisionError(f"unknown decision {kind!r}")
    if _latest_run_id(proposal) != proposal.run_id:
        raise DecisionError("a newer match has replaced these proposals: decide on the latest proposals")
    approvals: list[str]
    if kind == DecisionKind.CHOOSE_OTHER:
        if other_home is None:
            raise DecisionError("choose a home from the shortlist")
        if reason_code not in ChooseReason.values():
            raise DecisionError("give the reason for choosing another home")
        entry = proposal.shortlist.filter(home=other_home).first()
        if entry is None:
            raise DecisionError(f"home {other_home.place_id} is not on this child's shortlist")
        if proposal.home_id == other_home.pk:
            raise DecisionError("that is the proposed home: accept it instead")
        home, approvals = other_home, list(entry.approvals_needed)
        status = DecisionStatus.AWAITING_APPROVAL if approvals else DecisionStatus.HELD
    else:
        if proposal.home is None:
            raise DecisionError("no home was proposed for this child: choose one from the shortlist")
        home = proposal.home
        if kind == DecisionKind.REJECT:
            if reason_code not in RejectReason.values():
                raise DecisionError("give the coded reason for rejecting the home")
            approvals, status = [], DecisionStatus.REJECTED
        else:
            reason_code = ""
            approvals = list(proposal.approvals_needed)
            status = DecisionStatus.AWAITING_APPROVAL if approvals else DecisionStatus.HELD
    try:
        with transaction.atomic():
            decision = Decision.objects.create(
                proposal=proposal,
                referral=proposal.referral,
                home=home,
                kind=kind,
                reason_code=reason_code,
                status=status,
                approvals_needed=approvals,
                decided_by_id=_user_id(actor),
                decided_role=actor.role,
            )
            audit.record(
                actor, f"decision.{kind}", "proposal", proposal.pk, None, _summary(decision), reason=reason_code
            )
            return decision
    except IntegrityError:
        existing = Decision.objects.filter(proposal=proposal).select_related("decided_by").first()
        if existing is not None:
            raise AlreadyDecided(
                f"{existing.decided_by.get_username()} already decided this proposal "
                f"({existing.get_kind_display().lower()}) at {timezone.localtime(existing.decided_at):%H:%M:%S}"
            ) from None
        raise DecisionError(
            f"child {proposal.referral.child_id} is already held for another home: a manager can withdraw that first"
        ) from None


def _user_id(actor: Actor) -> int:
    from django.contrib.auth import get_user_model

    return int(get_user_model().objects.only("id").get(username=actor.username).pk)


def approve(actor: Actor, decision: Decision, approved: bool, rationale: str) -> Approval:
    """A manager approves (the hold stands) or refuses (the hold is released) with a recorded rationale."""
    if actor.role != Role.MANAGER:
        raise DecisionError("only a manager can approve")
    if len(rationale.strip()) < 10:
        raise DecisionError("record the management rationale (at least a sentence)")
    with transaction.atomic():
        locked = Decision.objects.select_for_update().select_related("referral", "home", "proposal").get(pk=decision.pk)
        if locked.status != DecisionStatus.AWAITING_APPROVAL:
            raise AlreadyDecided("this decision is no longer awaiting approval")
        approval = Approval.objects.create(
            decision=locked,
            approved=approved,
            rationale=rationale.strip(),
            decided_by_id=_user_id(actor),
            decided_role=actor.role,
        )
        before = _summary(locked)
        locked.status = DecisionStatus.HELD if approved else DecisionStatus.REFUSED
        if not approved:
            locked.closed_by_id, locked.closed_at = approval.decided_by_id, timezone.now()
        locked.save()
        audit.record(
            actor,
            "approval.approve" if approved else "approval.refuse",
            "decision",
            locked.pk,
            before,
            {**_summary(locked), "rationale_chars": len(approval.rationale)},
            reason=",".join(locked.approvals_needed),
        )
        return approval


def withdraw(actor: Actor, decision: Decision) -> Decision:
    """A manager withdraws a rejection (the pair may be proposed again) or a hold (the home is released)."""
    if actor.role != Role.MANAGER:
        raise DecisionError("only a manager can withdraw a decision")
    with transaction.atomic():
        locked = Decision.objects.select_for_update().select_related("referral", "home", "proposal").get(pk=decision.pk)
        if locked.status not in (DecisionStatus.REJECTED, *HOLDING):
            raise AlreadyDecided("this decision can no longer be withdrawn")
        before = _summary(locked)
        locked.status = DecisionStatus.WITHDRAWN
        locked.closed_by_id, locked.closed_at = _user_id(actor), timezone.now()
        locked.save()
        audit.record(actor, "decision.withdraw", "decision", locked.pk, before, _summary(locked))
        return locked


def record_move(actor: Actor, decision: Decision) -> Decision:
    """The child has moved into the held home: the referral is placed there, the vacancy falls."""
    with transaction.atomic():
        locked = Decision.objects.select_for_update().select_related("referral", "home", "proposal").get(pk=decision.pk)
        if locked.status != DecisionStatus.HELD:
            raise DecisionError("only a held home (approved where the law asks) can become a placement")
        home = Home.objects.select_for_update().get(pk=locked.home_id)
        referral = locked.referral
        before = {
            **_summary(locked),
            "vacancies": home.vacancies,
            "children_in_placement": home.children_in_placement,
            "child_status": referral.status,
        }
        home.vacancies = max(home.vacancies - 1, 0)
        home.children_in_placement += 1
        home.version += 1
        home.save()
        referral.status = "placed"
        referral.current_place = home
        referral.version += 1
        referral.save()
        locked.status = DecisionStatus.PLACED
        locked.closed_by_id, locked.closed_at = _user_id(actor), timezone.now()
        locked.save()
        after = {
            **_summary(locked),
            "vacancies": home.vacancies,
            "children_in_placement": home.children_in_placement,
            "child_status": referral.status,
        }
        audit.record(actor, "decision.moved_in", "decision", locked.pk, before, after)
        return locked
