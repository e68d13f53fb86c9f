"""Shared model building blocks, playing the part of mmcv and ``mmengine.model``.

``BaseModule`` and the weight initialisers (``init_cfg``), ``ConvModule`` and mmcv's layer names
(``BN``, ``GN``, ``LN``, ``Swish``, ``HSwish``, ...) registered into the root ``MODELS``, box ops
(``box_iou``, ``batched_nms``) and the ``${backbone_channels:...}`` resolver.

Importing this package does not import torch: the names below are loaded on first access, so
``hydrareg_zoo.common.resolvers`` stays cheap to import from ``hydrareg_zoo/__init__.py``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BaseModule": "base_module",
    "BaseBackbone": "backbone",
    "LayerSequenceBackbone": "backbone",
    "ConvModule": "conv_module",
    "DepthwiseSeparableConvModule": "conv_module",
    "build_activation_layer": "layers",
    "build_conv_layer": "layers",
    "build_norm_layer": "layers",
    "DropPath": "layers",
    "HSigmoid": "layers",
    "LayerNorm2d": "layers",
    "Pretrained": "weight_init",
    "Kaiming": "weight_init",
    "Normal": "weight_init",
    "Constant": "weight_init",
    "Xavier": "weight_init",
    "load_checkpoint": "weight_init",
    "box_iou": "ops",
    "nms": "ops",
    "batched_nms": "ops",
    "backbone_channels": "resolvers",
    "register_resolvers": "resolvers",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
