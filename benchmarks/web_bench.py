"""The web application's figures on the demo authority (650 children, about 410 homes), as issue 15 asks.

    .venv/bin/python benchmarks/web_bench.py [--pages 50] [--runs 3] [--load-seconds 20] [--sessions 20]

Starts ``placements serve`` (waitress and the match worker, SQLite in a temporary folder unless
``DATABASE_URL`` names another database) on a free loopback port, then measures, as a signed-in
officer over HTTP:

1. page response times of the proposals and register pages (sequential GETs; median and p95);
2. a daily match started from the app until its proposals are on screen (POST "Run today's match",
   follow the run page until it finishes, GET the proposals page), several times;
3. the concurrency test's load: ``--sessions`` API clients reading and deciding proposals at once
   for ``--load-seconds``: throughput, p95, 5xx count, and that no decision was lost or duplicated
   and the audit chain verifies.

Prints a table and writes ``out/web-bench.json``. Figures depend on what else the machine runs.
"""

from __future__ import annotations

import argparse
import hashlib
import http.cookiejar
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """A signed-in session over plain HTTP (cookies and the CSRF token), like a browser without JavaScript."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str, float]:
        t0 = time.perf_counter()
        with self.opener.open(self.base + path, timeout=60) as r:
            body = r.read().decode()
            return r.status, body, time.perf_counter() - t0

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def post(self, path: str, form: dict[str, str]) -> tuple[int, str, str]:
        data = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.csrf()}).encode()
        req = urllib.request.Request(self.base + path, data=data, headers={"Referer": self.base + path})
        with self.opener.open(req, timeout=60) as r:
            return r.status, r.geturl(), r.read().decode()

    def sign_in(self, username: str, password: str) -> None:
        self.get("/login/")
        _, url, _ = self.post("/login/", {"username": username, "password": password})
        assert url.rstrip("/") == self.base, f"sign-in failed (landed on {url})"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _screenshot(base: str, username: str, password: str, path: Path) -> None:
    """The proposals page as an officer sees it, in Debian's Chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    args += ["--disable-component-update", "--disable-sync", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(base + "/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button:has-text('Sign in')")
        page.goto(base + "/proposals/")
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": 1280, "height": 1000})
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=50, help="GETs of each page")
    ap.add_argument("--runs", type=int, default=3, help="daily matches started from the app")
    ap.add_argument("--load-seconds", type=float, default=20.0)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "web-bench.json")
    ap.add_argument("--screenshot", type=Path, help="also save the proposals page, in headless Chromium, to this PNG")
    args = ap.parse_args()

    data = Path(tempfile.mkdtemp(prefix="placements-web-bench-"))
    env = {**os.environ, "PLACEMENTS_WEB_DATA": str(data), "PLACEMENTS_WEB_SECRET_KEY": "bench-" + "x" * 60}
    env.setdefault("DATABASE_URL", f"sqlite:///{data}/bench.sqlite3")
    os.environ.update({k: env[k] for k in ("PLACEMENTS_WEB_DATA", "PLACEMENTS_WEB_SECRET_KEY", "DATABASE_URL")})
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(data / "serve.log", "w")  # noqa: SIM115 - closed at the end
    t_start = time.perf_counter()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("placements")), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        for _ in range(600):
            if "Serving on" in (data / "serve.log").read_text():
                break
            if server.poll() is not None:
                raise SystemExit("placements serve stopped:\n" + (data / "serve.log").read_text())
            time.sleep(0.2)
        startup = time.perf_counter() - t_start
        time.sleep(1.0)  # the worker's warm-up (engine imports, postcode directory)

        from placements.web import setup

        setup()
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from placements.web.models import ApiToken, Decision, Home, Proposal, Referral

        password = "bench-officer-passphrase"
        user = get_user_model().objects.create_user("bench-officer", password=password)
        user.groups.add(Group.objects.get(name="officer"))
        tokens = []
        for k in range(args.sessions):
            u = get_user_model().objects.create_user(f"bench-load-{k:02d}", password=password)
            u.groups.add(Group.objects.get(name="officer"))
            key = f"bench-token-{k:02d}"
            ApiToken.objects.create(user=u, name="bench", key_hash=hashlib.sha256(key.encode()).hexdigest())
            tokens.append(key)
        sizes = {
            "children": Referral.objects.count(),
            "needing": Referral.objects.filter(status="needs_placement").count(),
            "homes": Home.objects.count(),
        }

        officer = Browser(base)
        officer.sign_in("bench-officer", password)

        # 2. A daily match from the app to proposals on screen.
        match_seconds = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            _, run_url, _ = officer.post("/runs/start/", {})
            run_id = int(re.search(r"/runs/(\d+)/", run_url).group(1))
            while True:
                _, body, _ = officer.get(f"/runs/{run_id}/status.json")
                status = json.loads(body)
                if not status["active"]:
                    break
                time.sleep(0.1)
            assert status["status"] == "succeeded", status
            _, page, _ = officer.get("/proposals/")
            assert f"run {run_id}" in page or f"/runs/{run_id}/" in page
            match_seconds.append(time.perf_counter() - t0)
        n_proposals = Proposal.objects.filter(run_id=run_id).count()

        if args.screenshot:
            _screenshot(base, "bench-officer", password, args.screenshot)

        # 1. Page response times.
        pages = {}
        for path in ("/proposals/", "/register/"):
            officer.get(path)  # warm
            times = [officer.get(path)[2] for _ in range(args.pages)]
            pages[path] = {"median_ms": 1000 * statistics.median(times), "p95_ms": 1000 * _pct(times, 0.95)}
        # The register's table is cached until any home changes: measure the first view after a change too.
        from django.db.models import F

        times = []
        for k in range(args.pages):
            Home.objects.filter(pk=Home.objects.order_by("id")[k % 50].pk).update(version=F("version") + 1)
            times.append(officer.get("/register/")[2])
        pages["/register/ after a change"] = {
            "median_ms": 1000 * statistics.median(times),
            "p95_ms": 1000 * _pct(times, 0.95),
        }

        # 3. The concurrency load.
        from placements.web import audit
        from placements.web.loadtest import run_load

        ids = list(Proposal.objects.filter(run_id=run_id, home__isnull=False).values_list("id", flat=True))
        out = run_load(base, tokens, run_id, ids, seconds=args.load_seconds, max_requests=100_000, seed=7)
        stored = dict(Decision.objects.filter(proposal__run_id=run_id).values_list("proposal_id", "id"))
        load = {
            "sessions": args.sessions,
            "seconds": round(out.seconds, 1),
            "requests": out.requests,
            "throughput_per_s": round(out.requests / out.seconds, 1),
            "p95_ms": round(out.p95_ms(), 1),
            "server_errors": sum(1 for s in out.statuses if s >= 500),
            "client_errors": len(out.errors),
            "decisions_acknowledged": len(out.decided),
            "decisions_stored": len(stored),
            "lost_or_duplicated": dict(out.decided) != stored,
            "audit_verifies": audit.verify().ok,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    result = {
        "database": env["DATABASE_URL"].split(":", 1)[0],
        "demo": sizes,
        "startup_seconds": round(startup, 1),
        "pages": {k: {m: round(v, 1) for m, v in d.items()} for k, d in pages.items()},
        "daily_match_to_proposals_seconds": [round(s, 2) for s in match_seconds],
        "proposals_per_run": n_proposals,
        "load": load,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"Demo authority: {sizes['children']} children ({sizes['needing']} needing a home), {sizes['homes']} homes; {result['database']}"
    )
    print(f"placements serve ready in {result['startup_seconds']} s (migrate, demo load, users)")
    for path, d in result["pages"].items():
        print(f"GET {path:26} median {d['median_ms']:7.1f} ms   p95 {d['p95_ms']:7.1f} ms   ({args.pages} requests)")
    ms = match_seconds
    print(
        f"daily match, button to proposals on screen: median {statistics.median(ms):.2f} s, max {max(ms):.2f} s ({len(ms)} runs)"
    )
    print(
        f"load: {load['sessions']} sessions for {load['seconds']} s: {load['requests']} requests, "
        f"{load['throughput_per_s']}/s, p95 {load['p95_ms']} ms, 5xx {load['server_errors']}, "
        f"decisions {load['decisions_stored']} stored / {load['decisions_acknowledged']} acknowledged, "
        f"lost or duplicated: {load['lost_or_duplicated']}, audit verifies: {load['audit_verifies']}"
    )
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
