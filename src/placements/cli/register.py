"""``placements register ofsted FILE``: Ofsted's children's homes as ``places.csv`` rows.

    placements register ofsted FILE [--la CODE ...] [--region NAME] [--within-miles N --of CODE]
                                    [--vacancies FILE | --assume-vacant] [--out places.csv] [--show N]

Writes ``places.csv`` and ``problems.csv`` beside it, both at once or neither, and prints the homes
listed, counted by judgement and by local authority beside the same counts for the whole file.
Registered in ``placements.cli`` (``register_app``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from placements.cli.common import console, fail, write
from placements.errors import InputError, Problem

register_app = typer.Typer(
    no_args_is_help=True, help="Registers of homes published by others, as places.csv rows (docs/ofsted.md)."
)

PROBLEMS_FILE = "problems.csv"


@register_app.command("ofsted")
def ofsted_cmd(
    file: Annotated[Path, typer.Argument(help="Ofsted's provider-level table (CSV, as published)")],
    out: Annotated[Path, typer.Option(help="places.csv to write; problems.csv is written beside it")] = Path(
        "out/places.csv"
    ),
    la: Annotated[
        list[str] | None, typer.Option("--la", help="keep homes in this authority (ONS code; repeat for more)")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="keep homes in this region, as Ofsted names it (e.g. 'East Midlands')")
    ] = None,
    within_miles: Annotated[
        float | None, typer.Option(help="keep homes within this many miles of the centre of --of")
    ] = None,
    of: Annotated[
        str | None,
        typer.Option(help="the authority asking (ONS code): distances from its centre; its own homes are in_house"),
    ] = None,
    vacancies: Annotated[
        Path | None, typer.Option(help="CSV of URN, vacancies (and optionally ages, cost, needs) to fill in")
    ] = None,
    assume_vacant: Annotated[
        bool,
        typer.Option("--assume-vacant", help="count every place of an active full-time home as vacant (upper bound)"),
    ] = False,
    show: Annotated[int, typer.Option(help="homes to print, nearest first")] = 30,
) -> None:
    """Read Ofsted's register of children's homes and write them as places.csv rows, with judgements."""
    from rich.table import Table

    from placements.geo import is_ons_la
    from placements.io import ofsted

    problems: list[Problem] = []
    codes = list(la or [])
    for code in codes + ([of] if of else []):
        if not is_ons_la(code):
            problems.append(Problem("--la" if code != of else "--of", None, None, f"{code!r} is not an ONS code"))
    if (within_miles is None) != (of is None) and within_miles is not None:
        problems.append(Problem("--within-miles", None, None, "give --of CODE: the authority to measure from"))
    if within_miles is not None and not within_miles > 0:
        problems.append(Problem("--within-miles", None, None, f"must be above 0, not {within_miles:g}"))
    if vacancies is not None and assume_vacant:
        problems.append(Problem("--assume-vacant", None, None, "give either --vacancies FILE or --assume-vacant"))
    if out.name == PROBLEMS_FILE:
        problems.append(Problem("--out", None, None, f"{PROBLEMS_FILE} is written beside it; name the file otherwise"))
    for given in (file, vacancies):
        if (
            given is not None
            and given.exists()
            and out.resolve() in (given.resolve(), (out.parent / PROBLEMS_FILE).resolve())
        ):
            problems.append(Problem(str(out), None, None, "would overwrite an input file; choose another --out"))
    if problems:
        fail(problems)
    try:
        with console.status(f"Reading {file}...", spinner="dots"):
            register = ofsted.read_register(file)
            homes = ofsted.locate(register)
            if of is not None and len(ofsted.authority_postcodes(of)) == 0:
                raise InputError([Problem("--of", None, None, f"{of} has no postcode in the ONS directory")])
            centre = ofsted.centre(of) if of is not None else None
    except InputError as exc:
        fail(exc.problems)
        return
    all_homes = homes
    keep = homes.index == homes.index
    if codes:
        keep &= homes["la_code"].isin(codes) | homes["place_la"].isin(codes)
    if region:
        keep &= homes["region"].str.casefold() == region.casefold()
        if not keep.any():
            known = ", ".join(sorted(set(all_homes["region"]) - {""}))
            fail([Problem("--region", None, None, f"no home in region {region!r}; regions in the file: {known}")])
    if centre is not None:
        from placements.geo import miles

        homes = homes.assign(miles=miles(homes["easting"].to_numpy(), homes["northing"].to_numpy(), *centre))
        if within_miles is not None:
            keep &= homes["miles"] <= within_miles
    listed = homes[keep].copy()
    if centre is not None:
        listed = listed.sort_values(["miles", "urn"], kind="stable")
    issues = list(register.problems)
    vacancy_rows: dict[str, dict[str, str]] = {}
    if vacancies is not None:
        try:
            vacancy_rows, vac_problems = ofsted.read_vacancies(vacancies, set(listed["urn"].astype(str)))
        except InputError as exc:
            fail(exc.problems)
            return
        issues += vac_problems
    frame = ofsted.places_frame(listed, vacancy_rows, own_la=of, assume_vacant=assume_vacant)
    if centre is not None:
        frame["miles_from_" + str(of)] = listed["miles"].round(1).to_numpy()
    problems_csv = _problems_csv(issues)
    written = write(
        out.parent,
        {out.name: frame.to_csv(index=False, lineterminator="\n"), PROBLEMS_FILE: problems_csv},
    )

    # What was read, against the file.
    head = Table(title=f"Children's homes in {file.name}", show_header=True)
    for c in ("provision type", "homes", "places", "listed", "places listed"):
        head.add_column(c, justify="right" if c != "provision type" else "left")
    for kind, group in all_homes.groupby("provision", sort=False):
        sub = listed[listed["provision"] == kind]
        head.add_row(kind, f"{len(group):,}", f"{group['places'].sum():,}", f"{len(sub):,}", f"{sub['places'].sum():,}")
    head.add_row("all", f"{len(all_homes):,}", f"{all_homes['places'].sum():,}", f"{len(listed):,}",
                 f"{listed['places'].sum():,}")  # fmt: skip
    console.print(head)
    others = sum(register.other_types.values())
    console.print(
        f"Other providers not read (not children's homes): {others:,}; problems: {len(issues)} ({PROBLEMS_FILE}). "
        f"Locations: {int(all_homes['approximate'].sum()):,} of {len(all_homes):,} approximate (address redacted)."
    )
    where = _describe(codes, region, within_miles, of)
    console.print(f"Listed: {where}")
    _judgements(console, listed, all_homes)
    _authorities(console, listed, all_homes, within_miles, centre)
    if show and len(listed):
        t = Table(title=f"Homes listed (first {min(show, len(listed))} of {len(listed)})")
        for c in ("URN", "type", "authority", "judgement", "date", "places", "sector", "owner") + (
            ("miles",) if centre is not None else ()
        ):
            t.add_column(c)
        for h in listed.head(show).itertuples():
            cells = [
                str(h.urn),
                h.provision,
                h.la_name,
                ofsted.rating_label(h.rating),
                "" if h.rating_date is None else h.rating_date.isoformat(),
                str(h.places),
                h.sector,
                h.owner[:40],
            ]
            if centre is not None:
                cells.append(("~" if h.approximate else "") + f"{h.miles:.1f}")
            t.add_row(*cells)
        console.print(t)
        if centre is not None:
            console.print("~ marks a distance from an approximate location (address redacted; docs/ofsted.md).")
    console.print("Wrote " + ", ".join(str(p) for p in written))


def _problems_csv(problems: list[Problem]) -> str:
    import pandas as pd

    rows = [[p.file, "" if p.row is None else p.row, p.column or "", p.message] for p in problems]
    return str(
        pd.DataFrame(rows, columns=["file", "row", "column", "problem"]).to_csv(index=False, lineterminator="\n")
    )


def _describe(codes: list[str], region: str | None, within: float | None, of: str | None) -> str:
    from placements.io.ofsted import la_name

    parts = []
    if codes:
        parts.append("in " + ", ".join(f"{la_name(c)} ({c})" for c in codes))
    if region:
        parts.append(f"in region {region}")
    if within is not None and of is not None:
        parts.append(f"within {within:g} miles of the centre of {la_name(of)} ({of}), by each home's location")
    return "; ".join(parts) or "every children's home in the file"


def _judgements(console, listed, all_homes) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from placements.io.ofsted import RATING_ORDER, rating_label

    t = Table(title="By latest overall judgement")
    for c in ("judgement", "listed", "places listed", "in the file", "listed share", "file share"):
        t.add_column(c, justify="left" if c == "judgement" else "right")
    lab_l = listed["rating"].map(rating_label)
    lab_a = all_homes["rating"].map(rating_label)
    for label in RATING_ORDER:
        n_l, n_a = int((lab_l == label).sum()), int((lab_a == label).sum())
        if n_a == 0:
            continue
        share_l = f"{100 * n_l / len(listed):.1f}%" if len(listed) else ""
        t.add_row(label, f"{n_l:,}", f"{int(listed.loc[lab_l == label, 'places'].sum()):,}", f"{n_a:,}", share_l,
                  f"{100 * n_a / len(all_homes):.1f}%")  # fmt: skip
    console.print(t)


def _authorities(console, listed, all_homes, within, centre) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from placements.io.ofsted import RATING_ORDER, rating_label, share_within

    t = Table(title="By local authority (Ofsted's)")
    cols = ["authority", "code", "listed", "in the file", "places listed", *RATING_ORDER]
    if within is not None:
        cols.append(f"postcodes within {within:g} mi")
    for c in cols:
        t.add_column(c, justify="left" if c == "authority" else "right")
    for (name, code), group in listed.groupby(["la_name", "la_code"], sort=True):
        labels = group["rating"].map(rating_label)
        row = [name, code, str(len(group)), str(int((all_homes["la_code"] == code).sum())),
               str(int(group["places"].sum())), *(str(int((labels == r).sum())) for r in RATING_ORDER)]  # fmt: skip
        if within is not None:
            row.append(f"{100 * share_within(code, centre, within):.0f}%")
        t.add_row(*row)
    console.print(t)
