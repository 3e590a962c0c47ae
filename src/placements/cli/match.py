"""``placements match``: today's referrals (or the whole cohort) against the register of homes."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from placements.cli.common import (
    KeyFileOption,
    PseudonymiseOption,
    console,
    fail,
    out_problems,
    print_written,
    pseudonymiser_or_problems,
    read_case,
    warn,
    write_guarded,
)
from placements.codes import Status
from placements.errors import InputError, Problem

if TYPE_CHECKING:
    from placements.io.case_folder import CaseFolder
    from placements.result import MatchResult, Summary


def match_cmd(
    case_dir: Annotated[Path | None, typer.Argument(help="case folder (default: data/demo)")] = None,
    out: Annotated[Path, typer.Option(help="folder for matches.csv, shortlist.csv, unplaced.csv, summary.json")] = Path(
        "out"
    ),
    as_of: Annotated[
        str | None, typer.Option(help="date ages are taken on, YYYY-MM-DD (default: policy, else today)")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="solver seed (default: policy, else 0)")] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="seconds for the whole solve (default: policy, else 60)")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="solver threads (default: policy, else 2)")] = None,
    backend: Annotated[str | None, typer.Option(help="scip, highs or cpsat (default: policy, else scip)")] = None,
    whole_cohort: Annotated[
        bool, typer.Option("--whole-cohort", help="match every child as if all needed a home")
    ] = False,
    show: Annotated[int, typer.Option(help="rows of each table to print")] = 25,
    verbose: Annotated[bool, typer.Option("--verbose", help="log each solver stage (counts and seconds only)")] = False,
    engine: Annotated[
        str | None,
        typer.Option(
            help="match in geographic pieces (regional or national scale): local (processes on this machine) or "
            "ray (a Ray cluster, with --address); default: one model"
        ),
    ] = None,
    address: Annotated[
        str | None, typer.Option(help="with --engine ray: the cluster's address, HEAD:6379 (default: a local Ray)")
    ] = None,
    piece_children: Annotated[int, typer.Option(help="with --engine: at most this many children per piece")] = 6000,
    pseudonymise: PseudonymiseOption = False,
    key_file: KeyFileOption = None,
    ssda903: Annotated[
        Path | None, typer.Option(help="read the children from this SSDA903 folder instead of a case folder")
    ] = None,
    supplement: Annotated[
        Path | None,
        typer.Option(help="with --ssda903: CSV keyed by CHILD (needs, siblings, plans, status; docs/ssda903.md)"),
    ] = None,
    places: Annotated[
        Path | None, typer.Option(help="with --ssda903: places.csv of the homes (a policy.toml beside it is read)")
    ] = None,
    la_code: Annotated[
        str | None,
        typer.Option(help="with --ssda903: responsible authority's ONS code (default: policy, else the LA column)"),
    ] = None,
) -> None:
    """Match children needing a home against today's vacancies, and write the four result files."""
    if verbose:
        logging.basicConfig(format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
        logging.getLogger("placements").setLevel(logging.DEBUG)
    from placements.match import match
    from placements.privacy.guard import Privacy
    from placements.privacy.results import protect_result

    pseudonymiser, key_problems = pseudonymiser_or_problems(pseudonymise, key_file)
    if engine is not None and engine not in ("local", "ray"):
        key_problems.append(Problem("--engine", None, None, f"unknown engine {engine!r}; allowed: local, ray"))
    if address is not None and engine != "ray":
        key_problems.append(Problem("--address", None, None, "--address is for --engine ray"))
    if piece_children < 1:
        key_problems.append(Problem("--piece-children", None, None, "must be at least 1"))
    overrides = {"seed": seed, "time_limit_seconds": time_limit, "workers": workers, "backend": backend}
    if any(v is not None for v in (ssda903, supplement, places, la_code)):
        folder, problems = _read_from_ssda903(
            ssda903, supplement, places, out, as_of, la_code, overrides, case_dir, whole_cohort
        )
    else:
        _, folder, problems = read_case(case_dir, out, as_of, overrides)
    if folder is None or key_problems:
        fail(key_problems + problems)
    warn(folder)
    with console.status("Matching...", spinner="dots"):
        if engine is None:
            result = match(folder.instance, folder.policy, whole_cohort=whole_cohort)
        else:
            from placements.decompose import match_in_pieces

            try:
                result = match_in_pieces(
                    folder.instance,
                    folder.policy,
                    whole_cohort,
                    piece_children,
                    "ray" if engine == "ray" else "local",
                    address=address,
                )
            except (RuntimeError, ConnectionError) as exc:  # no Ray installed, or no cluster at the address
                fail([Problem("--engine", None, None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)])
    privacy = Privacy(folder.instance, pseudonymiser)
    result = protect_result(result, privacy)
    written = write_guarded(out, result.files(), privacy)
    print_result(result, show)
    if whole_cohort:
        outside = sum(1 for c in folder.instance.children if c.status is Status.PLACED and c.current_place_id is None)
        if outside:
            console.print(
                f"{outside} children live outside the register (placed, no current_place_id): this whole-cohort "
                "match houses them on the register as if they needed a home. `placements gaps` and the report keep "
                "them where they are, so their 'best match' figures differ from these."
            )
    console.print(proof_sentence(result.summary, folder.policy.time_limit_seconds))
    print_written(written)


def _read_from_ssda903(
    ssda903: Path | None,
    supplement: Path | None,
    places: Path | None,
    out: Path,
    as_of: str | None,
    la_code: str | None,
    overrides: dict[str, Any],
    case_dir: Path | None,
    whole_cohort: bool,
) -> tuple[CaseFolder | None, list[Problem]]:
    """``--ssda903``'s options checked together, then the return read into a case (or the problems)."""
    from placements.domain import parse_date
    from placements.io.ssda903.case import read_ssda903_case

    if ssda903 is None:
        return None, [Problem("--ssda903", None, None, "--supplement, --places and --la-code go with --ssda903")]
    problems: list[Problem] = []
    if case_dir is not None:
        problems.append(Problem(str(case_dir), None, None, "give a case folder or --ssda903, not both"))
    if places is None:
        problems.append(Problem("--places", None, None, "--ssda903 needs --places (a places.csv of the homes)"))
    if supplement is None and not whole_cohort:
        problems.append(
            Problem(
                "--supplement",
                None,
                None,
                "SSDA903 does not say which children need a home today, so without --supplement every child counts "
                "as placed and there is nobody to match: give --supplement (a CSV keyed by CHILD with a status "
                "column, docs/ssda903.md), or add --whole-cohort to match every child",
            )
        )
    day = None
    if as_of is not None:
        try:
            day = parse_date(as_of)
        except ValueError as exc:
            problems.append(Problem("--as-of", None, None, str(exc)))
    inputs = (ssda903, *(p for p in (supplement, places) if p is not None))
    problems += out_problems(
        out, tuple(p if p.is_dir() else p.parent for p in inputs), what="a folder holding an input"
    )
    if problems or places is None:
        return None, problems
    try:
        folder, _ = read_ssda903_case(ssda903, places, supplement, day, la_code, overrides)
    except InputError as exc:
        return None, exc.problems
    return folder, []


def proof_sentence(summary: Summary, time_limit: float) -> str:
    """What the answer's status means for the officer, in one sentence (printed under the table)."""
    if summary.status == "OPTIMAL":
        return (
            "Proven optimal: no lawful proposal places more children (emergencies first), needs fewer extra homes "
            "for split sibling groups, or scores better."
        )
    limit = f"--time-limit {time_limit:g}"
    if summary.tiers_1_3_optimal:
        return (
            f"Children placed and extra homes for split sibling groups are proven optimal; the score stopped at {limit} "
            f"within {100 * (summary.gap or 0.0):.3f}% of its bound. A longer --time-limit may prove it."
        )
    return (
        f"Not proven within {limit}: a better proposal may place more children or need fewer extra homes for split "
        "sibling groups. Run again with a longer --time-limit."
    )


#: Summary fields printed above the tables, in order.
PRINTED = (
    "status",
    "needing_placement",
    "placed",
    "unplaced",
    "emergency_placed",
    "sibling_groups",
    "sibling_groups_split",
    "under12_in_residential",
    "out_of_area",
    "over_20_miles",
    "total_weekly_cost",
    "objective",
    "bound",
    "gap",
    "seconds",
)


def print_result(result: MatchResult, show: int) -> None:
    s = result.summary
    title = "Whole-cohort match" if s.whole_cohort else "Daily match"
    head = Table(title=f"{title} as of {s.as_of}", show_header=False)
    for key in PRINTED:
        value = getattr(s, key)
        label = key.replace("_", " ")
        if key == "total_weekly_cost":
            label, value = "total weekly cost (GBP)", f"{value:,.0f}"
        head.add_row(label, str(value))
    console.print(head)
    if s.settled_children:
        from placements.stability import move_counts, moves_sentence

        console.print(
            moves_sentence(move_counts(result.moves), s.settled_children)
            + " Each move and why: matches.csv (moved_from, move_reason)."
        )
    m = result.matches
    if len(m):
        t = Table(title=f"Proposed homes (first {min(show, len(m))} of {len(m)})")
        for col in ("child", "home", "setting", "provider", "miles", "GBP/week", "siblings", "penalty"):
            t.add_column(col)
        for row in m.head(show).itertuples():
            sib = f"{row.sibling_group}{' (split)' if row.split else ''}"
            t.add_row(
                row.child_id,
                row.place_id,
                row.setting,
                row.provider,
                "" if row.distance_miles != row.distance_miles else f"{row.distance_miles:.1f}",
                f"{row.weekly_cost:,.0f}",
                sib,
                str(row.score_penalty),
            )
        console.print(t)
    u = result.unplaced
    if len(u):
        t = Table(title=f"No home proposed ({len(u)})")
        t.add_column("child")
        t.add_column("reason")
        t.add_column("what would help")
        for row in u.head(show).itertuples():
            t.add_row(row.child_id, row.reason_code, row.explanation)
        console.print(t)
