"""``placements bench [--tier ci|full] [--out DIR]``: run a tier, write results.json and results.md.

Exits 1 when the regression gate fails (``placements.bench.checks``), 2 on bad options, so CI can
run it directly.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from placements.cli.common import console, fail, write

#: The regression gate's reference, in the repository's ``benchmarks/`` (run from the repository root).
REFERENCE = Path("benchmarks/reference.json")


def bench_cmd(
    tier: Annotated[str, typer.Option(help="ci (daily instances, a few minutes) or full (every size)")] = "ci",
    out: Annotated[
        Path | None, typer.Option(help="folder for results.json and results.md (default out/bench-TIER)")
    ] = None,
    repeats: Annotated[int, typer.Option(help="runs per method and instance; times are medians")] = 3,
    methods: Annotated[str | None, typer.Option(help="comma-separated subset of the methods")] = None,
    instances: Annotated[str | None, typer.Option(help="comma-separated subset of the tier's instances")] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="engine time limit in seconds (default: per instance)")
    ] = None,
    memory_cap: Annotated[
        float | None,
        typer.Option(
            help="resident-memory cap of each method (its processes together), GiB; a method over it "
            "is stopped (default: half the machine, at most 16)"
        ),
    ] = None,
    reference: Annotated[Path, typer.Option(help="reference of the regression gate")] = REFERENCE,
    write_reference: Annotated[
        bool, typer.Option("--write-reference", help="record this run as the reference")
    ] = False,
    tolerance: Annotated[
        float | None, typer.Option(help="with --write-reference: speed ratio factor (default: keep)")
    ] = None,
) -> None:
    """Benchmark the engine against today's practice and the bounds; fail on any quality drop or slowdown."""
    from rich.table import Table

    from placements.bench import checks, report
    from placements.bench.instances import TIERS
    from placements.bench.methods import METHODS
    from placements.bench.runner import run_tier
    from placements.bench.targets import targets
    from placements.errors import Problem

    problems = []
    if tier not in TIERS:
        problems.append(Problem("--tier", None, None, f"unknown tier {tier!r}; choose from {sorted(TIERS)}"))
    chosen = tuple(methods.split(",")) if methods else METHODS
    problems += [
        Problem("--methods", None, None, f"unknown method {m!r}; choose from {list(METHODS)}")
        for m in chosen
        if m not in METHODS
    ]
    only = tuple(instances.split(",")) if instances else ()
    known = {s.name for specs in TIERS.values() for s in specs}
    problems += [
        Problem("--instances", None, None, f"unknown instance {n!r}; choose from {sorted(known)}")
        for n in only
        if n not in known
    ]
    if memory_cap is not None and memory_cap <= 0.5:
        problems.append(
            Problem(
                "--memory-cap",
                None,
                None,
                "must be more than 0.5 GiB (the interpreter and libraries alone take about 0.1)",
            )
        )
    if repeats < 1:
        problems.append(Problem("--repeats", None, None, "must be at least 1"))
    ref = None
    if reference.exists() and not write_reference:
        try:
            ref = json.loads(reference.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            problems.append(Problem(str(reference), exc.lineno, f"character {exc.colno}", f"not valid JSON: {exc.msg}"))
    if problems:
        fail(problems)
    out = out or Path("out") / f"bench-{tier}"

    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = report.machine()
    from placements.bench.runner import MEMORY_CAP_GIB

    result = run_tier(tier, repeats, chosen, time_limit, only, memory_cap or MEMORY_CAP_GIB)
    result.update(
        started=started,
        machine=machine,
        load_average_end=[round(x, 2) for x in os.getloadavg()],
        command="placements bench " + " ".join(shlex.quote(a) for a in sys.argv[2:]),
    )
    result["targets"] = targets(result)
    measured = checks.ran(result)
    names = [n for n in (ref["instances"] if ref else measured) if n in measured]
    result["ratios"] = checks.ratios(result, names)
    result["reference_ratios"] = checks.reference_ratios(ref, names) if ref else None
    result["failures"] = checks.check(result, ref)

    for d in result["instances"]:
        if d.get("unavailable"):
            console.print(f"{d['name']} ({d['size']}): {d['unavailable']}", markup=False, highlight=False)
            continue
        what = f"{d.get('needing', '?')} of {d['children']} children matched, {d['places']} places"
        t = Table(title=f"{d['name']} ({d['size']}): {what}")
        heads = dict(report.COLUMNS)
        for key in report.CONSOLE:
            t.add_column(heads[key])
        for row in (r for r in result["rows"] if r["instance"] == d["name"]):
            cells = report.row_cells(row)
            t.add_row(*(cells[k] for k in report.CONSOLE))
        console.print(t)
    tt = Table(title="Targets")
    for col in ("target", "instance", "measured", "verdict"):
        tt.add_column(col)
    for x in result["targets"]:
        tt.add_row(x["target"], x["instance"], x["measured"], x["verdict"])
    console.print(tt)
    console.print(
        f"speed ratios: {result['ratios']}"
        + (f" (reference {result['reference_ratios']}, tolerance x{ref['tolerance']})" if ref else "")
    )

    written = write(out, report.files(result))
    if write_reference:
        old = json.loads(reference.read_text(encoding="utf-8")) if reference.exists() else {}
        factor = tolerance or old.get("tolerance", checks.DEFAULT_TOLERANCE)
        new = checks.make_reference(result, factor, machine)
        written += write(reference.parent, {reference.name: json.dumps(new, indent=2) + "\n"})
    console.print("Wrote " + ", ".join(str(p) for p in written))
    if result["failures"]:
        console.print(f"[bold red]Regression gate failed ({len(result['failures'])}):[/]")
        for f in result["failures"]:
            console.print(f"  FAIL {f}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=1)
    console.print(
        "[green]Regression gate passed.[/]" if ref else "No reference: only the checks against today's practice ran."
    )
