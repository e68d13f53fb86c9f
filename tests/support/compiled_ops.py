"""Stand-ins for the two compiled extension modules that ``mmdet.models`` and ``mmpretrain.models`` import
and that a CPU-only machine without a C++ build cannot load; nothing else is stood in for.

- ``mmcv._ext``: mmcv's compiled ops. ``mmcv-lite`` is mmcv's Python code without them, and mmcv's op
  modules look their functions up in ``mmcv._ext`` at import time. The stand-in answers every such lookup
  with a function that raises :class:`NotImplementedError` naming the op when it is called.
- ``torchvision._C``: PyPI's torchvision wheels are linked against CUDA builds of torch and do not load
  beside the CPU build. The demo zoo already has that stand-in (``hydrareg_zoo/common/torchvision_ops.py``:
  the two operators torchvision needs declared at import, with kernels that raise); it is used here too.

Each stand-in is installed only where the real module cannot be found or loaded, so a real mmcv build or a
matching torchvision always wins. Every line of Python of mmcv, mmdet, mmpretrain, mmengine and torchvision
that runs is the real one.

``python tests/support/compiled_ops.py SCRIPT [ARGS...]`` runs a script (``run.py``) with the stand-ins.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import types
from collections.abc import Callable
from typing import Any

MMCV_EXT = "mmcv._ext"
TORCHVISION_C = "torchvision._C"

SOURCE = "tests/support/compiled_ops.py"  # named in messages: this module also runs as __main__


class MmcvExtStandIn(types.ModuleType):
    """``mmcv._ext`` without compiled code: every op name exists, and calling one raises."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return _refusing_op(name)


def _refusing_op(name: str) -> Callable[..., Any]:
    def op(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{MMCV_EXT}.{name} is a compiled op of mmcv, and this mmcv has none (mmcv-lite); "
            f"{MMCV_EXT} is a stand-in from hydrareg's {SOURCE}. Install mmcv built with its ops to run it."
        )

    op.__name__ = op.__qualname__ = name
    return op


class _MmcvExtFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``import mmcv._ext`` with the stand-in; it sits last on ``sys.meta_path``."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != MMCV_EXT:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=f"stand-in ({SOURCE})")

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return MmcvExtStandIn(spec.name, __doc__)

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the module answers lookups itself."""


def _package_file(package: str, module: str) -> str | None:
    """The file of ``package.module`` if the installed package has one, without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    found = importlib.machinery.PathFinder.find_spec(f"{package}.{module}", spec.submodule_search_locations)
    return found.origin if found is not None else None


def install_mmcv_ext() -> bool:
    """Make ``mmcv._ext`` importable where mmcv is installed without it; True if the stand-in is in use."""
    if any(isinstance(finder, _MmcvExtFinder) for finder in sys.meta_path):
        return True
    if importlib.util.find_spec("mmcv") is None or _package_file("mmcv", "_ext") is not None:
        return False
    sys.meta_path.append(_MmcvExtFinder())
    return True


def install_torchvision_ops() -> bool:
    """The demo zoo's stand-in for torchvision's ``_C``, where that does not load; True if it is in use."""
    from hydrareg_zoo.common.torchvision_ops import ensure_torchvision_importable, standin_active

    ensure_torchvision_importable()
    return standin_active()


def install() -> list[str]:
    """Install the stand-ins this environment needs, before mmcv or torchvision is imported; their names."""
    used = []
    if install_mmcv_ext():
        used.append(MMCV_EXT)
    if install_torchvision_ops():
        used.append(TORCHVISION_C)
    return used


def run_script(argv: list[str]) -> None:
    """Run ``argv[0]`` as ``python SCRIPT ARGS...`` would, with the stand-ins this environment needs."""
    script = os.path.abspath(argv[0])
    sys.argv = [script, *argv[1:]]
    sys.path[0] = os.path.dirname(script)
    install()
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(f"usage: python {sys.argv[0]} SCRIPT [ARGS...]")
    run_script(sys.argv[1:])
