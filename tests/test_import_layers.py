"""Imports point one way: no cycle anywhere in ``lythonic/``, no layer importing
a layer above it, other packages entering compose through its public modules.

Every import counts, wherever it is written: at module level, inside a
function (a "lazy" import is still a dependency), or under ``TYPE_CHECKING``.
docs/layers.md explains the layers; change both together.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import lythonic

PACKAGE = Path(lythonic.__file__).parent

# Lower rank = lower layer. A module may import modules of its own layer
# (cycles aside) and of any lower rank; two layers of one rank stay apart.
LAYERS: dict[str, int] = {
    "lythonic": 0,  # value tools at the package root (_refs, _codec, _cron, logs ...)
    "lythonic.state": 1,
    "lythonic.compose.nodes": 2,
    "lythonic.compose.provenance": 3,
    "lythonic.compose.cache": 3,
    "lythonic.compose.run": 4,
    "lythonic.compose.graph": 5,
    "lythonic.compose.schedule": 6,
    "lythonic.compose.storage": 7,
    "lythonic.compose": 8,  # the public paths: thin re-exports of the layers
    "lythonic.declarative": 9,
    "lythonic.testing": 10,  # the pytest plugin: runs Python DAGs and lyth.yaml configs
    "lythonic.ui": 10,  # the web view: reads the stores, draws the config's DAGs
    "lythonic.forensics": 10,  # diff (and later plan, logs) of recorded runs
    "lythonic.engine": 11,
    "lythonic.cli": 12,
    # Upstream's `lyth` entry point lived here; it forwards to the CLI.
    "lythonic.compose.lyth": 13,
}

# Compose's layer packages; outside compose, only these and the public modules
# (lythonic.compose.namespace, .dag_runner ...) are imported.
COMPOSE_LAYERS = [name for name in LAYERS if name.startswith("lythonic.compose.")]

MAX_MODULES_PER_FOLDER = 20


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(importer: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The lythonic modules an import statement loads (a name imported from a
    package that is not a submodule counts as the package)."""
    targets: list[str] = []
    if isinstance(node, ast.Import):
        bases = [alias.name for alias in node.names]
        names: list[str | None] = [None] * len(bases)
    else:
        if node.level:
            parts = importer.split(".")
            if MODULES[importer].name != "__init__.py":
                parts.pop()
            parts = parts[: len(parts) - node.level + 1]
            base = ".".join([*parts, *([node.module] if node.module else [])])
        else:
            base = node.module or ""
        bases = [base] * len(node.names)
        names = [alias.name for alias in node.names]
    for base, name in zip(bases, names, strict=True):
        if not base.startswith("lythonic"):
            continue
        candidate = f"{base}.{name}" if name else base
        while candidate not in MODULES and "." in candidate:
            candidate = candidate.rsplit(".", 1)[0]
        targets.append(candidate)
    return targets


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph[name].update(t for t in _resolve(name, node) if t != name)
    return graph


GRAPH = _graph()


def _layer(module: str) -> str:
    """The longest LAYERS key that is ``module`` or a package holding it."""
    best = "lythonic"
    for layer in LAYERS:
        if (module == layer or module.startswith(layer + ".")) and len(layer) > len(best):
            best = layer
    return best


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    return found


def test_the_walk_sees_function_level_and_type_checking_imports() -> None:
    # Guards the guard: these imports sit inside a function and under
    # TYPE_CHECKING; a walk that missed them would pass vacuously.
    assert "lythonic.compose.run" in GRAPH["lythonic.compose.graph._dag"]
    assert "lythonic.compose.provenance" in GRAPH["lythonic.compose.graph._mount"]
    assert "lythonic.declarative" in GRAPH["lythonic.engine._triggers"]


def test_no_import_cycle_anywhere() -> None:
    assert _cycles() == []


