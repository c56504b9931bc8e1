"""The package's shape: imports run one way, no import circles (type-only imports
included), short functions (in ``benchmarks/`` too), the files a Python package is
expected to carry; and the results layer's: no page script imports another, or a private
name of the package."""

from __future__ import annotations

import ast
import configparser
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "neurn_keras"
SCRIPTS = ROOT / "benchmarks"
LONGEST_FUNCTION = 100


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path
    for folder in (PACKAGE, SCRIPTS)
    for path in sorted(folder.rglob("*.py"))
}


def resolve(name: str) -> str | None:
    """The package module that ``import name`` loads (``a.b.c`` -> ``a.b`` if ``c`` is a name)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """The project's modules ``module`` imports anywhere in its body (functions included,
    and under ``if TYPE_CHECKING:`` too: a type-only circle is still a circle)."""
    path = MODULES[module]
    is_package = path.name == "__init__.py"
    found = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.update(resolve(alias.name) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = module.split(".")[: len(module.split(".")) - child.level + is_package]
                    base = ".".join([*parts, base] if base else parts)
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    found.add(full if full in MODULES else resolve(base))
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {name for name in found if name and name != module}


GRAPH = {module: imports_of(module) for module in MODULES}


def related(a: str, b: str) -> bool:
    """A package and one of its own modules (``__init__`` re-exporting, a module reading
    its package's names): Python resolves those, they are not circles between concerns."""
    return a.startswith(b + ".") or b.startswith(a + ".")


def is_command_stub(module: str) -> bool:
    """A ``python -m`` entry point: only imports, and the ``if __name__ == "__main__"`` call."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            continue
        return False
    return True


def test_only_the_command_line_and_its_stubs_import_the_command_line():
    outside = sorted(
        (module, target)
        for module, targets in GRAPH.items()
        for target in targets
        if target.startswith("neurn_keras.cli")
        and not module.startswith("neurn_keras.cli")
        and not is_command_stub(module)
    )
    assert outside == []


def test_a_stub_is_recognized_and_the_library_is_not_one():
    assert is_command_stub("neurn_keras.train")
    assert is_command_stub("neurn_keras.cortex.__main__")
    assert not is_command_stub("neurn_keras.training.run")


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def connect(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in graph:
        if node not in index:
            connect(node)
    return components


def test_no_import_circle():
    graph = {m: {t for t in targets if not related(m, t)} for m, targets in GRAPH.items()}
    assert strongly_connected(graph) == []


def test_the_circle_finder_finds_a_circle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


SHARED_SCRIPTS = {"benchmarks.results", "benchmarks._grid", "benchmarks._throughput"}
"""What page scripts share; every other module of ``benchmarks`` is a script of its own."""


def test_no_page_script_imports_another():
    crossing = sorted(
        (module, target)
        for module, targets in GRAPH.items()
        if module.startswith("benchmarks.")
        for target in targets
        if target.startswith("benchmarks.") and target not in SHARED_SCRIPTS
    )
    assert crossing == [], "move what they share into benchmarks/results.py"


def private_names(path: Path) -> list[str]:
    """Names of neurn_keras starting with ``_`` that a file imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("neurn_keras"):
            parts = node.module.split(".") + [alias.name for alias in node.names]
            found += [f"{node.module}: {p}" for p in parts if p.startswith("_")]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names
                      if a.name.startswith("neurn_keras") and "._" in a.name]  # fmt: skip
    return found


def test_the_scripts_use_only_public_names_of_the_package():
    used = {m: private_names(p) for m, p in MODULES.items() if m.startswith("benchmarks.")}
    assert {m: names for m, names in used.items() if names} == {}


def test_a_private_import_is_found():
    assert private_names(PACKAGE / "training" / "run.py") == []
    assert private_names(PACKAGE / "cli" / "__init__.py") == ["neurn_keras._startup: _startup"]


def test_no_function_is_longer_than_a_reader_can_hold():
    long = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > LONGEST_FUNCTION:
                    long.append(f"{module}.{node.name}: {lines} lines")
    assert long == []


@pytest.mark.parametrize("name", ["LICENSE", "CITATION.cff", "CHANGELOG.md"])
def test_the_package_files_are_there(name):
    assert (ROOT / name).is_file()


def test_the_license_file_matches_the_metadata_and_py_typed_ships():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    assert setup["metadata"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert (PACKAGE / "py.typed").is_file()
    assert "py.typed" in setup["options.package_data"]["neurn_keras"]


def test_the_citation_names_the_paper_and_the_package_version():
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    version = re.search(r"^version: (\S+)$", citation, re.MULTILINE)
    assert version and version.group(1) == setup["metadata"]["version"]
    paper = citation.split("preferred-citation:", 1)[1]
    assert "Mice to Machines" in paper and "arXiv:2505.06886" in paper


BUILTIN_ERRORS = {"ValueError", "TypeError", "KeyError", "FileNotFoundError", "OSError",
                  "ConnectionError", "IndexError"}  # fmt: skip


def test_every_library_error_is_a_neurn_error():
    """Bad input is raised as a ``neurn_keras.errors`` class (which also derives from the
    built-in one), never as a bare built-in error."""
    bare = []
    for module, path in MODULES.items():
        if not module.startswith("neurn_keras"):
            continue  # the scripts are not the library
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                name = ast.unparse(node.exc.func)
                if name in BUILTIN_ERRORS:
                    bare.append(f"{module}:{node.lineno} raises {name}")
    assert bare == []
