"""A real two-node Ray cluster on loopback addresses, as the README's recipe starts one.

``ray start --head`` on 127.0.0.1 and ``ray start --address`` as a second node on 127.0.0.2 (Ray
rewrites 127.0.0.1 to the machine's own address, so a second loopback address is what makes two
nodes on one machine), with token authentication (Ray 2.60 turns it on for ``ray start --head``;
the token is shared through ``RAY_AUTH_TOKEN_PATH``). ``placements match --engine ray --address``
then matches a national-shaped instance scaled down (the demo's city and county as two pieces) on
the cluster, and its files are compared byte for byte with ``--engine local``. The test stops what
it started, by process group, and nothing else: each ``ray start --block`` runs in a session of its
own, and every Ray process it starts stays in that group.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from placements.areas import upper_tier
from placements.io.case_folder import read_case_folder

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FILES = ("matches.csv", "shortlist.csv", "unplaced.csv")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group (Ray's own shutdown), then SIGKILL to whatever is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=20)
    time.sleep(1.0)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, dict[str, str]]]:
    pytest.importorskip("ray")
    home = Path(tempfile.mkdtemp(prefix="rc", dir="/tmp"))  # short: Ray's socket paths have a length limit
    token = home / "token"
    token.write_text(secrets.token_hex(32))
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token)}
    port = _free_port()
    address = f"127.0.0.1:{port}"
    common = ["--num-cpus", "1", "--disable-usage-stats", "--block"]
    started: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for args in (
            ["--head", "--node-ip-address", "127.0.0.1", "--port", str(port), "--include-dashboard", "false"]
            + ["--temp-dir", str(home / "ray")],
            ["--address", address, "--node-ip-address", "127.0.0.2"],
        ):
            log = open(home / f"node{len(started)}.log", "wb")  # noqa: SIM115 - closed below
            logs.append(log)
            started.append(
                subprocess.Popen(
                    [str(BIN / "ray"), "start", *args, *common], env=env, stdout=log, stderr=log, start_new_session=True
                )
            )
            _wait_for_nodes(address, env, len(started), home)
        yield address, env
    finally:
        for proc in reversed(started):
            _stop(proc)
        for log in logs:
            log.close()
        shutil.rmtree(home, ignore_errors=True)


def _wait_for_nodes(address: str, env: dict[str, str], nodes: int, home: Path, timeout: float = 120.0) -> None:
    code = (
        "import ray,sys;ray.init(address=sys.argv[1],log_to_driver=False);"
        "print(sum(1 for n in ray.nodes() if n['Alive']))"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = subprocess.run(
            [sys.executable, "-c", code, address], env=env, capture_output=True, text=True, check=False, timeout=60
        )
        if done.returncode == 0 and done.stdout.strip().splitlines()[-1:] == [str(nodes)]:
            return
        time.sleep(2.0)
    logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in home.glob("node*.log"))
    raise AssertionError(f"the cluster did not reach {nodes} node(s) in {timeout:.0f} s:\n{logs}")


@pytest.fixture(scope="module")
def councils(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with each child's authority taken from their family home: a city and its county."""
    src = ROOT / "data" / "demo"
    dst = tmp_path_factory.mktemp("councils")
    folder = read_case_folder(src)
    la = {c.child_id: upper_tier(c.home_la) or "" for c in folder.instance.children}
    with open(src / "children.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(dst / "children.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, [*rows[0], "local_authority"])
        out.writeheader()
        for row in rows:
            out.writerow({**row, "local_authority": la[row["child_id"]]})
    for name in ("places.csv", "policy.toml"):
        shutil.copy(src / name, dst / name)
    return dst


def _match(case: Path, out: Path, env: dict[str, str], *engine: str) -> dict[str, object]:
    cmd = [str(BIN / "placements"), "match", str(case), "--out", str(out), "--show", "0", "--piece-children", "300"]
    done = subprocess.run([*cmd, *engine], env=env, capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / "summary.json").read_text())


@pytest.mark.slow
def test_match_on_a_two_node_cluster_gives_the_local_engines_files(
    cluster: tuple[str, dict[str, str]], councils: Path, tmp_path: Path
) -> None:
    address, env = cluster
    on_ray = _match(councils, tmp_path / "ray", env, "--engine", "ray", "--address", address)
    local = _match(councils, tmp_path / "local", env, "--engine", "local")
    assert on_ray["pieces"] == local["pieces"] >= 2
    for name in FILES:
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    timing = {k for k in local if k.startswith("seconds")}
    assert {k: v for k, v in on_ray.items() if k not in timing} == {k: v for k, v in local.items() if k not in timing}
    assert on_ray["placed"] > 0
