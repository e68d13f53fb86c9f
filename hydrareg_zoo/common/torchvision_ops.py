"""A stand-in for torchvision's compiled operator library, used only where that library cannot load.

``timm`` imports ``torchvision``. The torchvision wheel on the package index is built against
CUDA torch; beside the CPU build of torch its compiled ``_C`` extension fails to load
(``libc10_cuda.so: cannot open shared object file``). torchvision's Python code then still
imports, except that it attaches fake (shape-only) kernels to two operators the failed library
would have declared, ``torchvision::nms`` and ``torchvision::qnms``, and that raises
``operator torchvision::nms does not exist``.

:func:`ensure_torchvision_importable` declares those operators, and nothing else, when and only
when the compiled library cannot be loaded. Their kernels raise: torchvision's own ops keep
reporting that the compiled ops are missing (``torchvision.extension._has_ops()`` stays False),
so nothing computes a wrong answer. With a torchvision that matches its torch (the normal case
on any other machine) this function does nothing.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

__all__ = ["ensure_torchvision_importable", "standin_active"]

log = logging.getLogger(__name__)

#: The operators torchvision's Python code registers fake kernels for unconditionally.
_DECLARED_BY_PYTHON = ("nms", "qnms")
_SCHEMA = "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor"
_LIBRARY = []  # keeps the torch.library.Library alive for the life of the process


def standin_active() -> bool:
    """True once this process declared the stand-in operators."""
    return bool(_LIBRARY)


def ensure_torchvision_importable() -> None:
    """Declare torchvision's two operators if its compiled library cannot load; idempotent."""
    if _LIBRARY or _compiled_library_loads():
        return
    import torch

    library = torch.library.Library("torchvision", "DEF")
    for name in _DECLARED_BY_PYTHON:
        library.define(name + _SCHEMA)
        library.impl(name, _missing_kernel(name), "CompositeExplicitAutograd")
    _LIBRARY.append(library)
    log.info("torchvision's compiled ops do not load beside this torch; declared a stand-in for them")


def _compiled_library_loads() -> bool:
    """Whether torchvision is absent, already imported, or its ``_C`` library loads here."""
    import sys

    if "torchvision" in sys.modules:
        return True
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return True  # not installed: timm's own import error will say so
    candidates = sorted(Path(next(iter(spec.submodule_search_locations))).glob("_C*.so"))
    if not candidates:
        return True
    import torch

    try:
        torch.ops.load_library(str(candidates[0]))
    except (OSError, RuntimeError):
        return False
    return True


def _missing_kernel(name: str):
    def kernel(*args, **kwargs):
        raise RuntimeError(
            f"torchvision::{name} needs torchvision's compiled ops, which do not load beside this "
            "torch build (install a torchvision built for it)"
        )

    return kernel