def test_cycle_finder_finds_a_cycle() -> None:
    GRAPH["lythonic.compose.nodes._tags"].add("lythonic.compose.nodes._markers")
    GRAPH["lythonic.compose.nodes._markers"].add("lythonic.compose.nodes._tags")
    try:
        assert ["lythonic.compose.nodes._markers", "lythonic.compose.nodes._tags"] in _cycles()
    finally:
        GRAPH["lythonic.compose.nodes._tags"].discard("lythonic.compose.nodes._markers")
        GRAPH["lythonic.compose.nodes._markers"].discard("lythonic.compose.nodes._tags")


def _upward() -> list[str]:
    upward = []
    for importer, targets in GRAPH.items():
        mine = _layer(importer)
        for target in targets:
            theirs = _layer(target)
            if theirs != mine and LAYERS[theirs] >= LAYERS[mine]:
                upward.append(f"{importer} -> {target}")
    return sorted(upward)


def _reaching_in() -> list[str]:
    return sorted(
        f"{importer} -> {target}"
        for importer, targets in GRAPH.items()
        if not importer.startswith("lythonic.compose")
        for target in targets
        if target.startswith("lythonic.compose.")
        and _layer(target) in COMPOSE_LAYERS
        and target != _layer(target)
    )


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert _upward() == []


def test_other_packages_use_compose_layers_through_their_packages() -> None:
    assert _reaching_in() == []


def test_the_layer_checks_catch_what_they_forbid() -> None:
    added = [
        ("lythonic.compose.run._plan", "lythonic.compose.graph"),  # up one layer
        ("lythonic.compose.cache._store", "lythonic.compose.provenance"),  # a sibling
        ("lythonic.engine._daemon", "lythonic.compose.run._runner"),  # a private module
    ]
    for importer, target in added:
        GRAPH[importer].add(target)
    try:
        assert _upward() == [
            "lythonic.compose.cache._store -> lythonic.compose.provenance",
            "lythonic.compose.run._plan -> lythonic.compose.graph",
        ]
        assert _reaching_in() == ["lythonic.engine._daemon -> lythonic.compose.run._runner"]
    finally:
        for importer, target in added:
            GRAPH[importer].discard(target)


def test_no_folder_holds_more_than_twenty_modules() -> None:
    crowded = {}
    for folder in {p.parent for p in MODULES.values()}:
        count = sum(1 for p in folder.glob("*.py") if p.name != "__init__.py")
        if count > MAX_MODULES_PER_FOLDER:
            crowded[str(folder.relative_to(PACKAGE.parent))] = count
    assert crowded == {}


def test_every_name_a_layer_package_exports_loads() -> None:
    """Layer packages load names on first use: each one in ``__all__`` resolves to
    the object its module defines, and ``dir()`` lists it."""
    import importlib

    for layer in COMPOSE_LAYERS:
        if layer == "lythonic.compose.lyth":
            continue
        package = importlib.import_module(layer)
        for name in package.__all__:
            value = getattr(package, name)
            home = getattr(value, "__module__", None)
            assert name in dir(package), f"{layer}.{name}"
            if isinstance(home, str) and home.startswith(layer + "."):
                assert getattr(importlib.import_module(home), name) is value


def test_importing_the_dag_api_loads_no_store_scheduler_or_cli() -> None:
    """`import lythonic.compose.namespace, lythonic.compose.dag_runner` pays for no
    store, scheduler, loader or CLI until something uses them."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "import lythonic.compose.namespace, lythonic.compose.dag_runner\n"
        "import lythonic.compose.executor\n"
        "heavy = ('lythonic.compose.schedule', 'lythonic.compose.cache', 'lythonic.cli',"
        " 'lythonic.engine', 'lythonic.declarative', 'lythonic.state', 'sqlite3',"
        " 'lythonic.compose.provenance._sqlite', 'lythonic.compose.provenance._writer',"
        " 'dask', 'distributed', 'cloudpickle')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout
