"""``placements standard export|import``: the placements data standard (docs/standard.md).

    placements standard export [CASE_DIR] --out DIR [--matches MATCHES_CSV]
    placements standard import DIR --places PLACES_CSV --out CASE_DIR

Registered in ``placements.cli`` (``standard_app``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from placements.cli.common import console, fail, read_case, write
from placements.errors import InputError, Problem

standard_app = typer.Typer(
    no_args_is_help=True, help="The placements data standard (SocialCareData, v2): referrals and placements."
)


@standard_app.command("export")
def export_cmd(
    case_dir: Annotated[Path | None, typer.Argument(help="case folder (default: data/demo)")] = None,
    out: Annotated[Path, typer.Option(help="folder for referrals.csv and placements.csv")] = Path("out/standard"),
    matches: Annotated[
        Path | None, typer.Option(help="a match's matches.csv: also write its proposals as proposals.csv")
    ] = None,
) -> None:
    """Write a case folder's children as the standard's referrals, and their homes as its placements."""
    import pandas as pd

    from placements.io import standard

    case_dir, folder, problems = read_case(case_dir, out, None)
    if folder is None:
        fail(problems)
        return
    inst, as_of = folder.instance, folder.policy.as_of_date()
    files = {
        "referrals.csv": standard.referrals_frame(inst, as_of).to_csv(index=False, lineterminator="\n"),
        "placements.csv": standard.placements_frame(inst).to_csv(index=False, lineterminator="\n"),
    }
    if matches is not None:
        try:
            m = pd.read_csv(matches, dtype=str, keep_default_na=False)
            assignment = dict(zip(m["child_id"], m["place_id"], strict=True))
            unknown = [k for k, v in assignment.items() if k not in inst.child_index or v not in inst.place_index]
        except (OSError, KeyError, ValueError, pd.errors.ParserError) as exc:
            fail([Problem(str(matches), None, None, f"not a matches.csv of this case folder: {exc}")])
            return
        if unknown:
            fail([Problem(str(matches), None, "child_id", f"children or homes not in {case_dir}: {unknown[:5]}")])
        files["proposals.csv"] = standard.placements_frame(inst, assignment).to_csv(index=False, lineterminator="\n")
    written = write(out, files)
    console.print(
        f"{len(inst.children)} referrals, {sum(1 for c in inst.children if c.current_place_id)} placements "
        f"({standard.STANDARD}; local columns beside the standard's fields: docs/standard.md)"
    )
    console.print("Wrote " + ", ".join(str(p) for p in written))


@standard_app.command("import")
def import_cmd(
    folder: Annotated[Path, typer.Argument(help="folder with the standard's referrals.csv (and placements.csv)")],
    places: Annotated[Path, typer.Option(help="places.csv of the homes (the standard does not describe homes)")],
    out: Annotated[Path, typer.Option(help="case folder to write: children.csv, places.csv (policy.toml if beside)")],
) -> None:
    """Read the standard's referrals and placements into a case folder, checked as `match` checks one."""
    import shutil
    import tempfile

    from placements.io import standard
    from placements.io.case_folder import read_case_folder
    from placements.io.writers import write_files

    referrals = folder / "referrals.csv"
    placements = folder / "placements.csv"
    if out.resolve() == folder.resolve() or out.resolve() == places.parent.resolve():
        fail([Problem("--out", None, None, "write the case folder somewhere other than the inputs")])
    try:
        rows = standard.children_rows(referrals, placements if placements.exists() else None)
    except InputError as exc:
        fail(exc.problems)
        return
    if not places.is_file():
        fail([Problem(str(places), None, None, "file not found")])
    files = {"children.csv": standard.children_csv(rows), "places.csv": places.read_text(encoding="utf-8-sig")}
    policy = places.parent / "policy.toml"
    if policy.is_file():
        files["policy.toml"] = policy.read_text(encoding="utf-8")
    staging = Path(tempfile.mkdtemp(prefix=".standard."))
    try:
        write_files(staging, files)
        try:
            case = read_case_folder(staging)
        except InputError as exc:
            # Say which input a problem comes from: the referrals for children, the places file for homes.
            where = {"children.csv": str(referrals), "places.csv": str(places), "policy.toml": str(policy)}
            fail([Problem(where.get(Path(p.file).name, p.file), p.row, p.column, p.message) for p in exc.problems])
            return
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    written = write(out, files)
    console.print(f"{len(case.instance.children)} children, {len(case.instance.places)} homes")
    console.print("Wrote " + ", ".join(str(p) for p in written))
