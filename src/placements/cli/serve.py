"""``placements serve``: the placement team's web application (needs the ``web`` extra)."""

from __future__ import annotations

from typing import Annotated

import typer

from placements.cli.common import err


def web_missing() -> None:
    err.print("The web application needs the 'web' extra: pip install 'placements[web]' (make serve does this).")
    raise typer.Exit(code=2)


def serve_cmd(
    db: Annotated[
        str | None, typer.Option(help="database URL (default: $DATABASE_URL, else SQLite in ./var/web)")
    ] = None,
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8000,
) -> None:
    """Run the web application: migrate, load the demo authority once, create a demo user per role, serve."""
    try:
        from placements.web.serve import serve
    except ImportError:
        web_missing()
        return
    serve(db=db, port=port)
