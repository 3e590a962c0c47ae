"""Files the package ships: the demo authority and the default recruitment profiles.

Found with ``importlib.resources``, so they are there whether ``placements`` runs from a source
tree or from an installed wheel (``pip install placements`` gives a working ``placements match``).
In the repository, ``data/demo`` and ``scenarios/recruit-profiles.toml`` are links to these files.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _shipped(*parts: str) -> Path:
    path = files("placements").joinpath("data", *parts)
    if not isinstance(path, Path):  # pragma: no cover - only a zipped install lacks real paths
        raise RuntimeError("placements is installed as a zip archive; install it unpacked to use its data files")
    return path


def demo_folder() -> Path:
    """The demo authority's case folder (a synthetic city of 650 children; no real child's data)."""
    return _shipped("demo")


def default_profiles() -> Path:
    """The default recruitable carer profiles of ``placements recruit`` and the report."""
    return _shipped("recruit-profiles.toml")
