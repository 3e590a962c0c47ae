"""placements: foster placement sufficiency matching for English local-authority children's services.

The public API, in the order data flows::

    from placements import read_case_folder, match, validate

    folder = read_case_folder("data/demo")             # files -> Instance and Policy
    result = match(folder.instance, folder.policy)     # Instance -> MatchResult
    assert validate(folder.instance, result.assignment, result.as_of) == []

Names are loaded on first use (PEP 562), so ``import placements`` (and the command line's start-up)
does not pay for pandas and OR-Tools until a name that needs them is used.
"""

from __future__ import annotations

import importlib
import sys
import types
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("placements")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without an install
    __version__ = "0+unknown"

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "read_case_folder": "placements.io.case_folder",
    "CaseFolder": "placements.io.case_folder",
    "match": "placements.match",
    "MatchResult": "placements.result",
    "validate": "placements.validate",
    "Violation": "placements.validate",
    "Instance": "placements.instance",
    "Child": "placements.domain",
    "Place": "placements.domain",
    "Policy": "placements.policy",
    "Weights": "placements.policy",
    "InputError": "placements.errors",
    "Problem": "placements.errors",
}

__all__ = [
    "CaseFolder",
    "Child",
    "InputError",
    "Instance",
    "MatchResult",
    "Place",
    "Policy",
    "Problem",
    "Violation",
    "Weights",
    "__version__",
    "match",
    "read_case_folder",
    "validate",
]

if TYPE_CHECKING:
    from placements.domain import Child, Place
    from placements.errors import InputError, Problem
    from placements.instance import Instance
    from placements.io.case_folder import CaseFolder, read_case_folder
    from placements.match import match
    from placements.policy import Policy, Weights
    from placements.result import MatchResult
    from placements.validate import Violation, validate


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'placements' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


class _Package(types.ModuleType):
    """Keeps ``placements.match`` and ``placements.validate`` the functions the public API promises.

    Importing a submodule binds it on its package: once anything ran ``from placements.validate
    import ...``, ``placements.validate`` would be the module and ``from placements import validate``
    would hand out the module instead of the function. When the import system binds a submodule
    named like the public function it defines, the function is bound instead (the module stays in
    ``sys.modules``, so ``from placements.validate import check_held`` works as ever).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == value.__name__ and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
