"""What Python files import, read with ``ast`` (nothing is imported or executed)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
import sys

_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


@dataclass(frozen=True, slots=True)
class ImportedName:
    """One name an import binds: ``from module import name``, or ``import module``.

    ``module`` is absolute; ``relative`` says whether the source wrote it relatively.
    """

    path: Path
    line: int
    module: str
    name: str | None
    relative: bool = False


def package_modules(root: Path, package: str) -> dict[str, Path]:
    """Return the dotted name of every module under ``root``, the package ``package``."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _base(module: str, path: Path, node: ast.ImportFrom) -> str:
    """Return the absolute module a (possibly relative) ``from`` import reads from."""
    if not node.level:
        return node.module or ""
    package = (
        module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    )
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imported_names(path: Path, module: str = "") -> Iterator[ImportedName]:
    """Yield every name every import in ``path`` binds, TYPE_CHECKING ones included.

    ``module`` is the file's dotted name, needed to resolve relative imports.
    """
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportedName(path, node.lineno, alias.name, None)
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, path, node)
            for alias in node.names:
                yield ImportedName(
                    path, node.lineno, base, alias.name, relative=node.level > 0
                )


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Return, for each module, the modules of the same package it imports."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for module, path in modules.items():
        for imported in imported_names(path, module):
            submodule = f"{imported.module}.{imported.name}"
            if imported.name is not None and submodule in modules:
                graph[module].add(submodule)
            elif imported.module in modules:
                graph[module].add(imported.module)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected groups of modules that import each other."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = lowlink[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                lowlink[node] = min(lowlink[node], lowlink[target])
            elif target in stack:
                lowlink[node] = min(lowlink[node], index[target])
        if lowlink[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            group.append(node)
            if len(group) > 1 or node in graph[node]:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def _optional_lines(tree: ast.AST) -> set[int]:
    """Return the lines of imports that need not succeed at run time.

    Those under ``if TYPE_CHECKING:`` are for the type checker; those in a ``try``
    with an ``except ImportError`` are alternatives for other environments.
    """
    blocks: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            blocks.extend(node.body)
        elif isinstance(node, ast.Try) and any(
            _catches_import_error(handler) for handler in node.handlers
        ):
            blocks.extend((*node.body, *node.handlers))
    return {
        inner.lineno
        for block in blocks
        for inner in ast.walk(block)
        if isinstance(inner, ast.Import | ast.ImportFrom)
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    caught = handler.type
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return any(
        isinstance(name, ast.Name) and name.id in _IMPORT_ERRORS for name in names
    )


def third_party_modules(paths: Iterable[Path], first_party: set[str]) -> set[str]:
    """Return the top-level third-party modules ``paths`` need at run time.

    Optional imports (see :func:`_optional_lines`), the standard library and
    ``first_party`` are left out.
    """
    found = set()
    for path in paths:
        optional = _optional_lines(ast.parse(path.read_text(), str(path)))
        for imported in imported_names(path):
            top = imported.module.split(".")[0]
            if imported.relative or imported.line in optional:
                continue
            if top not in sys.stdlib_module_names and top not in first_party:
                found.add(top)
    return found
