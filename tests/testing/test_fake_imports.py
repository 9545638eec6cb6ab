"""No import circle inside layers_async.testing, type-only (TYPE_CHECKING) imports included."""

from __future__ import annotations

import ast
from collections.abc import Mapping, Set
from pathlib import Path

import layers_async.testing

PACKAGE = "layers_async.testing"
ROOT = Path(layers_async.testing.__file__).resolve().parent


def package_modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (``__init__`` included)."""
    modules: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join([package, *parts])] = path
    return modules


def imports_of(name: str, path: Path, modules: Set[str]) -> set[str]:
    """The package's modules that ``name`` imports anywhere (if TYPE_CHECKING blocks included).

    ``from . import x`` names the submodule ``x`` when there is one, else the package itself.
    """
    own_package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = own_package.split(".")
                base = parts[: len(parts) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.add(submodule if submodule in modules else source)
    return {module for module in found if module in modules and module != name}


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the package modules it imports."""
    modules = package_modules(root, package)
    return {name: imports_of(name, path, modules.keys()) for name, path in modules.items()}


def cycles(graph: Mapping[str, Set[str]]) -> list[list[str]]:
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
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_cycles_finds_circles_and_nothing_else() -> None:
    """A two-module circle and a three-module one are found; a chain is not a circle."""
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c", "f"}, "f": set()}
    assert [["a", "b"], ["c", "d", "e"]] == cycles(graph)
    assert [] == cycles({"a": {"b"}, "b": {"c"}, "c": set()})


def test_type_checking_and_relative_imports_count(tmp_path: Path) -> None:
    """Imports under ``if TYPE_CHECKING:`` and relative ``from . import x`` are edges."""
    (tmp_path / "__init__.py").write_text("from ._b import B\n", encoding="utf-8")
    (tmp_path / "_a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._b import B\n",
        encoding="utf-8",
    )
    (tmp_path / "_b.py").write_text("from . import _a\nimport os\n", encoding="utf-8")
    graph = import_graph(tmp_path, "pkg")
    assert {"pkg": {"pkg._b"}, "pkg._a": {"pkg._b"}, "pkg._b": {"pkg._a"}} == graph
    assert [["pkg._a", "pkg._b"]] == cycles(graph)


def test_the_checker_sees_the_whole_package() -> None:
    """The graph covers the fake's modules, and knows the server imports the route table."""
    graph = import_graph(ROOT, PACKAGE)
    assert f"{PACKAGE}._routes" in graph[f"{PACKAGE}._server"]
    assert len(list(ROOT.glob("*.py"))) == len(graph)


def test_no_import_circles_in_the_testing_package() -> None:
    """No module of layers_async.testing reaches itself through its imports."""
    assert [] == cycles(import_graph(ROOT, PACKAGE))
