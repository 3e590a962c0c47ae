"""Command line: thin typer commands over the library."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from placements.errors import InputError, Problem

if TYPE_CHECKING:  # the reader loads pandas and the postcode directory; commands import it when they run
    from placements.io.case_folder import CaseFolder
from placements.privacy.options import KeyFileOption, PseudonymiseOption, write_guarded

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Foster placement sufficiency matching for English local-authority children's services.",
)
console = Console()
err = Console(stderr=True)

#: The embedded demo authority: ./data/demo when run from the repository, else the source tree's copy.
DEMO_DIR = Path("data/demo")
_SOURCE_DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
MAX_SHOWN_PROBLEMS = 50


def _demo_dir() -> Path:
    return DEMO_DIR if DEMO_DIR.is_dir() or not _SOURCE_DEMO.is_dir() else _SOURCE_DEMO


def _fail(problems: list[Problem]) -> None:
    err.print(f"[bold red]The input cannot be used ({len(problems)} problem(s)); nothing was written.[/]")
    for p in problems[:MAX_SHOWN_PROBLEMS]:
        err.print(f"  {p}", markup=False, highlight=False, soft_wrap=True)
    if len(problems) > MAX_SHOWN_PROBLEMS:
        err.print(f"  ... and {len(problems) - MAX_SHOWN_PROBLEMS} more")
    raise typer.Exit(code=2)


def _check_out(case_dir: Path, out: Path) -> None:
    if out.resolve() == case_dir.resolve():
        _fail(
            [
                Problem(
                    str(out),
                    None,
                    None,
                    "--out is the case folder itself; choose another folder so no input is touched",
                )
            ]
        )


def read_case(
    case_dir: Path | None, out: Path, as_of: str | None, overrides: dict[str, object] | None = None
) -> tuple[Path, CaseFolder | None, list[Problem]]:
    """What every command does first: default folder, --out check, --as-of, read and check the folder.

    Returns the folder's path, the case (None when unusable) and the problems, so a command can add
    its own checks before failing once with everything it found.
    """
    from placements.domain import parse_date
    from placements.io.case_folder import read_case_folder

    case_dir = case_dir or _demo_dir()
    _check_out(case_dir, out)
    overrides = dict(overrides or {})
    if as_of is not None:
        try:
            overrides["as_of"] = parse_date(as_of)
        except ValueError as exc:
            _fail([Problem("--as-of", None, None, str(exc))])
    try:
        return case_dir, read_case_folder(case_dir, overrides), []
    except InputError as exc:
        return case_dir, None, exc.problems


def warn(folder: CaseFolder) -> None:
    for w in folder.warnings:
        err.print(f"warning: {w}", markup=False, highlight=False, soft_wrap=True)


@app.command("match")
def match_cmd(
    case_dir: Annotated[Optional[Path], typer.Argument(help="case folder (default: data/demo)")] = None,
    out: Annotated[Path, typer.Option(help="folder for matches.csv, shortlist.csv, unplaced.csv, summary.json")] = Path(
        "out"
    ),
    as_of: Annotated[
        Optional[str], typer.Option(help="date ages are taken on, YYYY-MM-DD (default: policy, else today)")
    ] = None,
    seed: Annotated[Optional[int], typer.Option(help="solver seed (default: policy, else 0)")] = None,
    time_limit: Annotated[
        Optional[float], typer.Option(help="seconds for the whole solve (default: policy, else 60)")
    ] = None,
    workers: Annotated[Optional[int], typer.Option(help="solver threads (default: policy, else 2)")] = None,
    backend: Annotated[Optional[str], typer.Option(help="scip, highs or cpsat (default: policy, else scip)")] = None,
    whole_cohort: Annotated[
        bool, typer.Option("--whole-cohort", help="match every child as if all needed a home")
    ] = False,
    show: Annotated[int, typer.Option(help="rows of each table to print")] = 25,
    verbose: Annotated[bool, typer.Option("--verbose", help="log each solver stage (counts and seconds only)")] = False,
    pseudonymise: PseudonymiseOption = False,
    key_file: KeyFileOption = None,
    ssda903: Annotated[
        Optional[Path], typer.Option(help="read the children from this SSDA903 folder instead of a case folder")
    ] = None,
    supplement: Annotated[
        Optional[Path],
        typer.Option(help="with --ssda903: CSV keyed by CHILD (needs, siblings, plans, status; docs/ssda903.md)"),
    ] = None,
    places: Annotated[
        Optional[Path], typer.Option(help="with --ssda903: places.csv of the homes (a policy.toml beside it is read)")
    ] = None,
    la_code: Annotated[
        Optional[str],
        typer.Option(help="with --ssda903: responsible authority's ONS code (default: policy, else the LA column)"),
    ] = None,
) -> None:
    """Match children needing a home against today's vacancies, and write the four result files."""
    if verbose:
        import logging

        logging.basicConfig(format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
        logging.getLogger("placements").setLevel(logging.DEBUG)
    from placements.io.writers import result_files
    from placements.match import match
    from placements.privacy import Privacy
    from placements.privacy.options import pseudonymiser_from_options
    from placements.privacy.results import protect_result

    pseudonymiser, key_problems = pseudonymiser_from_options(pseudonymise, key_file)
    overrides = {"seed": seed, "time_limit_seconds": time_limit, "workers": workers, "backend": backend}
    if any(v is not None for v in (ssda903, supplement, places, la_code)):
        from placements.io.ssda903.case import read_case_from_ssda903

        folder, problems = read_case_from_ssda903(ssda903, supplement, places, out, as_of, la_code, overrides, case_dir)
    else:
        _, folder, problems = read_case(case_dir, out, as_of, overrides)
    if folder is None or key_problems:
        _fail(key_problems + problems)
        return
    warn(folder)
    with console.status("Matching...", spinner="dots"):
        result = match(folder.instance, folder.policy, whole_cohort=whole_cohort)
    privacy = Privacy(folder.instance, pseudonymiser)
    result = protect_result(result, privacy)
    written = write_guarded(out, result_files(result), privacy)
    _print_result(result, show)
    console.print(proof_sentence(result.summary(), folder.policy.time_limit_seconds))
    console.print("Wrote " + ", ".join(str(p) for p in written))


def proof_sentence(summary: dict[str, Any], time_limit: float) -> str:
    """What the answer's status means for the officer, in one sentence (printed under the table)."""
    if summary["status"] == "OPTIMAL":
        return (
            "Proven optimal: no lawful proposal places more children (emergencies first), needs fewer extra homes "
            "for split sibling groups, or scores better."
        )
    limit = f"--time-limit {time_limit:g}"
    if summary["tiers_1_3_optimal"]:
        return (
            f"Children placed and extra homes for split sibling groups are proven optimal; the score stopped at {limit} "
            f"within {100 * summary['gap']:.3f}% of its bound. A longer --time-limit may prove it."
        )
    return (
        f"Not proven within {limit}: a better proposal may place more children or need fewer extra homes for split "
        "sibling groups. Run again with a longer --time-limit."
    )


def _print_result(result, show: int) -> None:  # type: ignore[no-untyped-def]
    s = result.summary()
    title = "Whole-cohort match" if s["whole_cohort"] else "Daily match"
    head = Table(title=f"{title} as of {s['as_of']}", show_header=False)
    for key in (
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
    ):
        head.add_row(key.replace("_", " "), str(s[key]))
    console.print(head)
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


from placements.synth.command import synth_cmd  # noqa: E402

app.command("synth")(synth_cmd)


from placements.reports.conflicts.command import conflicts_cmd  # noqa: E402

app.command("conflicts")(conflicts_cmd)

from placements.reports.html.command import report_cmd  # noqa: E402

app.command("report")(report_cmd)

from placements.reports.gaps_command import gaps_cmd  # noqa: E402

app.command("gaps")(gaps_cmd)

from placements.reports.recruit.command import recruit_cmd  # noqa: E402

app.command("recruit")(recruit_cmd)

from placements.io.ssda903.command import cohort_cmd  # noqa: E402

app.command("cohort")(cohort_cmd)

from placements.bench.command import bench_cmd  # noqa: E402

app.command("bench")(bench_cmd)

from placements.simulate.command import backtest_cmd, simulate_cmd, simulate_plot_cmd  # noqa: E402

app.command("simulate")(simulate_cmd)
app.command("simulate-plot")(simulate_plot_cmd)
app.command("backtest")(backtest_cmd)


def main() -> None:  # pragma: no cover
    sys.exit(app())


# The web application (issue 15). Django is imported only when these commands run, and only with the
# `web` extra installed; the lead moves these into cli/serve.py and cli/web.py with the restructure.
def _web_missing() -> None:
    err.print("The web application needs the 'web' extra: pip install 'placements[web]' (make serve does this).")
    raise typer.Exit(code=2)


@app.command("serve")
def serve_cmd(
    db: Annotated[
        Optional[str], typer.Option(help="database URL (default: $DATABASE_URL, else SQLite in ./var/web)")
    ] = None,
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8000,
) -> None:
    """Run the placement team's web application: migrate, load the demo once, create demo users, serve."""
    try:
        from placements.web.serve import serve
    except ImportError:
        _web_missing()
        return
    serve(db=db, port=port)


web_app = typer.Typer(no_args_is_help=True, help="The web application's maintenance commands.")
app.add_typer(web_app, name="web")


@web_app.command("verify-audit")
def verify_audit_cmd(
    db: Annotated[Optional[str], typer.Option(help="database URL (default: $DATABASE_URL, else ./var/web)")] = None,
) -> None:
    """Recompute the audit trail's hash chain; exit 1 naming the first altered row."""
    try:
        from placements.web import setup
    except ImportError:
        _web_missing()
        return
    setup(db)
    from placements.web.audit import verify

    result = verify()
    if result.ok:
        console.print(result.message)
        return
    err.print(f"The audit trail has been altered: {result.message}", markup=False, highlight=False)
    raise typer.Exit(code=1)
