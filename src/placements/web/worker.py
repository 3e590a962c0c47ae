"""The background worker: takes queued match runs one at a time and executes them, outside any request.

``placements serve`` starts it as its own process beside the web server; ``python -m
placements.web.worker`` runs it alone. On start it marks runs left 'running' by a stopped worker as
failed (interrupted), so nothing waits forever and earlier proposals stay as they were.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time

log = logging.getLogger("placements.web")


def run_pending(limit: int | None = None) -> int:
    """Execute queued runs until none is left (or ``limit`` runs); returns how many ran."""
    from placements.web.services import runs

    done = 0
    while limit is None or done < limit:
        run = runs.claim_next()
        if run is None:
            break
        log.info("match run %s started", run.pk)
        result = runs.execute(run)
        log.info("match run %s %s", run.pk, result.status)
        done += 1
    return done


def loop(stop: threading.Event, poll_seconds: float = 0.5) -> None:
    from django.db import close_old_connections

    from placements.web.services import runs

    runs.fail_interrupted()
    while not stop.is_set():
        close_old_connections()
        try:
            if run_pending(limit=1) == 0:
                stop.wait(poll_seconds)
        except Exception:  # keep serving: a database hiccup must not end the worker
            log.exception("worker loop")
            time.sleep(poll_seconds)


def main() -> None:
    from placements.web import setup

    setup()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # Warm the engine (pandas, OR-Tools, the postcode directory) so the first match is as quick as the rest.
    # Through the public API: importing the submodule placements.match first would shadow the function.
    from placements import match  # noqa: F401
    from placements.io import postcodes

    postcodes.lookup(["NG1 1AA"])
    loop(stop)
    sys.exit(0)


if __name__ == "__main__":
    main()
