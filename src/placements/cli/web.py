"""``placements web ...``: maintenance commands of the web application (needs the ``web`` extra)."""

from __future__ import annotations

from typing import Annotated

import typer

from placements.cli.common import console, err
from placements.cli.serve import web_missing

web_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="The web application's maintenance commands.")


@web_app.command("verify-audit")
def verify_audit_cmd(
    db: Annotated[str | None, typer.Option(help="database URL (default: $DATABASE_URL, else ./var/web)")] = None,
) -> None:
    """Recompute the audit trail's hash chain; exit 1 naming the first altered row."""
    try:
        from placements.web import setup
    except ImportError:
        web_missing()
        return
    setup(db)
    from placements.web.audit import verify

    result = verify()
    if result.ok:
        console.print(result.message)
        return
    err.print(f"The audit trail has been altered: {result.message}", markup=False, highlight=False)
    raise typer.Exit(code=1)
