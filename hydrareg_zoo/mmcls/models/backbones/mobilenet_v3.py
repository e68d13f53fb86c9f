"""MobileNetV3 (Howard et al., 2019), small and large, with any layer as an output."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

from hydrareg.errors import ConfigValueError

from ....common.backbone import LayerSequenceBackbone, normalize_indices
from ....common.base_module import InitCfg
from ....common.conv_module import ConvModule
from ...registry import MODELS
from ..utils import InvertedResidual

__all__ = ["MobileNetV3"]

_BN = {"type": "BN", "eps": 0.001, "momentum": 0.01}

# One row per inverted-residual block, from the paper's tables 1 and 2:
# kernel size, expanded (mid) channels, output channels, squeeze-excite, activation, stride.
_SMALL = [
    (3, 16, 16, True, "ReLU", 2),
    (3, 72, 24, False, "ReLU", 2),
    (3, 88, 24, False, "ReLU", 1),
    (5, 96, 40, True, "HSwish", 2),
    (5, 240, 40, True, "HSwish", 1),
    (5, 240, 40, True, "HSwish", 1),
    (5, 120, 48, True, "HSwish", 1),
    (5, 144, 48, True, "HSwish", 1),
    (5, 288, 96, True, "HSwish", 2),
    (5, 576, 96, True, "HSwish", 1),
    (5, 576, 96, True, "HSwish", 1),
]
_LARGE = [
    (3, 16, 16, False, "ReLU", 1),
    (3, 64, 24, False, "ReLU", 2),
    (3, 72, 24, False, "ReLU", 1),
    (5, 72, 40, True, "ReLU", 2),
    (5, 120, 40, True, "ReLU", 1),
    (5, 120, 40, True, "ReLU", 1),
    (3, 240, 80, False, "HSwish", 2),
    (3, 200, 80, False, "HSwish", 1),
    (3, 184, 80, False, "HSwish", 1),
    (3, 184, 80, False, "HSwish", 1),
    (3, 480, 112, True, "HSwish", 1),
    (3, 672, 112, True, "HSwish", 1),
    (5, 672, 160, True, "HSwish", 2),
    (5, 960, 160, True, "HSwish", 1),
    (5, 960, 160, True, "HSwish", 1),
]


@MODELS.register_module()
class MobileNetV3(LayerSequenceBackbone):
    """MobileNetV3 backbone with layers ``layer0`` (stem) .. ``layerN`` (final 1x1 conv).

    Small has layers 0-12 (stride-8/16/32 outputs at 3, 8 and 11 or 12, with 24, 48 and 96 or
    576 channels); large has layers 0-16. ``out_indices`` picks any of them, in any order.

    Args:
        arch: ``'small'`` or ``'large'``.
        out_indices: Layers to return; defaults to the last layer.
        frozen_stages: -1 none; ``k`` freezes ``layer0..layerk``.
    """

    arch_settings = {"small": (_SMALL, 576), "large": (_LARGE, 960)}

    def __init__(
        self,
        arch: str = "small",
        in_channels: int = 3,
        out_indices: Sequence[int] | None = None,
        frozen_stages: int = -1,
        norm_cfg: Mapping[str, Any] = _BN,
        norm_eval: bool = False,
        init_cfg: InitCfg = (
            {"type": "Kaiming", "layer": ["Conv2d"], "nonlinearity": "leaky_relu"},
            {"type": "Normal", "layer": ["Linear"], "std": 0.01},
            {"type": "Constant", "layer": ["_BatchNorm"], "val": 1.0},
        ),
    ) -> None:
        super().__init__(frozen_stages, norm_eval, init_cfg)
        if arch not in self.arch_settings:
            raise ConfigValueError(
                f"MobileNetV3: arch must be one of {sorted(self.arch_settings)}, got {arch!r}"
            )
        settings, last_channels = self.arch_settings[arch]
        self.arch = arch
        self.layer_names: list[str] = []
        layer_channels = [16]
        self._add_layer(ConvModule(in_channels, 16, 3, 2, 1, norm_cfg=norm_cfg, act_cfg={"type": "HSwish"}))
        channels = 16
        for kernel, mid, out, with_se, act, stride in settings:
            self._add_layer(
                InvertedResidual(
                    channels,
                    out,
                    mid,
                    kernel,
                    stride,
                    with_se,
                    norm_cfg=norm_cfg,
                    act_cfg={"type": act},
                )
            )
            layer_channels.append(out)
            channels = out
        self._add_layer(ConvModule(channels, last_channels, 1, norm_cfg=norm_cfg, act_cfg={"type": "HSwish"}))
        layer_channels.append(last_channels)
        count = len(self.layer_names)
        self.out_indices = normalize_indices(
            count - 1 if out_indices is None else out_indices, count, "MobileNetV3"
        )
        self.out_channels = [layer_channels[i] for i in self.out_indices]
        self._check_frozen_stages()
        self._freeze_stages()

    def _add_layer(self, layer: nn.Module) -> None:
        name = f"layer{len(self.layer_names)}"
        self.add_module(name, layer)
        self.layer_names.append(name)
