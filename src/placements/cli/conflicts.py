"""``placements conflicts [CASE_DIR] [--out DIR] [--as-of DATE]``: write conflicts.csv.

Registered in ``placements.cli`` with ``app.command("conflicts")(conflicts_cmd)``. ``placements.cli``
is imported inside the function, so this module can be imported by cli.py without a cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from placements.cli.common import (
    KeyFileOption,
    PseudonymiseOption,
    conflicts_settings,
    console,
    fail,
    open_case,
    warn,
    write_guarded,
)

SHOW_ROWS = 20


def conflicts_csv(frame: Any) -> str:
    return str(frame.to_csv(index=False, lineterminator="\n"))


def conflicts_cmd(
    case_dir: Annotated[Path | None, typer.Argument(help="case folder (default: data/demo)")] = None,
    out: Annotated[Path, typer.Option(help="folder for conflicts.csv")] = Path("out"),
    as_of: Annotated[
        str | None, typer.Option(help="date the checks are made on, YYYY-MM-DD (default: policy, else today)")
    ] = None,
    pseudonymise: PseudonymiseOption = False,
    key_file: KeyFileOption = None,
) -> None:
    """List permanence-plan conflicts (dual plans, overdue reviews, siblings apart, ...) in conflicts.csv."""
    from rich.table import Table

    from placements.privacy.guard import Privacy
    from placements.reports.conflicts.registry import active_rules, run_rules

    case_dir, folder, pseudonymiser, problems = open_case(case_dir, out, as_of, pseudonymise, key_file)
    settings = conflicts_settings(case_dir, problems)
    if problems or folder is None or settings is None:
        fail(problems)
    warn(folder)

    day = folder.policy.as_of_date()
    rules = active_rules(settings.disabled, settings.extra)
    privacy = Privacy(folder.instance, pseudonymiser)
    frame = privacy.frame(run_rules(folder.instance, day, settings.disabled, settings.extra))
    written = write_guarded(out, {"conflicts.csv": conflicts_csv(frame)}, privacy)

    counts = frame.groupby("rule").size().to_dict() if len(frame) else {}
    summary = Table(
        title=f"Permanence-plan conflicts as of {privacy.text(day.isoformat())} ({len(folder.instance.children)} children)"
    )
    summary.add_column("rule")
    summary.add_column("severity")
    summary.add_column("findings", justify="right")
    for rule in rules:
        summary.add_row(rule.code, rule.severity, str(counts.get(rule.code, 0)))
    summary.add_section()
    by_sev = frame.groupby("severity").size().to_dict() if len(frame) else {}
    summary.add_row("total", " / ".join(f"{s} {by_sev.get(s, 0)}" for s in ("high", "medium", "low")), str(len(frame)))
    console.print(summary)
    if len(frame):
        rows = Table(title=f"Findings (first {min(SHOW_ROWS, len(frame))} of {len(frame)})")
        for col in ("child", "rule", "severity", "evidence", "suggested action"):
            rows.add_column(col)
        for r in frame.head(SHOW_ROWS).itertuples():
            rows.add_row(r.child_id, r.rule, r.severity, r.evidence, r.suggested_action)
        console.print(rows)
    console.print("Wrote " + ", ".join(str(p) for p in written))
