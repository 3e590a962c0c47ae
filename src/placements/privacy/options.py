"""The two command-line options every reporting command shares, and turning them into a ``Privacy``.

Used by match, conflicts, gaps, recruit and report: declare ``pseudonymise: PseudonymiseOption = False``
and ``key_file: KeyFileOption = None``, call ``pseudonymiser_from_options`` before any work (so a
missing key fails fast, before a long solve), then ``Privacy(instance, pseudonymiser)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from placements.errors import InputError, Problem
from placements.privacy.pseudonyms import KEY_ENV, Pseudonymiser, load_key

if TYPE_CHECKING:  # the guard imports pandas: load it only when a command writes
    from placements.privacy.guard import Privacy

PseudonymiseOption = Annotated[
    bool,
    typer.Option(
        "--pseudonymise",
        help=f"replace child and sibling-group ids with keyed pseudonyms and keep dates to the month (key: --key-file or ${KEY_ENV})",
    ),
]
KeyFileOption = Annotated[
    Optional[Path], typer.Option("--key-file", help="file holding the authority's pseudonym key (never written out)")
]


def pseudonymiser_from_options(pseudonymise: bool, key_file: Path | None) -> tuple[Pseudonymiser | None, list[Problem]]:
    """The pseudonymiser the options ask for, or the problems that stop it (a missing or short key)."""
    if not pseudonymise:
        if key_file is not None:
            return None, [
                Problem("--key-file", None, None, "given without --pseudonymise; add --pseudonymise or drop it")
            ]
        return None, []
    try:
        return Pseudonymiser(load_key(key_file)), []
    except InputError as exc:
        return None, exc.problems


def write_guarded(out: Path, files: dict[str, str | bytes], privacy: Privacy) -> list[Path]:
    """Check every file, then write them all atomically; a disclosure stops the command (exit 3), nothing written."""
    from rich.console import Console

    from placements.io.writers import write_files
    from placements.privacy.guard import DisclosureError

    try:
        privacy.check(files)
    except DisclosureError as exc:
        err = Console(stderr=True)
        err.print("[bold red]Refusing to write output that would disclose a child's details; nothing was written.[/]")
        for finding in exc.findings:
            err.print(f"  {finding}", markup=False, highlight=False)
        raise typer.Exit(code=3) from None
    return write_files(out, files)
