"""A bounded load against a loopback server: sessions reading pages and deciding proposals at once.

Used by the concurrency test (tests/web/test_concurrency.py) and the benchmark (benchmarks/web_bench.py).
It only ever talks to 127.0.0.1 / localhost, stops by itself after ``seconds`` or ``max_requests``,
and reports every response's status and latency so the caller can check that no decision was lost
or duplicated.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlparse


@dataclass
class Outcome:
    statuses: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    decided: list[tuple[int, int]] = field(default_factory=list)  # (proposal id, decision id) of each 201
    conflicts: list[int] = field(default_factory=list)  # proposal ids answered 409
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.statuses)

    def p95_ms(self) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def _loopback(base: str) -> str:
    host = urlparse(base).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"load is only ever sent to this machine's loopback address, not {host}")
    return base.rstrip("/")


def call(base: str, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, object, float]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(_loopback(base) + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, payload = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, payload = e.code, e.read()
    elapsed = time.perf_counter() - t0
    try:
        parsed: object = json.loads(payload or b"null")
    except ValueError:
        parsed = payload[:200]
    return status, parsed, elapsed


def run_load(
    base: str,
    tokens: list[str],
    run_id: int,
    proposal_ids: list[int],
    seconds: float = 8.0,
    max_requests: int = 4000,
    seed: int = 0,
) -> Outcome:
    """One thread per token for ``seconds``: reads (run, decisions, homes) and decisions on random proposals."""
    out = Outcome()
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    reasons = ["carer_declined", "education", "family_contact", "matching_concern"]

    def session(k: int, token: str) -> None:
        rng = random.Random(seed * 1000 + k)
        while time.perf_counter() < stop_at:
            with lock:
                if out.requests >= max_requests:
                    return
            roll = rng.random()
            try:
                if roll < 0.6:
                    path = rng.choice([f"/api/v1/runs/{run_id}", "/api/v1/decisions", "/api/v1/homes?only=vacancies"])
                    status, _, dt = call(base, token, "GET", path)
                    pid = None
                    payload: object = None
                else:
                    pid = rng.choice(proposal_ids)
                    kind = "accept" if rng.random() < 0.5 else "reject"
                    body = {"kind": kind, "reason_code": rng.choice(reasons) if kind == "reject" else ""}
                    status, payload, dt = call(base, token, "POST", f"/api/v1/proposals/{pid}/decision", body)
            except Exception as exc:  # a refused connection is a failure to report, not to hide
                with lock:
                    out.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                out.statuses.append(status)
                out.latencies.append(dt)
                if pid is not None and status == 201 and isinstance(payload, dict):
                    out.decided.append((pid, int(payload["id"])))
                elif pid is not None and status == 409:
                    out.conflicts.append(pid)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=session, args=(k, t), daemon=True) for k, t in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    out.seconds = time.perf_counter() - t0
    return out
