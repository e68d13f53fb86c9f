"""ConvNeXt (Liu et al., 2022): a ResNet modernised with large depthwise kernels and LayerNorm."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from hydrareg.errors import ConfigValueError

from ....common.backbone import BaseBackbone, normalize_indices
from ....common.base_module import InitCfg
from ....common.layers import DropPath, build_activation_layer, build_norm_layer
from ...registry import MODELS

__all__ = ["ConvNeXt", "ConvNeXtBlock"]

_LN2D = {"type": "LN2d", "eps": 1e-6}
_GELU = {"type": "GELU"}


class ConvNeXtBlock(nn.Module):
    """7x7 depthwise conv, LayerNorm, an inverted MLP (4x) and a scaled, droppable residual."""

    def __init__(
        self,
        channels: int,
        drop_path_rate: float = 0.0,
        layer_scale_init_value: float = 1e-6,
        mlp_ratio: int = 4,
        norm_cfg: Mapping[str, Any] = _LN2D,
        act_cfg: Mapping[str, Any] = _GELU,
    ) -> None:
        super().__init__()
        self.depthwise_conv = nn.Conv2d(channels, channels, 7, padding=3, groups=channels)
        self.norm = build_norm_layer(norm_cfg, channels)
        self.pointwise_conv1 = nn.Linear(channels, mlp_ratio * channels)
        self.act = build_activation_layer(act_cfg)
        self.pointwise_conv2 = nn.Linear(mlp_ratio * channels, channels)
        self.gamma = (
            nn.Parameter(torch.full((channels,), float(layer_scale_init_value)))
            if layer_scale_init_value > 0
            else None
        )
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x
        x = self.norm(self.depthwise_conv(x)).permute(0, 2, 3, 1)  # channels last for the MLP
        x = self.pointwise_conv2(self.act(self.pointwise_conv1(x)))
        if self.gamma is not None:
            x = x * self.gamma
        return shortcut + self.drop_path(x.permute(0, 3, 1, 2))


@MODELS.register_module()
class ConvNeXt(BaseBackbone):
    """ConvNeXt backbone; stage ``i`` outputs ``channels[i]`` at stride ``4 * 2**i``.

    Args:
        arch: ``'tiny'``, ``'small'``, ``'base'``, ``'large'``, the small ``'atto'``/``'femto'``/
            ``'pico'``/``'nano'``, or ``{'depths': [...], 'channels': [...]}``.
        out_indices: Which stages (0-3) to return; each gets its own final LayerNorm.
        drop_path_rate: Stochastic depth, rising linearly to this value over all blocks.
        layer_scale_init_value: Initial per-channel scale of each residual branch (0 disables).
        gap_before_final_norm: Pool each returned map to ``[B, C]`` before its norm
            (classification); False returns normed ``[B, C, H, W]`` maps (detection).
        frozen_stages: -1 none; ``k`` freezes stages ``0..k`` with their downsampling layers.
    """

    arch_settings: dict[str, dict[str, list[int]]] = {
        "atto": {"depths": [2, 2, 6, 2], "channels": [40, 80, 160, 320]},
        "femto": {"depths": [2, 2, 6, 2], "channels": [48, 96, 192, 384]},
        "pico": {"depths": [2, 2, 6, 2], "channels": [64, 128, 256, 512]},
        "nano": {"depths": [2, 2, 8, 2], "channels": [80, 160, 320, 640]},
        "tiny": {"depths": [3, 3, 9, 3], "channels": [96, 192, 384, 768]},
        "small": {"depths": [3, 3, 27, 3], "channels": [96, 192, 384, 768]},
        "base": {"depths": [3, 3, 27, 3], "channels": [128, 256, 512, 1024]},
        "large": {"depths": [3, 3, 27, 3], "channels": [192, 384, 768, 1536]},
    }

    def __init__(
        self,
        arch: str | Mapping[str, Sequence[int]] = "tiny",
        in_channels: int = 3,
        stem_patch_size: int = 4,
        out_indices: Sequence[int] = (3,),
        drop_path_rate: float = 0.0,
        layer_scale_init_value: float = 1e-6,
        gap_before_final_norm: bool = True,
        frozen_stages: int = -1,
        norm_eval: bool = False,
        norm_cfg: Mapping[str, Any] = _LN2D,
        act_cfg: Mapping[str, Any] = _GELU,
        init_cfg: InitCfg = (
            {"type": "Normal", "layer": ["Conv2d", "Linear"], "std": 0.02},
            {"type": "Constant", "layer": ["LayerNorm"], "val": 1.0},
        ),
    ) -> None:
        super().__init__(frozen_stages, norm_eval, init_cfg)
        depths, channels = self._arch(arch)
        self.depths, self.channels = depths, channels
        self.out_indices = normalize_indices(out_indices, len(depths), "ConvNeXt")
        self.gap_before_final_norm = gap_before_final_norm

        rates = _linear_rates(drop_path_rate, sum(depths))
        self.downsample_layers = nn.ModuleList()
        self.stages = nn.ModuleList()
        for i, (depth, width) in enumerate(zip(depths, channels, strict=True)):
            if i == 0:
                down = nn.Sequential(
                    nn.Conv2d(in_channels, width, stem_patch_size, stem_patch_size),
                    build_norm_layer(norm_cfg, width),
                )
            else:
                down = nn.Sequential(
                    build_norm_layer(norm_cfg, channels[i - 1]),
                    nn.Conv2d(channels[i - 1], width, 2, 2),
                )
            self.downsample_layers.append(down)
            first = sum(depths[:i])
            self.stages.append(
                nn.Sequential(
                    *(
                        ConvNeXtBlock(width, rates[first + j], layer_scale_init_value, 4, norm_cfg, act_cfg)
                        for j in range(depth)
                    )
                )
            )
        for i in sorted(set(self.out_indices)):
            self.add_module(f"norm{i}", build_norm_layer(norm_cfg, channels[i]))
        self.out_channels = [channels[i] for i in self.out_indices]
        self._check_frozen_stages()
        self._freeze_stages()

    def _arch(self, arch: str | Mapping[str, Sequence[int]]) -> tuple[list[int], list[int]]:
        if isinstance(arch, str):
            if arch not in self.arch_settings:
                raise ConfigValueError(
                    f"ConvNeXt: unknown arch {arch!r}; choose from {sorted(self.arch_settings)} "
                    "or give {'depths': [...], 'channels': [...]}"
                )
            arch = self.arch_settings[arch]
        if not isinstance(arch, Mapping) or set(arch) != {"depths", "channels"}:
            raise ConfigValueError(f"ConvNeXt: a custom arch needs exactly depths and channels, got {arch!r}")
        depths, channels = [int(d) for d in arch["depths"]], [int(c) for c in arch["channels"]]
        if len(depths) != len(channels) or not depths:
            raise ConfigValueError(f"ConvNeXt: depths and channels differ in length: {arch!r}")
        return depths, channels

    def stage_modules(self) -> list[list[nn.Module]]:
        return [
            [self.downsample_layers[i], self.stages[i], *self._norms_of(i)] for i in range(len(self.stages))
        ]

    def _norms_of(self, i: int) -> list[nn.Module]:
        norm = getattr(self, f"norm{i}", None)
        return [] if norm is None else [norm]

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        feats = {}
        for i in range(max(self.out_indices) + 1):
            x = self.stages[i](self.downsample_layers[i](x))
            if i in self.out_indices:
                norm = getattr(self, f"norm{i}")
                if self.gap_before_final_norm:
                    feats[i] = norm(x.mean(dim=(2, 3), keepdim=True)).flatten(1)
                else:
                    feats[i] = norm(x)
        return tuple(feats[i] for i in self.out_indices)


def _linear_rates(maximum: float, count: int) -> list[float]:
    """``count`` values from 0 to ``maximum`` (plain floats: works on the meta device too)."""
    if count <= 1:
        return [0.0] * count
    return [maximum * i / (count - 1) for i in range(count)]
