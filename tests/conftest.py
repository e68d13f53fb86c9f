"""Helpers for the converter tests: write configs, convert them, compose the result with Hydra."""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest


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
    with initialize_config_dir(config_dir=str(outdir), version_base="1.3"):
        cfg = hydra_compose(config_name=name, overrides=list(overrides))
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


CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def corpus_or_skip() -> Path:
    """The shared corpus (``<repo>/../shared/corpus``), or skip the test saying why."""
    if not (CORPUS / "score_converter.py").is_file():
        pytest.skip(f"the MMEngine config corpus is not at {CORPUS}")
    return CORPUS


os.environ.setdefault("HYDRA_FULL_ERROR", "1")
