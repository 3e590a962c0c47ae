"""What every command shares: the consoles, failing with problems, reading a case folder, writing outputs.

A leaf of the command package: it imports the library, never another command. Library code
raises :class:`placements.errors.InputError` (bad input) or
:class:`placements.privacy.guard.DisclosureError` (an output that would disclose a child's
details); only here are they turned into messages and exit codes:

- 2: the input cannot be used (every problem listed, with file, line and column);
- 3: an output would disclose a child's details (nothing written);
- 1: a check the command runs failed (a calibration, a regression gate).

Heavy modules (pandas, OR-Tools, the postcode directory) are imported inside the command bodies,
so ``placements --help`` starts in a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from placements.errors import InputError, Problem
from placements.privacy.pseudonyms import KEY_ENV

if TYPE_CHECKING:
    from placements.io.case_folder import CaseFolder
    from placements.privacy.guard import Privacy
    from placements.privacy.pseudonyms import Pseudonymiser
    from placements.reports.conflicts.config import ConflictsSettings

console = Console()
err = Console(stderr=True)

MAX_SHOWN_PROBLEMS = 50

#: The demo authority as the repository has it (``make demo`` runs there); else the copy in the package.
DEMO_DIR = Path("data/demo")

PseudonymiseOption = Annotated[
    bool,
    typer.Option(
        "--pseudonymise",
        help="replace child and sibling-group ids with keyed pseudonyms and keep dates to the month "
        f"(key: --key-file or ${KEY_ENV})",
    ),
]
KeyFileOption = Annotated[
    Path | None, typer.Option("--key-file", help="file holding the authority's pseudonym key (never written out)")
]


def demo_dir() -> Path:
    """``./data/demo`` when run from the repository, else the demo authority shipped inside the package."""
    from placements.resources import demo_folder

    return DEMO_DIR if DEMO_DIR.is_dir() else demo_folder()


def fail(problems: list[Problem]) -> NoReturn:
    """Print every problem (file, line, column, message) and exit 2; nothing has been written."""
    err.print(f"[bold red]The input cannot be used ({len(problems)} problem(s)); nothing was written.[/]")
    for p in problems[:MAX_SHOWN_PROBLEMS]:
        err.print(f"  {p}", markup=False, highlight=False, soft_wrap=True)
    if len(problems) > MAX_SHOWN_PROBLEMS:
        err.print(f"  ... and {len(problems) - MAX_SHOWN_PROBLEMS} more")
    raise typer.Exit(code=2)


def out_problems(
    out: Path, inputs: tuple[Path, ...] = (), option: str = "--out", what: str = "the case folder"
) -> list[Problem]:
    """An output folder that would overwrite what the user gave, or cannot be a folder at all.

    Checked before any work, so a long solve never ends in an error about where to write.
    """
    problems = []
    if out.exists() and not out.is_dir():
        problems.append(Problem(str(out), None, None, f"{option} names an existing file; give a folder"))
    for given in inputs:
        if out.resolve() == Path(given).resolve():
            problems.append(
                Problem(
                    str(out), None, None, f"{option} is {what} itself; choose another folder so no input is touched"
                )
            )
    return problems


def read_case(
    case_dir: Path | None, out: Path, as_of: str | None, overrides: Mapping[str, object] | None = None
) -> tuple[Path, CaseFolder | None, list[Problem]]:
    """What every command does first: default folder, ``--out`` check, ``--as-of``, read and check the folder.

    Returns the folder's path, the case (None when unusable) and the problems, so a command can add
    its own checks before failing once with everything it found.
    """
    from placements.domain import parse_date
    from placements.io.case_folder import read_case_folder

    case_dir = case_dir or demo_dir()
    problems = out_problems(out, (case_dir,))
    overrides = dict(overrides or {})
    if as_of is not None:
        try:
            overrides["as_of"] = parse_date(as_of)
        except ValueError as exc:
            problems.append(Problem("--as-of", None, None, str(exc)))
    if problems:
        return case_dir, None, problems
    try:
        folder = read_case_folder(case_dir, overrides)
    except InputError as exc:
        return case_dir, None, exc.problems
    from placements.validate import held_problems  # decisions.csv: holds that no longer pass a hard rule

    held = held_problems(folder)
    return (case_dir, None, held) if held else (case_dir, folder, [])


def open_case(
    case_dir: Path | None,
    out: Path,
    as_of: str | None,
    pseudonymise: bool,
    key_file: Path | None,
    overrides: Mapping[str, object] | None = None,
) -> tuple[Path, CaseFolder | None, Pseudonymiser | None, list[Problem]]:
    """``read_case`` for a command whose outputs may be pseudonymised: the key's problems come first."""
    pseudonymiser, problems = pseudonymiser_or_problems(pseudonymise, key_file)
    case_dir, folder, read_problems = read_case(case_dir, out, as_of, overrides)
    return case_dir, folder, pseudonymiser, problems + read_problems


def conflicts_settings(case_dir: Path, problems: list[Problem]) -> ConflictsSettings | None:
    """The case folder's ``conflicts.toml`` (or the defaults); its problems are added to ``problems``."""
    from placements.reports.conflicts.config import load_conflicts_config

    if not Path(case_dir).is_dir():
        return None
    try:
        return load_conflicts_config(case_dir)
    except InputError as exc:
        problems.extend(exc.problems)
        return None


def warn(folder: CaseFolder) -> None:
    for w in folder.warnings:
        err.print(f"warning: {w}", markup=False, highlight=False, soft_wrap=True)


def pseudonymiser_or_problems(pseudonymise: bool, key_file: Path | None) -> tuple[Pseudonymiser | None, list[Problem]]:
    """The pseudonymiser the options ask for (or None), and the problems that stop it."""
    from placements.privacy.pseudonyms import pseudonymiser_for

    try:
        return pseudonymiser_for(pseudonymise, key_file), []
    except InputError as exc:
        return None, exc.problems


def write_guarded(out: Path, files: Mapping[str, str | bytes], privacy: Privacy) -> list[Path]:
    """Check every file, then write them all atomically; a disclosure exits 3 with nothing written."""
    from placements.privacy.guard import DisclosureError

    try:
        privacy.check(files)
    except DisclosureError as exc:
        err.print("[bold red]Refusing to write output that would disclose a child's details; nothing was written.[/]")
        for finding in exc.findings:
            err.print(f"  {finding}", markup=False, highlight=False)
        raise typer.Exit(code=3) from None
    return write(out, files)


def write(out: Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write ``files`` into ``out`` all at once; a folder that cannot be written is a problem, not a traceback."""
    from placements.io.writers import write_files

    try:
        return write_files(out, files)
    except InputError as exc:
        fail(exc.problems)
    except OSError as exc:  # a file where the folder should be, no permission, a full disk: said, not a traceback
        where = exc.filename or out
        fail([Problem(str(where), None, None, f"cannot write the output here ({exc.strerror or exc})")])


def print_written(paths: list[Path]) -> None:
    console.print("Wrote " + ", ".join(str(p) for p in paths))
