"""Permanence-plan conflicts: rules over children and places that an independent reviewing officer
would raise, written as conflicts.csv (see ``docs/conflicts.md``).

Names are loaded on first use, so that ``placements.cli`` can import the command
(``placements.reports.conflicts.command``) without importing pandas and the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from placements.lazy import lazy_exports

_EXPORTS = {
    "COLUMNS": "base",
    "SEVERITIES": "base",
    "ConflictRule": "base",
    "Finding": "base",
    "Severity": "base",
    "CONFIG_FILE": "config",
    "ConflictsSettings": "config",
    "load_conflicts_config": "config",
    "load_rule": "config",
    "BUILTIN_CODES": "registry",
    "BUILTIN_RULES": "registry",
    "active_rules": "registry",
    "run_rules": "registry",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from placements.reports.conflicts.base import COLUMNS, SEVERITIES, ConflictRule, Finding, Severity
    from placements.reports.conflicts.config import CONFIG_FILE, ConflictsSettings, load_conflicts_config, load_rule
    from placements.reports.conflicts.registry import BUILTIN_CODES, BUILTIN_RULES, active_rules, run_rules

__getattr__ = lazy_exports(__name__, _EXPORTS)
