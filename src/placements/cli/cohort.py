"""``placements cohort --ssda903 DIR --as-of DATE [--out FILE] [--la-code CODE]``.

Writes the cohort (one row per child looked after on the date) and, beside it, its problems report
named after it (``--out out/cohort.csv`` gives ``out/cohort.problems.csv``), both at once or neither.
Named after the cohort, the report can only ever replace the report of an earlier run to the same
file: never a ``problems.csv`` of the user's own, nor another cohort's. Registered in
``placements.cli``; the cli is imported inside the function so this module can be imported by cli.py
without a cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from placements.cli.common import console, fail, write
from placements.errors import InputError, Problem

if TYPE_CHECKING:  # the reader loads pandas; the CLI imports this module only to register the command
    pass

SHOW_PROBLEMS = 20


def problems_path(out: Path) -> Path:
    """Where the problems report of the cohort ``out`` goes: beside it, named after it."""
    return out.with_name(out.stem + ".problems.csv")


def cohort_cmd(
    ssda903: Annotated[Path, typer.Option(help="SSDA903 CSV folder (one year, or a folder per collection year)")],
    as_of: Annotated[str, typer.Option(help="the day the cohort is taken on, YYYY-MM-DD")],
    out: Annotated[
        Path, typer.Option(help="cohort CSV to write; its problems go beside it in NAME.problems.csv")
    ] = Path("out/cohort.csv"),
    la_code: Annotated[
        str | None,
        typer.Option(help="responsible authority's ONS code (default: policy, LA column, else most HOME_POST)"),
    ] = None,
    policy: Annotated[
        Path | None, typer.Option(help="policy.toml whose la_code to use (default: one in or beside --ssda903)")
    ] = None,
) -> None:
    """One row per child looked after on --as-of: placement, distance, area, stability, reviews."""
    from rich.table import Table

    from placements.domain import parse_date
    from placements.io.ssda903.cohort import all_issues, cohort_csv, read_cohort_said
    from placements.io.ssda903.read import issues_frame
    from placements.policy import load_policy

    try:
        day = parse_date(as_of)
    except ValueError as exc:
        fail([Problem("--as-of", None, None, str(exc))])
    report = problems_path(out)
    for target in (out, report):
        if target.is_dir():
            fail(
                [
                    Problem(
                        str(target), None, None, "is a folder; --out names the cohort's CSV file, e.g. out/cohort.csv"
                    )
                ]
            )
    if out.parent.exists() and not out.parent.is_dir():
        fail([Problem(str(out.parent), None, None, "is a file, so --out cannot be written inside it")])
    policy_file = policy
    if policy_file is None:
        near = [ssda903 / "policy.toml", ssda903.parent / "policy.toml"] if ssda903.is_dir() else []
        policy_file = next((p for p in [*near, ssda903.parent / "policy.toml"] if p.is_file()), None)
    elif not policy_file.is_file():
        fail([Problem(str(policy_file), None, None, "policy file not found")])
    try:
        policy_la = load_policy(policy_file).la_code if policy_file is not None and la_code is None else None
        with console.status(
            f"Reading {ssda903} and finding who was looked after on {day.isoformat()}...", spinner="dots"
        ):
            data, built, source = read_cohort_said(ssda903, day, la_code, policy_la, str(policy_file))
    except InputError as exc:
        fail(exc.problems)
    inputs = {Path(f).resolve() for files in data.files.values() for f in files}
    for target in (out, report):
        if target.resolve() in inputs:
            fail([Problem(str(target), None, None, "would overwrite an SSDA903 input file; choose another --out")])

    issues = all_issues(data, built)
    frame = built.frame
    written = write(
        out.parent,
        {
            out.name: cohort_csv(frame, data.regional),
            report.name: issues_frame(issues).to_csv(index=False, lineterminator="\n"),
        },
    )

    head = Table(title=f"Looked after on {day.isoformat()}: {len(frame)} children", show_header=False)
    known = frame["distance_miles"].notna()
    area = frame["in_area"].dropna()
    rows = [
        ("children looked after", len(frame)),
        *((f"  {k}", v) for k, v in frame["placement_type"].fillna("unknown").value_counts().sort_index().items()),
        ("placed out of area", f"{int((~area.astype(bool)).sum())} of {len(area)} with a known area"),
        (
            "over 20 miles",
            f"{int((frame.loc[known, 'distance_miles'].astype(float) > 20).sum())} of {int(known.sum())} with a known distance",
        ),
        ("3+ placements in 12 months", int((frame["placements_12m"] >= 3).sum())),
        (
            "3+ social workers in 12 months",
            ""
            if frame["social_workers_12m"].isna().all() and len(frame)
            else int((frame["social_workers_12m"].fillna(0) >= 3).sum()),
        ),
        ("reviews overdue", int(frame["review_overdue"].fillna(False).astype(bool).sum())),
        ("rows repeated across years, merged", data.repeats_merged),
        (f"problems ({report.name})", len(issues)),
    ]
    for k, v in rows:
        head.add_row(k, str(v))
    console.print(head)
    console.print(f"Responsible authority: {source}")
    if issues:
        t = Table(title=f"Problems (first {min(SHOW_PROBLEMS, len(issues))} of {len(issues)})")
        for col in ("table", "file", "row", "column", "problem", "what was done"):
            t.add_column(col)
        for i in issues[:SHOW_PROBLEMS]:
            t.add_row(
                i.table, Path(i.file).name, "" if i.row is None else str(i.row), i.column or "", i.problem, i.action
            )
        console.print(t)
    console.print("Wrote " + ", ".join(str(p) for p in written))
