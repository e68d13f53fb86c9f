"""Fixtures shared by the test modules: fresh registry trees, and isolation of process state."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hydrareg.registry import Registry, default_scope
from hydrareg.registry.default_scope import DefaultScope
from hydrareg.registry.root import ROOT_REGISTRIES

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_default_scope() -> Iterator[None]:
    """No test sees another test's default scope, named DefaultScope instances or context switch."""
    saved_instances = dict(DefaultScope._instances)
    saved_latest = DefaultScope._latest
    token = default_scope._current.set(None)
    yield
    default_scope._current.reset(token)
    DefaultScope._instances.clear()
    DefaultScope._instances.update(saved_instances)
    DefaultScope._latest = saved_latest


# Registrations from these packages happen through lazy ``locations`` and are process state to keep.
_LIBRARY_PREFIXES = ("hydrareg.", "hydrareg_zoo.", "torch.", "torch")


@pytest.fixture(autouse=True)
def isolated_root_registries() -> Iterator[None]:
    """Registrations that test code makes in the root registries' trees are undone afterwards.

    Names registered by the libraries' own lazy imports during the test stay: those modules are
    imported once per process and would not register again.
    """
    saved = {id(node): (node, dict(node.module_dict)) for node in _all_nodes()}
    yield
    for node, entries in saved.values():
        for name, obj in list(node.module_dict.items()):
            if name in entries:
                node.module_dict[name] = entries[name]
            elif not str(getattr(obj, "__module__", "")).startswith(_LIBRARY_PREFIXES):
                del node.module_dict[name]


def _all_nodes() -> Iterator[Registry]:
    def walk(node: Registry) -> Iterator[Registry]:
        yield node
        for child in list(node.children.values()):
            yield from walk(child)

    for root in ROOT_REGISTRIES.values():
        yield from walk(root)


@pytest.fixture
def tree() -> dict[str, Registry]:
    """A fresh tree shaped like MMEngine's tests: root 'pet', children 'dog'/'cat', grandchild 'puppy'."""
    root = Registry("animal", scope="pet")
    dog = Registry("animal", parent=root, scope="dog")
    cat = Registry("animal", parent=root, scope="cat")
    puppy = Registry("animal", parent=dog, scope="puppy")
    return {"pet": root, "dog": dog, "cat": cat, "puppy": puppy}


@pytest.fixture
def syspath(tmp_path: Path) -> Iterator[Path]:
    """``tmp_path`` on ``sys.path`` for temporary packages; their modules are forgotten afterwards."""
    before = set(sys.modules)
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        if module is not None and str(getattr(module, "__file__", "") or "").startswith(str(tmp_path)):
            del sys.modules[name]


def write_module(root: Path, dotted: str, source: str) -> Path:
    """Write ``source`` as module ``dotted`` under ``root`` (creating packages on the way)."""
    parts = dotted.split(".")
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        folder.mkdir(exist_ok=True)
        (folder / "__init__.py").touch()
    path = folder / f"{parts[-1]}.py"
    path.write_text(source)
    return path
