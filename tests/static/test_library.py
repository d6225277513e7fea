"""The protocol library stands on its own.

No import cycles (TYPE_CHECKING ones included), a public API that the local servers,
benchmarks and development tools keep to, declared dependencies that are exactly what
it imports, and relative imports only, so that it works under any package name.
"""

from __future__ import annotations

import ast
from functools import cache
import importlib.metadata
import json
from pathlib import Path
import shutil
import subprocess
import sys
import tomllib

from eth_hash.utils import auto_choose_backend
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .imports import (
    import_cycles,
    import_graph,
    imported_names,
    package_modules,
    third_party_modules,
)

REPOSITORY = Path(__file__).resolve().parents[2]
INTEGRATION_DIR = REPOSITORY / "custom_components" / "nitrolite"
LIBRARY_DIR = INTEGRATION_DIR / "clearnode"
LIBRARY = "custom_components.nitrolite.clearnode"
PUBLIC_PACKAGES = (LIBRARY, f"{LIBRARY}.v05", f"{LIBRARY}.v1")
TOOLS = ("local_clearnode", "local_nitronode", "local_nodes", "benchmarks", "devtools")
FIRST_PARTY = {"custom_components", *TOOLS, "tests"}


def python_files(*folders: Path) -> list[Path]:
    """Return the Python files under ``folders``."""
    return sorted(path for folder in folders for path in folder.rglob("*.py"))


