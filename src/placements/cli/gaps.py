"""``placements gaps [CASE_DIR] [--out DIR]``: today, the best with today's homes, and the ideal, side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from placements.cli.common import KeyFileOption, PseudonymiseOption, console, fail, open_case, warn, write_guarded

#: Metrics shown per age band on the terminal (every metric is in the CSVs).
BAND_METRICS = ("children", "unplaced", "family_as_needed", "under12_residential", "siblings_apart", "over_20_miles")


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return f"{v:,}" if isinstance(v, (int, float)) else str(v)


def gaps_cmd(
    case_dir: Annotated[Path | None, typer.Argument(help="case folder (default: data/demo)")] = None,
    out: Annotated[Path, typer.Option(help="folder for gaps_*.csv and gaps_summary.json")] = Path("out"),
    as_of: Annotated[
        str | None, typer.Option(help="date ages are taken on, YYYY-MM-DD (default: policy, else today)")
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="seconds for the whole-cohort match (default: policy, else 60)")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="solver seed (default: policy, else 0)")] = None,
    pseudonymise: PseudonymiseOption = False,
    key_file: KeyFileOption = None,
) -> None:
    """Sufficiency gaps: how many children could live with a family today, and what is missing for the rest."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from placements.analysis.gaps import STATE_LABELS, STATES, compute_gaps
    from placements.privacy.guard import Privacy
    from placements.privacy.results import protect_files

    overrides = {"time_limit_seconds": time_limit, "seed": seed}
    _, folder, pseudonymiser, problems = open_case(case_dir, out, as_of, pseudonymise, key_file, overrides)
    if folder is None or problems:
        fail(problems)
    warn(folder)
    limit = folder.policy.time_limit_seconds
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
    ) as bar:
        bar.add_task(
            f"Whole-cohort match, the best with today's homes (at most {limit:g} s) and the three states...", total=None
        )
        gaps = compute_gaps(folder.instance, folder.policy)
    privacy = Privacy(folder.instance, pseudonymiser)
    written = write_guarded(out, protect_files(gaps.files(), privacy), privacy)

    h = gaps.headline
    console.print(f"[bold]{h['sentence']}[/]")
    t = Table(title=f"Sufficiency gaps as of {privacy.text(gaps.as_of.isoformat())}: {h['children']} children")
    t.add_column("metric")
    for s in STATES:
        t.add_column(STATE_LABELS[s], justify="right")
    t.add_column("today -> best", justify="right")
    t.add_column("best -> ideal", justify="right")
    for row in gaps.summary_table.itertuples():
        t.add_row(
            row.metric.replace("_", " "),
            *(_num(getattr(row, s)) for s in STATES),
            _num(row.today_to_best),
            _num(row.best_to_ideal),
        )
    console.print(t)
    band = gaps.by_dimension["age_band"]
    b = Table(title="By age band (" + " / ".join(STATE_LABELS[s] for s in STATES) + ")")
    b.add_column("age band")
    for m in BAND_METRICS:
        b.add_column(m.replace("_", " "), justify="right")
    for label, sub in band.groupby("age_band", sort=False):
        v = sub.set_index("metric")
        b.add_row(str(label), *(" / ".join(_num(v.loc[m, s]) for s in STATES) for m in BAND_METRICS))
    console.print(b)
    if len(gaps.moves):
        mv = Table(title=f"Settled children who would move in the best state ({len(gaps.moves)}; first 20)")
        for col in ("child", "age", "from", "to", "why"):
            mv.add_column(col)
        for r in gaps.moves.head(20).itertuples():
            mv.add_row(
                privacy.id(r.child_id),
                str(r.age),
                f"{r.from_place_id} {r.from_setting}",
                f"{r.to_place_id} {r.to_setting}".strip() or "no home",
                r.reason,
            )
        console.print(mv)
    if len(gaps.missing):
        missing = Table(title=f"Family homes missing ({len(gaps.missing)} children; first 20)")
        for col in ("child", "age band", "best today", "rule", "what is missing"):
            missing.add_column(col)
        for r in gaps.missing.head(20).itertuples():
            missing.add_row(privacy.id(r.child_id), r.age_band, r.best_setting, r.binding_rule, r.what_is_missing)
        console.print(missing)
    sv = gaps.solver
    console.print(
        f"Best state: whole-cohort match {sv['status']} (tiers 1-3 proven: {sv['tiers_1_3_optimal']}, "
        f"score gap {sv['gap']}), {sv['seconds']} s; settled children under the stability rule "
        f"'{sv['stability']}' (policy.toml: stability)"
    )
    if not sv["tiers_1_3_optimal"]:
        console.print(
            f"[bold yellow]The best state is not proven: the whole-cohort match stopped at {limit:g} s before "
            "proving tiers 1-3, so 'best' understates what today's homes allow. Run again with a longer "
            "--time-limit.[/]"
        )
    console.print("Wrote " + ", ".join(str(p) for p in written))
