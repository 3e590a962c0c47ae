"""The import structure: data flows one way, files -> Instance -> pairs -> model -> result -> reports.

Read from the source with ``ast`` (every import, at the top of a module or inside a function), so
it holds whatever runs first. Run ``pytest tests/test_architecture.py -q`` to check a change.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "placements"

#: Floors, lowest first. A module may import from its own floor or below, never from above.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("placements.errors", "placements.codes", "placements.calendar", "placements.geo", "placements.areas",
     "placements.resources", "placements.parallel"),
    ("placements.domain", "placements.policy"),
    ("placements.instance",),
    ("placements.io",),
    ("placements.eligibility",),
    ("placements.model", "placements.stability"),
    ("placements.explain", "placements.validate"),
    ("placements.result",),
    ("placements.match",),
    ("placements.baselines", "placements.decompose", "placements.privacy"),
    ("placements.reports.conflicts", "placements.synth", "placements.analysis"),
    ("placements.reports.html",),
    ("placements.bench",),
    ("placements.cli", "placements.web"),
    ("placements",),  # the package itself: the public API, re-exported lazily
)  # fmt: skip


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            # Each name is a submodule or a name defined in ``base``: the graph resolves which.
            found.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in found if m == "placements" or m.startswith("placements.")}


def _graph() -> nx.DiGraph:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    g = nx.DiGraph()
    g.add_nodes_from(modules)
    for name, path in modules.items():
        for target in _imports(path):
            # "from placements.x import y" names y, which may be a module or a name in x.
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in modules and target != name:
                g.add_edge(name, target)
    return g


def _floor(module: str) -> int:
    best, floor = -1, None
    for k, prefixes in enumerate(FLOORS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, floor = len(p), k
    assert floor is not None, f"{module} is on no floor of tests/test_architecture.py"
    return floor


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    return _graph()


def test_every_module_is_on_a_floor(graph: nx.DiGraph) -> None:
    for module in graph:
        _floor(module)


def test_no_import_cycle(graph: nx.DiGraph) -> None:
    # A package importing its own submodules (re-exports) is not a cycle of the design; any other is.
    g = nx.DiGraph((a, b) for a, b in graph.edges if not b.startswith(a + "."))
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert cycles == [], f"import cycles: {cycles}"


def _application_uses_public_api(a: str, b: str) -> bool:
    """The applications on the floor below the package (the web application) may use ``from placements import ...``:
    the public API re-exports lower floors, so the application is untouched when modules move."""
    return b == "placements" and _floor(a) == _floor("placements.web")


def test_no_module_imports_upwards(graph: nx.DiGraph) -> None:
    upward = [
        f"{a} (floor {_floor(a)}) imports {b} (floor {_floor(b)})"
        for a, b in graph.edges
        if _floor(b) > _floor(a) and a != "placements" and not _application_uses_public_api(a, b)
    ]
    assert upward == []


def test_only_the_command_line_imports_the_command_line(graph: nx.DiGraph) -> None:
    outside = [a for a, b in graph.edges if b.startswith("placements.cli") and not a.startswith("placements.cli")]
    assert outside == []


def test_no_file_is_found_by_climbing_out_of_the_package() -> None:
    climbing = [
        str(p.relative_to(SRC)) for p in PACKAGE.rglob("*.py") if "__file__).resolve().parents[" in p.read_text()
    ]
    assert climbing == [], "ship the file in the package and find it with placements.resources"


def test_the_checker_sees_a_planted_upward_import(tmp_path: Path) -> None:
    """The floors test could pass by seeing nothing: an upward import written to a file must be found."""
    fake = tmp_path / "placements" / "codes.py"
    fake.parent.mkdir()
    fake.write_text("from placements.match import match\nfrom . import errors\n", encoding="utf-8")
    global SRC
    saved = SRC
    SRC = tmp_path
    try:
        assert _imports(fake) == {"placements.match.match", "placements.errors"}
    finally:
        SRC = saved
    assert _floor("placements.match") > _floor("placements.codes")
