"""The package's shape: no import cycles between files, and the product never imports its
benchmarks.

Every module's imports are read with `ast` — module level, `if TYPE_CHECKING:` blocks and imports
inside functions alike — so a cycle hidden behind `TYPE_CHECKING` or a lazy import still counts.
The product packages (`lsp`, `retrieval`, `models`) may not name `repofill.bench` at all: neither
an import nor a string given to `importlib`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lsp", "retrieval", "models", "bench")
"""Top-level folders installed as `repofill.<folder>` (pyproject.toml `package-dir`)."""
PRODUCT = ("lsp", "retrieval", "models")
NAMESPACE = "repofill"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([NAMESPACE, *parts])


def _modules() -> dict[str, Path]:
    """Module name → file, for every module of the installed packages."""
    out: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            out[_module_name(path)] = path
    return out


def _imported_names(path: Path, module: str) -> Iterator[str]:
    """Absolute dotted names this file imports anywhere in it; `from x import y` gives `x.y`,
    which lands in module `x.y` when y is a submodule and in `x` when it is a name in x."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                yield f"{target}.{alias.name}"


def _file_of(name: str, modules: dict[str, Path]) -> str | None:
    """The module a dotted name lands in: the name itself, else its longest module prefix."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph() -> dict[str, set[str]]:
    """Module → the modules of this repository it imports (itself excluded)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in _imported_names(path, module):
            if name.startswith(NAMESPACE + "."):
                found = _file_of(name, modules)
                if found is not None and found != module:
                    targets.add(found)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checker_sees_a_cycle_and_imports_of_every_kind(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    source = tmp_path / "lsp" / "x.py"
    source.parent.mkdir()
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .server import S\n"
        "def f():\n    from repofill.retrieval import types\n    import repofill.models.gpu\n"
        "from .. import bench\n"
    )
    names = set(_imported_names(source, "repofill.lsp.x"))
    assert {
        "repofill.lsp.server.S",
        "repofill.retrieval.types",
        "repofill.models.gpu",
        "repofill.bench",
    } <= names


def test_no_import_cycles_between_files() -> None:
    assert cycles(import_graph()) == []


def _bench_references(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return re.findall(r"repofill\.bench\b", text)


def test_the_product_never_imports_the_benchmarks() -> None:
    graph = import_graph()
    importers = sorted(
        module
        for module, targets in graph.items()
        if module.split(".")[1] in PRODUCT
        and any(t.startswith(f"{NAMESPACE}.bench") for t in targets)
    )
    assert importers == []
    named = sorted(
        str(path.relative_to(ROOT))
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        if _bench_references(path)
    )
    assert named == []