@cache
def public_names(package: str) -> frozenset[str]:
    """Return the ``__all__`` of one of the library's packages, read from its source."""
    relative = package.removeprefix(LIBRARY).strip(".").replace(".", "/")
    tree = ast.parse((LIBRARY_DIR / relative / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__"
            for target in node.targets
        ):
            return frozenset(ast.literal_eval(node.value))
    return frozenset()


def non_public_imports(paths: list[Path]) -> list[str]:
    """Return every import of the library that is not a public name of a package."""
    problems = []
    for path in paths:
        for imported in imported_names(path):
            module, name = imported.module, imported.name
            if module != LIBRARY and not module.startswith(f"{LIBRARY}."):
                continue
            where = f"{path.name}:{imported.line}"
            if module not in PUBLIC_PACKAGES:
                problems.append(f"{where} imports the internal module {module}")
            elif name is None or name not in public_names(module):
                problems.append(f"{where} imports {name} from {module}, not in __all__")
    return problems


def distributions(modules: set[str]) -> set[str]:
    """Return the installed distributions that provide ``modules``."""
    provided_by = importlib.metadata.packages_distributions()
    return {
        canonicalize_name(dist) for module in modules for dist in provided_by[module]
    }


def dependency_closure(distribution: str) -> set[str]:
    """Return ``distribution`` and everything it requires, as installed here."""
    seen: set[str] = set()
    pending = [distribution]
    while pending:
        name = canonicalize_name(pending.pop())
        if name in seen:
            continue
        seen.add(name)
        for text in importlib.metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return seen


def needed_extras(distribution: str) -> set[str]:
    """Return the extras a distribution needs to work: eth-hash needs a Keccak backend."""
    if distribution == "eth-hash":
        return {type(auto_choose_backend()).__module__.rsplit(".", 1)[-1]}
    return set()


def requirements(texts: list[str]) -> dict[str, Requirement]:
    """Return parsed requirements by canonical distribution name."""
    parsed = [Requirement(text) for text in texts]
    return {canonicalize_name(requirement.name): requirement for requirement in parsed}


def library_metadata() -> dict:
    """Return the library's own ``pyproject.toml``."""
    return tomllib.loads((LIBRARY_DIR / "pyproject.toml").read_text())


def test_the_library_has_no_import_cycles() -> None:
    """No two library modules import each other, however indirectly or lazily."""
    graph = import_graph(package_modules(LIBRARY_DIR, LIBRARY))
    assert f"{LIBRARY}.reconnect" in graph[f"{LIBRARY}.v05.client"]
    assert f"{LIBRARY}.amounts" in graph[f"{LIBRARY}.v1.hashing"]
    assert import_cycles(graph) == []


def test_a_cycle_closed_under_type_checking_is_caught(tmp_path: Path) -> None:
    """A cycle hidden behind ``if TYPE_CHECKING:`` is a cycle all the same."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import thing\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n"
    )
    (package / "c.py").write_text("from .a import thing\n")
    assert import_cycles(import_graph(package_modules(package, "pkg"))) == [
        ["pkg.a", "pkg.b"]
    ]


def test_servers_and_tools_use_only_the_public_api() -> None:
    """Local servers, benchmarks and dev tools import public names of the packages only."""
    paths = python_files(*(REPOSITORY / folder for folder in TOOLS))
    assert len(paths) > 40
    assert non_public_imports(paths) == []


def test_an_import_of_a_library_internal_is_caught(tmp_path: Path) -> None:
    """Internal modules, names outside ``__all__`` and plain imports are all refused."""
    tool = tmp_path / "tool.py"
    tool.write_text(
        f"from {LIBRARY}.v05.codec import now_ms\n"
        f"from {LIBRARY} import keccak256, Signer\n"
        f"from {LIBRARY}.v1 import pack_state\n"
        f"import {LIBRARY}.signing\n"
    )
    assert non_public_imports([tool]) == [
        f"tool.py:1 imports the internal module {LIBRARY}.v05.codec",
        f"tool.py:2 imports keccak256 from {LIBRARY}, not in __all__",
        f"tool.py:4 imports the internal module {LIBRARY}.signing",
    ]


def test_the_library_never_imports_home_assistant() -> None:
    """The library is meant to be published on its own, like aiontfy."""
    imported = third_party_modules(python_files(LIBRARY_DIR), FIRST_PARTY)
    assert "homeassistant" not in imported
    assert "aiohttp" in imported


def test_the_library_declares_exactly_what_it_imports() -> None:
    """Its dependencies are the distributions of its imports, with the needed extras."""
    imported = distributions(
        third_party_modules(python_files(LIBRARY_DIR), FIRST_PARTY)
    )
    declared = requirements(library_metadata()["project"]["dependencies"])
    assert set(declared) == imported
    for name, requirement in declared.items():
        assert requirement.specifier.contains(importlib.metadata.version(name)), name
        assert requirement.extras == needed_extras(name), name


def test_the_library_builds_as_its_own_package() -> None:
    """The build lists every package directory, under the name it is published as."""
    setuptools = library_metadata()["tool"]["setuptools"]
    ((name, source),) = setuptools["package-dir"].items()
    assert source == "."
    expected = sorted(
        ".".join([name, *path.parent.relative_to(LIBRARY_DIR).parts])
        for path in LIBRARY_DIR.rglob("__init__.py")
    )
    assert sorted(setuptools["packages"]) == expected
    assert setuptools["package-data"] == {name: ["py.typed"]}
    assert (LIBRARY_DIR / "py.typed").exists()


def test_the_library_works_under_another_name(tmp_path: Path) -> None:
    """A copy named as the published package imports without the integration's path."""
    (name,) = library_metadata()["tool"]["setuptools"]["package-dir"]
    shutil.copytree(
        LIBRARY_DIR, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__")
    )
    script = (
        f"import sys, {name}, {name}.v05, {name}.v1\n"
        f"assert {name}.ClearNodeClient.__module__ == '{name}.v05.client'\n"
        "print(sorted(m for m in sys.modules if m.startswith('custom_components')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_manifest_requires_exactly_what_the_integration_imports() -> None:
    """Pinned to the installed versions, minus what Home Assistant itself provides."""
    imported = distributions(
        third_party_modules(python_files(INTEGRATION_DIR), FIRST_PARTY)
    )
    expected = imported - dependency_closure("homeassistant")
    manifest = json.loads((INTEGRATION_DIR / "manifest.json").read_text())
    declared = requirements(manifest["requirements"])
    assert set(declared) == expected
    assert "eth-account" not in declared
    for name, requirement in declared.items():
        assert str(requirement.specifier) == f"=={importlib.metadata.version(name)}"
        assert requirement.extras == needed_extras(name), name


def test_the_test_environments_install_what_the_manifest_requires() -> None:
    """Both pinned test environments list the manifest's requirements verbatim."""
    manifest = json.loads((INTEGRATION_DIR / "manifest.json").read_text())
    for name in ("requirements_test.txt", "requirements_test_min.txt"):
        lines = (REPOSITORY / name).read_text().splitlines()
        assert set(manifest["requirements"]) <= set(lines), name
