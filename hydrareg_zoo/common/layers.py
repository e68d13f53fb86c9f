"""mmcv's layer names in the root ``MODELS`` and the builders that read ``norm_cfg``/``act_cfg``.

mmcv configs write ``norm_cfg=dict(type='BN')`` and ``act_cfg=dict(type='Swish')``; the aliases
below make those names resolve from every scope (the root registry is every library's parent).
Names already taken in the root ``MODELS`` are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from hydrareg.configdict import config_path_of
from hydrareg.registry import MODELS, Registry, resolve_type

from ._cfg import copy_cfg, require_type

__all__ = [
    "DropPath",
    "HSigmoid",
    "LayerNorm2d",
    "build_activation_layer",
    "build_conv_layer",
    "build_norm_layer",
]


class HSigmoid(nn.Module):
    """mmcv's hard sigmoid ``clamp((x + bias) / divisor, min_value, max_value)`` (SE gates)."""

    def __init__(
        self,
        bias: float = 3.0,
        divisor: float = 6.0,
        min_value: float = 0.0,
        max_value: float = 1.0,
    ) -> None:
        super().__init__()
        if divisor == 0:
            raise ValueError("HSigmoid: divisor must not be 0")
        self.bias, self.divisor = bias, divisor
        self.min_value, self.max_value = min_value, max_value

    def forward(self, x: Tensor) -> Tensor:
        return ((x + self.bias) / self.divisor).clamp(self.min_value, self.max_value)


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of a ``[B, C, H, W]`` map (ConvNeXt's channels-first norm)."""

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4:
            raise ValueError(f"LayerNorm2d expects [B, C, H, W], got shape {tuple(x.shape)}")
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class DropPath(nn.Module):
    """Stochastic depth: drop a whole residual branch per sample while training."""

    def __init__(self, drop_prob: float = 0.0) -> None:
        super().__init__()
        if not 0.0 <= drop_prob < 1.0:
            raise ValueError(f"DropPath: drop_prob must be in [0, 1), got {drop_prob}")
        self.drop_prob = drop_prob

    def forward(self, x: Tensor) -> Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep = 1.0 - self.drop_prob
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask / keep

    def extra_repr(self) -> str:
        return f"drop_prob={self.drop_prob}"


_ALIASES: dict[str, type] = {
    "Conv": nn.Conv2d,
    "BN": nn.BatchNorm2d,
    "BN1d": nn.BatchNorm1d,
    "BN2d": nn.BatchNorm2d,
    "SyncBN": nn.BatchNorm2d,  # one CPU process: synchronising across devices is a no-op
    "GN": nn.GroupNorm,
    "LN": nn.LayerNorm,
    "LN2d": LayerNorm2d,
    "IN": nn.InstanceNorm2d,
    "Swish": nn.SiLU,
    "HSwish": nn.Hardswish,
    "HSigmoid": HSigmoid,
    "DropPath": DropPath,
}


def register_layer_aliases(registry: Registry = MODELS) -> None:
    """Register mmcv's names for torch layers, skipping any name already taken."""
    registry.import_from_location()
    for name, layer in _ALIASES.items():
        if name not in registry.module_dict:
            registry.register_module(name=name, module=layer)


register_layer_aliases()


def _channel_argument(layer_cls: Any) -> str:
    """The constructor argument that takes the channel count for a norm layer class."""
    if isinstance(layer_cls, type) and issubclass(layer_cls, nn.GroupNorm):
        return "num_channels"
    if isinstance(layer_cls, type) and issubclass(layer_cls, nn.LayerNorm):
        return "normalized_shape"
    return "num_features"


def build_norm_layer(cfg: Mapping[str, Any], num_features: int, registry: Registry = MODELS) -> nn.Module:
    """A norm layer over ``num_features`` channels from ``cfg`` (``{'type': 'BN', ...}``)."""
    cfg = copy_cfg(cfg, "norm_cfg")
    layer_cls = resolve_type(require_type(cfg), registry, config_path_of(cfg))
    cfg.setdefault(_channel_argument(layer_cls), num_features)
    return registry.build(cfg)


def build_activation_layer(cfg: Mapping[str, Any], registry: Registry = MODELS) -> nn.Module:
    """An activation from ``cfg`` (``{'type': 'ReLU'}``, ``{'type': 'Swish'}``, ...)."""
    cfg = copy_cfg(cfg, "act_cfg")
    require_type(cfg)
    return registry.build(cfg)


def build_conv_layer(
    cfg: Mapping[str, Any] | None, *args: Any, registry: Registry = MODELS, **kwargs: Any
) -> nn.Module:
    """A convolution from ``cfg`` (``None`` means ``Conv2d``), called with ``args``/``kwargs``."""
    if cfg is None:
        return nn.Conv2d(*args, **kwargs)
    cfg = copy_cfg(cfg, "conv_cfg")
    layer_cls = resolve_type(require_type(cfg), registry, config_path_of(cfg))
    options = {key: value for key, value in cfg.items() if key != "type"}
    return layer_cls(*args, **kwargs, **options)


def is_norm(module: nn.Module) -> bool:
    """True for the normalisation layers ``norm_eval`` and ``frozen_stages`` care about."""
    return isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm))


def set_bn_eval(module: nn.Module) -> None:
    """Put every BatchNorm under ``module`` in eval mode (frozen running statistics)."""
    for layer in module.modules():
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            layer.eval()


def freeze(module: nn.Module) -> None:
    """Stop gradients into ``module`` and freeze its BatchNorm statistics."""
    module.eval()
    for param in module.parameters():
        param.requires_grad = False


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of ``divisor`` without dropping more than 10%."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded
