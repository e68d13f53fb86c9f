"""The modules of hydrareg.registry import each other as a tree (a DAG), never in a circle.

Every import counts, also those inside functions (a lazy import is still a dependency); only
imports under ``if TYPE_CHECKING:`` are left out, since they never run.
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hydrareg" / "registry"
MODULES = sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__")


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _sibling_imports(module: str) -> set[str]:
    """The modules of hydrareg.registry that ``module`` imports anywhere outside TYPE_CHECKING."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if _is_type_checking_block(node):
            continue
        if isinstance(node, ast.ImportFrom):
            found |= _targets(node)
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[2] for alias in node.names if _in_package(alias.name)}
        stack.extend(ast.iter_child_nodes(node))
    return found - {"__init__"}


def _in_package(name: str) -> bool:
    return name.startswith("hydrareg.registry.")


def _targets(node: ast.ImportFrom) -> set[str]:
    if node.level == 1 and node.module:
        return {node.module.split(".")[0]}
    if node.level == 1:  # from . import a, b
        return {alias.name for alias in node.names}
    if node.level == 0 and node.module and _in_package(node.module):
        return {node.module.split(".")[2]}
    return set()


def _graph() -> dict[str, set[str]]:
    return {module: _sibling_imports(module) for module in MODULES}


def test_the_registry_modules_import_each_other_without_a_cycle():
    graph = _graph()
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle among hydrareg.registry modules: {' -> '.join(exc.args[1])}")
    assert set(order) >= set(MODULES)


def test_the_layers_are_the_documented_ones():
    """The scope switch sits below the registry; build functions sit above it."""
    graph = _graph()
    assert "registry" not in graph["scope"] and "build_functions" not in graph["registry"]
    assert {"registry", "scope"} <= graph["build_functions"]
    assert "root" not in graph["registry"]


def test_the_cycle_check_sees_a_lazy_import(tmp_path, monkeypatch):
    """The checker is not vacuous: an import inside a function is an edge."""
    (tmp_path / "a.py").write_text("def f():\n    from .b import x\n")
    (tmp_path / "b.py").write_text("from .a import f\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path)
    assert _sibling_imports("a") == {"b"} and _sibling_imports("b") == {"a"}
    with pytest.raises(graphlib.CycleError):
        list(graphlib.TopologicalSorter({"a": {"b"}, "b": {"a"}}).static_order())


@pytest.mark.parametrize("module", ["scope", "tree", "manager", "registry", "build_functions"])
def test_each_layer_imports_first_in_a_fresh_interpreter(module):
    code = f"import hydrareg.registry.{module} as m; print(m.__name__)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
