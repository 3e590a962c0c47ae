"""``placements cohort --ssda903 DIR --as-of DATE [--out FILE] [--la-code CODE]``.

Writes the cohort (one row per child looked after on the date) and ``problems.csv`` beside it, both
at once or neither. Registered in ``placements.cli``; the cli is imported inside the function so
this module can be imported by cli.py without a cycle.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from placements.errors import InputError, Problem

if TYPE_CHECKING:  # the reader loads pandas; the CLI imports this module only to register the command
    from placements.io.ssda903.cohort import Cohort
    from placements.io.ssda903.read import SSDA903, Issue

PROBLEMS_FILE = "problems.csv"
SHOW_PROBLEMS = 20


def responsible_la(
    data: SSDA903, la_code: str | None, policy_la: str | None = None, policy_file: str = "policy.toml"
) -> tuple[str | None, list[Problem], str]:
    """The authority code for in/out of area, and a sentence saying where it came from.

    In order: ``--la-code``; the policy's ``la_code``; the data's ``LA`` column (LIIA extracts) when it
    holds ONS codes (each row its own: the code returned is None) or the names of one authority
    (``placements.io.ofsted_authorities``); else the authority most children's home postcodes
    (``HOME_POST``) lie in. Problems only when none of these gives one.
    """
    import pandas as pd

    from placements.areas import upper_tier
    from placements.io import postcodes
    from placements.io.ofsted_authorities import code_of
    from placements.io.ssda903.cohort import is_ons_la

    for given, where, option in ((la_code, "--la-code", "--la-code"), (policy_la, policy_file, "la_code")):
        if given is not None:
            if not is_ons_la(given):
                return (
                    None,
                    [Problem(where, None, option, f"{given!r} is not an ONS authority code such as E06000018")],
                    "",
                )
            return given, [], f"{given} (from {where})"
    episodes = data.tables["Episodes"]
    las = set(episodes["LA"].dropna())
    if las and all(is_ons_la(la) for la in las) and episodes["LA"].notna().all():
        return None, [], f"each row's LA column ({', '.join(sorted(las)[:5])}{', ...' if len(las) > 5 else ''})"
    named = {la: code_of(str(la)) for la in las}
    codes = set(named.values())
    if las and episodes["LA"].notna().all() and None not in codes and len(codes) == 1:
        (code,) = codes
        return code, [], f"{code} (from the LA column: {', '.join(sorted(map(str, las)))})"
    homes = [postcodes.normalise(str(p)) for p in episodes["HOME_POST"].dropna()]
    found = postcodes.lookup([p for p in homes if p])
    home_las = pd.Series([upper_tier(found[p].la_code) for p in homes if p in found and found[p].la_code])
    if len(home_las):
        counts = home_las.value_counts()
        code, n = str(counts.index[0]), int(counts.iloc[0])
        if is_ons_la(code):
            return (
                code,
                [],
                (
                    f"{code} (the most common authority of the children's home postcodes, HOME_POST: "
                    f"{n:,} of {len(home_las):,} episodes with a known one)"
                ),
            )
    if las:
        shown = ", ".join(sorted(map(str, las))[:5])
        why = f"the LA column holds {shown}, which are not ONS codes or the names of one authority"
    else:
        why = "there is no la_code in a policy.toml, no LA column, and no HOME_POST the ONS directory holds"
    return (
        None,
        [
            Problem(
                "--la-code", None, None, f"give --la-code (the responsible authority's ONS code, e.g. E06000018): {why}"
            )
        ],
        "",
    )


def read_cohort(
    ssda903: Path, day: dt.date, la_code: str | None, policy_la: str | None = None, policy_file: str = "policy.toml"
) -> tuple[SSDA903, Cohort]:
    """Read and build the cohort; ``InputError`` when the data or the authority code cannot be used."""
    data, built, _ = read_cohort_said(ssda903, day, la_code, policy_la, policy_file)
    return data, built


def read_cohort_said(
    ssda903: Path, day: dt.date, la_code: str | None, policy_la: str | None = None, policy_file: str = "policy.toml"
) -> tuple[SSDA903, Cohort, str]:
    """``read_cohort``, and where the responsible authority came from (a sentence)."""
    from placements.io.ssda903.cohort import cohort
    from placements.io.ssda903.read import read_ssda903

    data = read_ssda903(ssda903)
    code, problems, source = responsible_la(data, la_code, policy_la, policy_file)
    if problems:
        raise InputError(problems)
    return data, cohort(data, day, code), source


def all_issues(data: SSDA903, built: Cohort) -> list[Issue]:
    return list(data.issues) + list(built.issues)


def cohort_cmd(
    ssda903: Annotated[Path, typer.Option(help="SSDA903 CSV folder (one year, or a folder per collection year)")],
    as_of: Annotated[str, typer.Option(help="the day the cohort is taken on, YYYY-MM-DD")],
    out: Annotated[Path, typer.Option(help="cohort CSV to write; problems.csv is written beside it")] = Path(
        "out/cohort.csv"
    ),
    la_code: Annotated[
        Optional[str],
        typer.Option(help="responsible authority's ONS code (default: policy, LA column, else most HOME_POST)"),
    ] = None,
    policy: Annotated[
        Optional[Path], typer.Option(help="policy.toml whose la_code to use (default: one in or beside --ssda903)")
    ] = None,
) -> None:
    """One row per child looked after on --as-of: placement, distance, area, stability, reviews."""
    from rich.table import Table

    from placements.cli import _fail, console
    from placements.domain import parse_date
    from placements.io.ssda903.cohort import cohort_csv
    from placements.io.ssda903.read import issues_frame
    from placements.io.writers import write_files

    try:
        day = parse_date(as_of)
    except ValueError as exc:
        _fail([Problem("--as-of", None, None, str(exc))])
        return
    if out.name == PROBLEMS_FILE:
        _fail(
            [Problem("--out", None, None, f"{PROBLEMS_FILE} is written beside the cohort; name the cohort otherwise")]
        )
    from placements.policy import load_policy

    policy_file = policy
    if policy_file is None:
        near = [ssda903 / "policy.toml", ssda903.parent / "policy.toml"] if ssda903.is_dir() else []
        policy_file = next((p for p in near + [ssda903.parent / "policy.toml"] if p.is_file()), None)
    elif not policy_file.is_file():
        _fail([Problem(str(policy_file), None, None, "policy file not found")])
    try:
        policy_la = load_policy(policy_file).la_code if policy_file is not None and la_code is None else None
        with console.status(
            f"Reading {ssda903} and finding who was looked after on {day.isoformat()}...", spinner="dots"
        ):
            data, built, source = read_cohort_said(ssda903, day, la_code, policy_la, str(policy_file))
    except InputError as exc:
        _fail(exc.problems)
        return
    inputs = {Path(f).resolve() for files in data.files.values() for f in files}
    for target in (out, out.parent / PROBLEMS_FILE):
        if target.resolve() in inputs:
            _fail([Problem(str(target), None, None, "would overwrite an SSDA903 input file; choose another --out")])

    issues = all_issues(data, built)
    frame = built.frame
    written = write_files(
        out.parent,
        {
            out.name: cohort_csv(frame, data.regional),
            PROBLEMS_FILE: issues_frame(issues).to_csv(index=False, lineterminator="\n"),
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
        ("problems (problems.csv)", len(issues)),
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
