"""Match runs: requested from a page or the API, executed by the background worker, never in a request.

A run reads the case folder built from the database through the engine's own reader
(``placements.read_case_folder``), so the web application and ``placements match`` see exactly the
same input, and matches it with ``placements.match``. Its proposals are stored in one transaction
at the end: a run that fails or is interrupted leaves the previous proposals and every decision
as they were, and says why.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from placements.result import SCORE_PARTS
from placements.web import audit
from placements.web.audit import SYSTEM, Actor
from placements.web.models import (
    ApprovalReason,
    Authority,
    Home,
    MatchRun,
    Proposal,
    Referral,
    RunStatus,
    ShortlistEntry,
)
from placements.web.services import casefolder

log = logging.getLogger("placements.web")

OVER_MILES = 20.0


class RunRefused(Exception):
    pass


def request_run(actor: Actor, user_id: int, authority: Authority, as_of: dt.date | None = None) -> MatchRun:
    """Queue a match for the worker; refused while another run of this authority is queued or running."""
    try:
        with transaction.atomic():
            run = MatchRun.objects.create(
                authority=authority, requested_by_id=user_id, as_of=as_of or dt.date.today(), stage="waiting"
            )
            audit.record(actor, "run.request", "run", run.pk, None, {"as_of": run.as_of})
            return run
    except IntegrityError:
        raise RunRefused("a match is already queued or running for this authority: wait for it to finish") from None


def approvals_needed(age: int, setting: str, in_area: bool, distance: float | None) -> list[str]:
    """The approvals the law asks for before this (child, home) becomes a placement."""
    out = []
    if not in_area:
        out.append(ApprovalReason.OUT_OF_AREA.value)
    if distance is not None and distance > OVER_MILES:
        out.append(ApprovalReason.OVER_20_MILES.value)
    if age < 12 and setting == "residential":
        out.append(ApprovalReason.UNDER_12_RESIDENTIAL.value)
    return out


def _progress(run: MatchRun, percent: int, stage: str) -> None:
    MatchRun.objects.filter(pk=run.pk).update(progress=percent, stage=stage)


def claim_next() -> MatchRun | None:
    """Take the oldest queued run (atomically: one worker wins it)."""
    with transaction.atomic():
        run = MatchRun.objects.select_for_update().filter(status=RunStatus.QUEUED).order_by("id").first()
        if run is None:
            return None
        run.status, run.started_at, run.stage = RunStatus.RUNNING, timezone.now(), "starting"
        run.save(update_fields=["status", "started_at", "stage"])
        return run


def fail_interrupted() -> int:
    """Runs left 'running' by a worker that stopped: mark them failed, saying so. Called when a worker starts."""
    n = 0
    for run in MatchRun.objects.filter(status=RunStatus.RUNNING):
        with transaction.atomic():
            run.status, run.finished_at = RunStatus.FAILED, timezone.now()
            run.error = "interrupted: the worker stopped before the match finished; earlier proposals are unchanged"
            run.save(update_fields=["status", "finished_at", "error"])
            audit.record(SYSTEM, "run.interrupted", "run", run.pk)
        n += 1
    return n


def execute(run: MatchRun) -> MatchRun:
    """Run the engine for a claimed run and store its proposals (or the reason it failed)."""
    from placements import InputError, __version__, match, read_case_folder
    from placements.reports.conflicts.registry import run_rules
    from placements.validate import held_problems

    t0 = time.perf_counter()
    tmp = "\0no folder\0"
    try:
        _progress(run, 10, "reading the register and referrals")
        files = casefolder.build(run.authority, run.as_of)
        run.inputs, run.inputs_fingerprint, run.engine_version = files, casefolder.fingerprint(files), __version__
        stale = _stale_warnings(run.authority, run.as_of)
        with tempfile.TemporaryDirectory(prefix="placements-run-") as tmp:
            folder = read_case_folder(casefolder.write(files, Path(tmp) / "case"))
            held = held_problems(folder)  # holds that no longer pass a rule, with decisions.csv's line
            if held:
                raise InputError(held)
        run.policy = folder.policy.model_dump(mode="json")
        run.warnings = stale + [str(w).replace(str(tmp) + "/case/", "") for w in folder.warnings]
        _progress(run, 40, "matching")
        result = match(folder.instance, folder.policy)
        _progress(run, 80, "saving proposals")
        conflicts = run_rules(folder.instance, run.as_of)
        _store(run, result, conflicts, time.perf_counter() - t0)
    except InputError as exc:
        problems = "\n".join(str(p).replace(str(tmp) + "/case/", "") for p in exc.problems[:50])
        _fail(run, f"The register or referrals cannot be matched ({len(exc.problems)} problem(s)):\n{problems}")
    except Exception as exc:  # a failed run must say so, never take the worker down
        log.exception("match run %s failed", run.pk)
        _fail(run, f"The match failed: {type(exc).__name__}")
    return MatchRun.objects.get(pk=run.pk)


def _fail(run: MatchRun, message: str) -> None:
    with transaction.atomic():
        MatchRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            error=message,
            inputs=run.inputs,
            inputs_fingerprint=run.inputs_fingerprint,
            engine_version=run.engine_version,
            progress=100,
            stage="failed",
        )
        audit.record(SYSTEM, "run.fail", "run", run.pk, None, {"fingerprint": run.inputs_fingerprint})


def _stale_warnings(authority: Authority, as_of: dt.date) -> list[str]:
    limit = as_of - dt.timedelta(days=authority.stale_after_days)
    stale = Home.objects.filter(authority=authority, vacancies__gt=0, vacancies_confirmed_on__lt=limit)
    ids = list(stale.order_by("place_id").values_list("place_id", flat=True))
    if not ids:
        return []
    shown = ", ".join(ids[:20]) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
    return [
        f"{len(ids)} home(s) with vacancies not confirmed in the last {authority.stale_after_days} days: {shown}. "
        "Proposals to them may fail: confirm the vacancies on the register."
    ]


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def _store(run: MatchRun, result: Any, conflicts: Any, seconds: float) -> None:
    summary = result.summary.to_dict()
    homes = {h.place_id: h for h in Home.objects.filter(authority=run.authority)}
    referrals = {r.child_id: r for r in Referral.objects.filter(authority=run.authority)}
    parts_cols = [c for c in result.matches.columns if c in SCORE_PARTS]
    conflict_rows: dict[str, list[dict[str, str]]] = {}
    for row in conflicts.itertuples():
        conflict_rows.setdefault(row.child_id, []).append(
            {"rule": row.rule, "severity": row.severity, "evidence": row.evidence, "action": row.suggested_action}
        )
    with transaction.atomic():
        proposals: dict[str, Proposal] = {}
        for m in result.matches.itertuples():
            dist = _num(m.distance_miles)
            p = Proposal(
                run=run,
                referral=referrals[m.child_id],
                home=homes[m.place_id],
                distance_miles=dist,
                in_area=bool(m.in_area),
                weekly_cost=m.weekly_cost,
                sibling_group=m.sibling_group or "",
                split=bool(m.split),
                score_parts={c: int(getattr(m, c)) for c in parts_cols},
                score=int(m.score_penalty),
                approvals_needed=approvals_needed(int(m.age), m.setting, bool(m.in_area), dist),
                conflicts=conflict_rows.get(m.child_id, []),
            )
            proposals[m.child_id] = p
        for u in result.unplaced.itertuples():
            referral = referrals[u.child_id]
            proposals[u.child_id] = Proposal(
                run=run,
                referral=referral,
                sibling_group=referral.sibling_group,
                reason_code=u.reason_code,
                binding_rule=u.binding_rule,
                explanation=u.explanation,
                conflicts=conflict_rows.get(u.child_id, []),
            )
        Proposal.objects.bulk_create(proposals.values())
        saved = {p.referral.child_id: p for p in Proposal.objects.filter(run=run).select_related("referral")}
        entries = []
        age_of = {cid: r.age_on(run.as_of) for cid, r in referrals.items()}
        la = run.authority.la_code
        weight_out = int(run.policy.get("weights", {}).get("out_of_area", 0))
        for s in result.shortlist.itertuples():
            home = homes[s.place_id]
            dist = _num(s.distance_miles)
            # The engine charges out_of_area points exactly when the home is outside the child's authority.
            in_area = int(s.out_of_area) == 0 if weight_out > 0 else home.local_authority == la
            entries.append(
                ShortlistEntry(
                    proposal=saved[s.child_id],
                    rank=int(s.rank),
                    home=home,
                    distance_miles=dist,
                    in_area=in_area,
                    weekly_cost=s.weekly_cost,
                    score_parts={c: int(getattr(s, c)) for c in parts_cols if hasattr(s, c)},
                    score=int(s.score_penalty),
                    approvals_needed=approvals_needed(age_of[s.child_id], s.setting, in_area, dist),
                )
            )
        ShortlistEntry.objects.bulk_create(entries)
        run.status, run.finished_at, run.progress, run.stage = RunStatus.SUCCEEDED, timezone.now(), 100, "finished"
        run.solver_status = summary["status"]
        run.objective, run.bound, run.gap = summary["objective"], summary["bound"], summary["gap"]
        run.summary = {k: v for k, v in summary.items() if isinstance(v, int | float | str | bool | None)}
        run.summary["web_seconds"] = round(seconds, 3)
        run.save()
        audit.record(
            SYSTEM,
            "run.succeed",
            "run",
            run.pk,
            None,
            {
                "fingerprint": run.inputs_fingerprint,
                "status": run.solver_status,
                "placed": summary["placed"],
                "unplaced": summary["unplaced"],
            },
        )
