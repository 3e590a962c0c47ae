"""`placements serve` killed outright after acknowledging a decision: restarted, it has lost nothing.

Runs the real command on a loopback port (SQLite in a temporary folder), signs in as the demo officer
with the printed one-time password, chooses a password, makes an API token, runs a match, decides a
proposal, then kills the server and its worker with SIGKILL (no clean shutdown) and starts it again.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from placements.web.loadtest import call


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    exe = str(Path(sys.executable).with_name("placements"))
    proc = subprocess.Popen(
        [exe, "serve", "--port", str(port)],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(600):
        if "Serving on" in log.read_text():
            return proc
        assert proc.poll() is None, log.read_text()
        time.sleep(0.1)
    raise AssertionError("placements serve did not start:\n" + log.read_text())


class Session:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as r:
            return r.read().decode()

    def post(self, path: str, form: dict[str, str]) -> tuple[str, str]:
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        data = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": token}).encode()
        req = urllib.request.Request(self.base + path, data=data, headers={"Referer": self.base + path})
        with self.opener.open(req, timeout=60) as r:
            return r.geturl(), r.read().decode()


def test_a_restarted_server_loses_nothing_acknowledged(tmp_path: Path) -> None:
    if os.environ.get("PLACEMENTS_TEST_DATABASE_URL"):
        pytest.skip("runs the command on its own SQLite database")
    env = {**os.environ, "PLACEMENTS_WEB_DATA": str(tmp_path), "PLACEMENTS_WEB_SECRET_KEY": "restart-" + "k" * 60}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/serve.sqlite3"
    env.pop("DJANGO_SETTINGS_MODULE", None)
    port = _port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    proc = _serve(env, port, log)
    try:
        one_time = re.search(r"demo-officer\s+(\S+)", log.read_text()).group(1)
        s = Session(base)
        s.get("/login/")
        url, _ = s.post("/login/", {"username": "demo-officer", "password": one_time})
        assert url.endswith("/password/")  # a one-time password must be replaced first
        new = "restart-test-passphrase-2026"
        s.post("/password/", {"old_password": one_time, "new_password1": new, "new_password2": new})
        _, page = s.post("/account/tokens/", {"name": "restart test"})
        token = re.search(r'id="new-token">([^<]+)<', page).group(1).strip()

        status, run, _ = call(base, token, "POST", "/api/v1/runs")
        assert status == 202
        for _ in range(600):
            _, run, _ = call(base, token, "GET", f"/api/v1/runs/{run['id']}")
            if run["status"] != "queued" and run["status"] != "running":
                break
            time.sleep(0.1)
        assert run["status"] == "succeeded", run
        _, proposals, _ = call(base, token, "GET", f"/api/v1/runs/{run['id']}/proposals")
        target = next(p for p in proposals if p["place_id"])
        status, decision, _ = call(
            base,
            token,
            "POST",
            f"/api/v1/proposals/{target['id']}/decision",
            {"kind": "reject", "reason_code": "education"},
        )
        assert status == 201  # acknowledged
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the server and its worker, with no chance to tidy up
        proc.wait(timeout=30)

    proc = _serve(env, port, tmp_path / "serve-again.log")
    try:
        status, decisions, _ = call(base, token, "GET", "/api/v1/decisions")
        assert status == 200
        assert [(d["id"], d["child_id"], d["kind"], d["reason_code"]) for d in decisions] == [
            (decision["id"], target["child_id"], "reject", "education")
        ]
        status, again, _ = call(base, token, "GET", f"/api/v1/runs/{run['id']}")
        assert again["status"] == "succeeded" and again["inputs_fingerprint"] == run["inputs_fingerprint"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    verified = subprocess.run(
        [str(Path(sys.executable).with_name("placements")), "web", "verify-audit"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "chain intact" in verified.stdout
    assert json.dumps(decision)  # the acknowledged body was well-formed
