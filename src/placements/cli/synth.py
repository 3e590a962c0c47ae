"""``placements synth``: write a synthetic authority, or check one against its targets.

    placements synth --profile region --seed 1 --out DIR [--scale 1.0]
    placements synth --check DIR

Registered in ``placements.cli`` with ``app.command("synth")(synth_cmd)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from placements.cli.common import console, fail, write
from placements.synth.catalogue import PROFILES


def synth_cmd(
    out: Annotated[Path | None, typer.Option(help="folder to write the synthetic authority into")] = None,
    profile: Annotated[str, typer.Option(help=f"authority profile: {', '.join(PROFILES)}")] = "nottingham",
    seed: Annotated[int, typer.Option(help="random seed")] = 1,
    as_of: Annotated[str, typer.Option(help="as-of date of the synthetic authority")] = "2026-11-23",
    scale: Annotated[float, typer.Option(help="multiply every authority's size (e.g. 0.1 for a quick England)")] = 1.0,
    check: Annotated[Path | None, typer.Option(help="check a synth folder's figures against their targets")] = None,
    ssda903_format: Annotated[
        str, typer.Option(help="the history as csv (one file per table) or xml (the DfE's EXPSSDA903)")
    ] = "csv",
) -> None:
    """Write a synthetic authority (case folder, five years of SSDA903, ground truth), or --check one.

    No real child's data: every row is drawn at random; postcodes are real ONS postcodes.
    """
    from placements.errors import Problem

    if check is not None:
        _check(check)
        return
    if out is None:
        fail([Problem("--out", None, None, "give --out DIR to write into, or --check DIR to check a folder")])
    if profile not in PROFILES:
        fail([Problem("--profile", None, None, f"unknown profile {profile!r}; choose from {sorted(PROFILES)}")])
    if ssda903_format not in ("csv", "xml"):
        fail([Problem("--ssda903-format", None, None, f"choose csv or xml, not {ssda903_format!r}")])
    if not scale > 0:
        fail([Problem("--scale", None, None, f"must be above 0, not {scale}")])
    from placements.domain import parse_date

    try:
        day = parse_date(as_of)
    except ValueError as exc:
        fail([Problem("--as-of", None, None, str(exc))])
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from placements.synth.generate import generate

    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:  # fmt: skip
        task = bar.add_task(f"Generating {profile}: authorities", total=None)

        def step(done: int, total: int, what: str = "authorities") -> None:
            bar.update(task, completed=done, total=total, description=f"Generating {profile}: {what}")

        files = generate(profile, seed, day, scale, progress=step, ssda903_format=ssda903_format)
    written = write(out, files)
    console.print(f"wrote {len(written)} files into {out} in {time.perf_counter() - started:.1f} s")


def _check(folder: Path) -> None:
    from rich.table import Table

    from placements.errors import Problem
    from placements.synth.calibration import check

    figs, problems = check(folder)
    if problems:
        fail([Problem(str(folder), None, None, p) for p in problems])
    table = Table(title=f"Calibration of {folder}")
    for col in ("figure", "target", "generated", "tolerance", "source", ""):
        table.add_column(col)
    for f in figs:
        table.add_row(f.name, f.target_text(), f.shown(f.value), f.tolerance_text(), f.source,
                      "[green]ok[/]" if f.ok else "[bold red]OUT[/]")  # fmt: skip
    console.print(table)
    bad = [f for f in figs if not f.ok]
    console.print(f"{len(figs) - len(bad)} of {len(figs)} figures within tolerance")
    if bad:
        console.print(f"[bold red]out of tolerance:[/] {', '.join(f.name for f in bad)}")
        raise typer.Exit(code=1)
