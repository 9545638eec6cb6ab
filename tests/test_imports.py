"""No import circle anywhere in the package, type-only imports included."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import layers_async

PACKAGE = Path(layers_async.__file__).resolve().parent


def module_name(path: Path) -> str:
    """``layers_async._client`` for ``layers_async/_client.py`` (packages by their folder)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> Iterator[str]:
    """Every package module ``path`` imports, at any depth (TYPE_CHECKING, functions too).

    ``from pkg import submodule`` counts as importing the submodule only; any other
    name imported from ``pkg`` counts as importing ``pkg`` itself.
    """
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in modules else base


def graph() -> dict[str, set[str]]:
    """module -> the package modules it imports (a package import names its __init__)."""
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {dep for dep in imports_of(path, set(files)) if dep in files and dep != name}
            for name, path in files.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for dep in sorted(edges[node]):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_checker_sees_a_circle() -> None:
    """A two-module circle is found (so an empty answer below means something)."""
    assert [["a", "b"]] == cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}})


def test_no_import_circle_in_the_package() -> None:
    """Not in the library, not in testing/, not in the command."""
    edges = graph()
    assert 40 <= len(edges)
    assert [] == cycles(edges)
