"""The command line: one thin typer command per module, over the library's public functions.

``placements COMMAND --help`` describes each. Modules: ``common`` (consoles, failing with problems,
reading a case folder, writing outputs) and one per command. Nothing outside this package imports
it; commands import the library inside their bodies so ``placements --help`` starts quickly.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from placements.cli import (
    bench,
    cohort,
    conflicts,
    gaps,
    match,
    recruit,
    register,
    report,
    serve,
    simulate,
    standard,
    synth,
    web,
)

app = typer.Typer(
    add_completion=False,
    # Plain help: the rich panels of this typer release label every switch "<bool>", as if it took a value.
    rich_markup_mode=None,
    no_args_is_help=True,
    help="Foster placement sufficiency matching for English local-authority children's services.",
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"placements {version('placements')}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit"),
    ] = False,
) -> None:
    """Foster placement sufficiency matching for English local-authority children's services."""


app.command("match")(match.match_cmd)
app.command("synth")(synth.synth_cmd)
app.command("cohort")(cohort.cohort_cmd)
app.command("conflicts")(conflicts.conflicts_cmd)
app.command("gaps")(gaps.gaps_cmd)
app.command("recruit")(recruit.recruit_cmd)
app.command("report")(report.report_cmd)
app.command("simulate")(simulate.simulate_cmd)
app.command("simulate-plot")(simulate.simulate_plot_cmd)
app.command("backtest")(simulate.backtest_cmd)
app.command("bench")(bench.bench_cmd)
app.add_typer(register.register_app, name="register")
app.add_typer(standard.standard_app, name="standard")
app.command("serve")(serve.serve_cmd)
app.add_typer(web.web_app, name="web")


def main() -> None:  # pragma: no cover
    sys.exit(app())
