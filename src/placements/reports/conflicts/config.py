"""``conflicts.toml``: an authority switches built-in conflict rules off and adds its own.

Optional, in the case folder beside ``policy.toml``::

    disabled = ["siblings_divergent_plans"]
    extra = ["nottingham_rules.conflicts:NoSocialWorkerChange"]

Unknown keys, unknown rule codes and classes that cannot be imported or are not rules are
``InputError`` problems naming the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from pydantic import BaseModel, ConfigDict, Field, ImportString, TypeAdapter, ValidationError

from placements.errors import InputError, Problem
from placements.reports.conflicts.base import ConflictRule
from placements.reports.conflicts.registry import BUILTIN_CODES, rule_problem

CONFIG_FILE = "conflicts.toml"
_IMPORT: TypeAdapter[object] = TypeAdapter(ImportString)


class ConflictsConfig(BaseModel):
    """The file as written."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    disabled: list[str] = Field(default_factory=list, description="built-in (or extra) rule codes not to run")
    extra: list[str] = Field(default_factory=list, description="'package.module:ClassName' of rules to add")


@dataclass(frozen=True)
class ConflictsSettings:
    """The file resolved: codes to skip and rule objects to add."""

    disabled: tuple[str, ...] = ()
    extra: tuple[ConflictRule, ...] = ()


def load_rule(dotted: str) -> ConflictRule:
    """Import ``package.module:ClassName`` (pydantic's ``ImportString``) and return an instance.

    A class is called with no arguments; what comes back must pass ``rule_problem``.
    """
    if ":" not in dotted:
        raise ValueError(f"{dotted!r} is not of the form 'package.module:ClassName'")
    try:
        target: object = _IMPORT.validate_python(dotted)
    except ValidationError as exc:
        why = exc.errors()[0].get("ctx", {}).get("error") or exc.errors()[0]["msg"]
        raise ValueError(f"cannot import {dotted!r}: {why}") from None
    if isinstance(target, type):
        try:
            target = target()
        except Exception as exc:
            raise ValueError(f"cannot create {dotted!r} with no arguments: {exc}") from None
    problem = rule_problem(target)
    if problem:
        raise ValueError(f"{dotted!r} is not a conflict rule: it {problem}")
    return cast(ConflictRule, target)  # rule_problem checked the protocol's code, severity and check


def load_conflicts_config(folder: Path) -> ConflictsSettings:
    """Read ``conflicts.toml`` from a case folder; a missing file runs every built-in rule."""
    path = Path(folder) / CONFIG_FILE
    if not path.exists():
        return ConflictsSettings()
    name = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(name, None, None, f"not valid TOML: {exc}")]) from None
    try:
        config = ConflictsConfig.model_validate(data)
    except ValidationError as exc:
        invalid: list[Problem] = []
        for e in exc.errors():
            key = ".".join(str(p) for p in e["loc"]) or None
            msg = e["msg"]
            if e["type"] == "extra_forbidden":
                msg = "unknown key; the keys are 'disabled' and 'extra'"
            invalid.append(Problem(name, None, key, msg))
        raise InputError(invalid) from None

    problems: list[Problem] = []
    extra: list[ConflictRule] = []
    for dotted in config.extra:
        try:
            extra.append(load_rule(dotted))
        except ValueError as exc:
            problems.append(Problem(name, None, "extra", str(exc)))
    known = set(BUILTIN_CODES) | {r.code for r in extra}
    for code in config.disabled:
        if code not in known:
            problems.append(
                Problem(name, None, "disabled", f"unknown rule code {code!r}; known codes: {', '.join(sorted(known))}")
            )
    seen: dict[str, str] = {c: "a built-in rule" for c in BUILTIN_CODES}
    problems.extend(_duplicate_codes(extra, seen, name))
    if problems:
        raise InputError(problems)
    return ConflictsSettings(tuple(config.disabled), tuple(extra))


def _duplicate_codes(extra: list[ConflictRule], seen: dict[str, str], name: str) -> list[Problem]:
    """Extra rules whose code a built-in rule (even one disabled) or an earlier extra rule already uses."""
    problems = []
    for rule in extra:
        if rule.code in seen:
            problems.append(
                Problem(
                    name,
                    None,
                    "extra",
                    f"rule code {rule.code!r} of {type(rule).__name__} is already used by {seen[rule.code]}; "
                    "choose another code",
                )
            )
        else:
            seen[rule.code] = type(rule).__name__
    return problems
