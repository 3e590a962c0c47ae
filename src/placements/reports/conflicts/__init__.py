"""Permanence-plan conflicts: rules over children and places that an independent reviewing officer
would raise, written as conflicts.csv (see ``docs/conflicts.md``)."""

from placements.reports.conflicts.base import COLUMNS, SEVERITIES, ConflictRule, Finding, Severity
from placements.reports.conflicts.config import CONFIG_FILE, ConflictsSettings, load_conflicts_config, load_rule
from placements.reports.conflicts.registry import BUILTIN_CODES, BUILTIN_RULES, active_rules, run_rules

__all__ = [
    "BUILTIN_CODES",
    "BUILTIN_RULES",
    "COLUMNS",
    "CONFIG_FILE",
    "SEVERITIES",
    "ConflictRule",
    "ConflictsSettings",
    "Finding",
    "Severity",
    "active_rules",
    "load_conflicts_config",
    "load_rule",
    "run_rules",
]
