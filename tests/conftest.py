"""Fixtures shared by the test modules: fresh registry trees, isolation of process state, and
helpers for the converter tests (write MMEngine configs, convert them, compose the result)."""

from __future__ import annotations

import math
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hydrareg.registry import Registry, default_scope
from hydrareg.registry.default_scope import DefaultScope
from hydrareg.registry.root import ROOT_REGISTRIES

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread (and 2 threads crawl on a busy 2-core machine)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def isolated_default_scope() -> Iterator[None]:
    """No test sees another test's default scope, named DefaultScope instances or context switch."""
    saved_instances = dict(DefaultScope._instances)
    saved_latest = DefaultScope._latest
    mmengine_scopes = sys.modules.get("mmengine.registry")  # MMEngine's, when a test loaded it
    saved_mmengine = None if mmengine_scopes is None else dict(mmengine_scopes.DefaultScope._instance_dict)
    token = default_scope._current.set(None)
    yield
    default_scope._current.reset(token)
    DefaultScope._instances.clear()
    DefaultScope._instances.update(saved_instances)
    DefaultScope._latest = saved_latest
    if saved_mmengine is not None:
        mmengine_scopes.DefaultScope._instance_dict.clear()
        mmengine_scopes.DefaultScope._instance_dict.update(saved_mmengine)


# Registrations from these packages happen through lazy ``locations`` and are process state to keep.
_LIBRARY_PREFIXES = ("hydrareg.", "hydrareg_zoo.", "torch.", "torch", "mmengine.", "mmlike_det.")


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


# -- hydrareg convert: write MMEngine configs, convert them, compose the result ----------------------


def strict(value: Any) -> Any:
    """A form of ``value`` whose ``==`` is type-strict (1, 1.0, True differ) and tuple-blind."""
    if isinstance(value, dict):
        return ("dict", sorted((strict(k), strict(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("list", [strict(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def assert_same(got: Any, expected: Any) -> None:
    """``got == expected`` as MMEngine's dict and a composed config are compared."""
    assert strict(got) == strict(expected), f"\ngot:      {got!r}\nexpected: {expected!r}"


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: dedented source}`` under ``root``; return ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def compose(outdir: Path, name: str, overrides: Iterable[str] = ()) -> dict[str, Any]:
    """Compose ``name`` from ``outdir`` with Hydra's compose API and resolve it, like the scorer."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    GlobalHydra.instance().clear()
    from patch_modes import plain_merge_may_fail, skip_if_delete_unapplied

    with initialize_config_dir(config_dir=str(outdir), version_base="1.3"), plain_merge_may_fail(outdir):
        cfg = hydra_compose(config_name=name, overrides=list(overrides))
    skip_if_delete_unapplied(cfg)  # HYDRAREG_PATCHES=0: _delete_ is refused, not applied
    return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)  # type: ignore[return-value]


@pytest.fixture
def convert(tmp_path: Path) -> Callable[..., tuple[Any, Path]]:
    """``convert(files, **options)``: write the configs, convert the tree; (report, outdir)."""
    from hydrareg.convert import convert_tree

    def run(files: dict[str, str], **options: Any) -> tuple[Any, Path]:
        src = write_tree(tmp_path / "configs", files)
        out = tmp_path / "out"
        return convert_tree(str(src), str(out), **options), out

    return run


@pytest.fixture
def converted(
    convert: Callable[..., tuple[Any, Path]],
) -> Callable[..., Callable[..., dict[str, Any]]]:
    """``converted(files)``: convert (asserting success); return ``compose(name, overrides)``."""

    def run(files: dict[str, str], **options: Any) -> Callable[..., dict[str, Any]]:
        report, out = convert(files, **options)
        assert not report.failed, {k: str(v) for k, v in report.failed.items()}
        return lambda name, overrides=(): compose(out, name, overrides)

    return run


def read_yaml(out: Path, name: str) -> str:
    return (out / (name + ".yaml")).read_text(encoding="utf-8")


CORPUS = REPO.parent / "shared" / "corpus"


def corpus_or_skip() -> Path:
    """The shared corpus (``<repo>/../shared/corpus``), or skip the test saying why."""
    if not (CORPUS / "score_converter.py").is_file():
        pytest.skip(f"the MMEngine config corpus is not at {CORPUS}")
    return CORPUS
