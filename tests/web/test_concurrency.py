"""Many sessions at once on the loopback server: no 5xx, no decision lost or duplicated, the audit verifies."""

from __future__ import annotations

import hashlib
import os
import threading
import time

from web.conftest import DEMO, load_authority, make_user

SESSIONS = 20
SECONDS = float(os.environ.get("PLACEMENTS_WEB_LOAD_SECONDS", "6"))


def _tokens(n: int) -> list[str]:
    from placements.web.models import ApiToken

    out = []
    for k in range(n):
        user = make_user("officer", f"officer-{k:02d}")
        key = f"load-token-{k:02d}"
        ApiToken.objects.create(user=user, name="load", key_hash=hashlib.sha256(key.encode()).hexdigest())
        out.append(key)
    return out


def _finished_run(base: str, token: str) -> int:
    from placements.web.loadtest import call

    status, run, _ = call(base, token, "POST", "/api/v1/runs")
    assert status == 202, run
    for _ in range(600):
        status, run, _ = call(base, token, "GET", f"/api/v1/runs/{run['id']}")
        if run["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    assert run["status"] == "succeeded", run
    return int(run["id"])


def test_twenty_sessions_lose_and_duplicate_nothing(live_app) -> None:
    from placements.web import audit
    from placements.web.loadtest import run_load
    from placements.web.models import AuditEvent, Decision, Proposal

    load_authority(DEMO)
    tokens = _tokens(SESSIONS)
    run_id = _finished_run(live_app.url, tokens[0])
    proposals = list(Proposal.objects.filter(run_id=run_id, home__isnull=False).values_list("id", flat=True))
    assert len(proposals) >= 30

    out = run_load(live_app.url, tokens, run_id, proposals, seconds=SECONDS, seed=1)

    assert out.errors == []
    assert out.requests > 100
    assert not [s for s in out.statuses if s >= 500], "server errors under load"
    assert set(out.statuses) <= {200, 201, 409, 422}, sorted(set(out.statuses))
    stored = dict(Decision.objects.values_list("proposal_id", "id"))
    # Every acknowledged decision is stored (nothing lost), and each proposal has at most one (nothing duplicated).
    assert len(out.decided) == len(stored)
    assert dict(out.decided) == stored
    assert len({p for p, _ in out.decided}) == len(out.decided)
    assert set(out.conflicts) <= set(stored), "a 409 for a proposal nobody decided"
    # One audit event per decision, naming its proposal; the chain verifies.
    events = AuditEvent.objects.filter(action__startswith="decision.")
    assert sorted(int(e.object_id) for e in events) == sorted(stored)
    assert audit.verify().ok
    print(
        f"\n{SESSIONS} sessions, {out.requests} requests in {out.seconds:.1f} s "
        f"({out.requests / out.seconds:.0f}/s), p95 {out.p95_ms():.0f} ms, {len(stored)} decisions"
    )


def test_two_officers_deciding_the_same_proposal_exactly_one_lands(live_app) -> None:
    from placements.web.loadtest import call
    from placements.web.models import Decision, Proposal
    from web.conftest import DATA

    load_authority(DATA / "tiny")
    a, b = _tokens(2)
    run_id = _finished_run(live_app.url, a)
    targets = list(Proposal.objects.filter(run_id=run_id, home__isnull=False).values_list("id", flat=True))[:3]
    for pid in targets:
        barrier = threading.Barrier(2)
        results: dict[str, tuple[int, object]] = {}

        def decide(
            name: str, token: str, kind: str, pid: int = pid, barrier: threading.Barrier = barrier, results=results
        ) -> None:
            body = {"kind": kind, "reason_code": "carer_declined" if kind == "reject" else ""}
            barrier.wait()
            status, payload, _ = call(live_app.url, token, "POST", f"/api/v1/proposals/{pid}/decision", body)
            results[name] = (status, payload)

        threads = [
            threading.Thread(target=decide, args=("a", a, "accept")),
            threading.Thread(target=decide, args=("b", b, "reject")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        statuses = sorted(s for s, _ in results.values())
        assert statuses == [201, 409], results
        loser = next(p for s, p in results.values() if s == 409)
        assert "already decided" in str(loser)
        assert Decision.objects.filter(proposal_id=pid).count() == 1
