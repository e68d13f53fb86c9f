"""``Sequential``: the ``torch.nn.Sequential`` subclass that a list of model configs builds into.

torch is imported the first time the class is used, never when hydrareg is imported; the class is
still picklable (``torch.save``) because it is reachable as ``hydrareg.registry.sequential.Sequential``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Sequential"]  # noqa: F822 (created on first access, see __getattr__)


def __getattr__(name: str) -> Any:
    if name != "Sequential":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    cls = _make_sequential()
    globals()["Sequential"] = cls
    return cls


def _make_sequential() -> type:
    import torch.nn as nn

    class Sequential(nn.Sequential):
        """An ``nn.Sequential`` built by ``build_model_from_cfg`` from a list of configs."""

    Sequential.__module__ = __name__
    Sequential.__qualname__ = "Sequential"
    return Sequential
