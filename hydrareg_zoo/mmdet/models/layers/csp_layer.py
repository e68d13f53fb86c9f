"""The CSPNet building blocks YOLOX uses: Focus stem, Darknet bottleneck, CSP layer, SPP."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from ....common.conv_module import ConvModule, DepthwiseSeparableConvModule

__all__ = ["CSPLayer", "DarknetBottleneck", "Focus", "SPPBottleneck"]

Cfg = Mapping[str, Any]
YOLOX_BN: dict[str, Any] = {"type": "BN", "momentum": 0.03, "eps": 0.001}
SWISH: dict[str, Any] = {"type": "Swish"}
#: PyTorch's own default conv initialisation, stated explicitly (YOLOX's init_cfg).
TORCH_CONV_INIT: dict[str, Any] = {
    "type": "Kaiming",
    "layer": "Conv2d",
    "a": math.sqrt(5),
    "distribution": "uniform",
    "mode": "fan_in",
    "nonlinearity": "leaky_relu",
}


def conv3x3(
    in_channels: int, out_channels: int, stride: int, depthwise: bool, norm_cfg: Cfg, act_cfg: Cfg
) -> nn.Module:
    """A 3x3 ConvModule, or its depthwise-separable version (the ``use_depthwise`` option)."""
    if depthwise:
        return DepthwiseSeparableConvModule(
            in_channels, out_channels, 3, stride, 1, norm_cfg=norm_cfg, act_cfg=act_cfg
        )
    return ConvModule(in_channels, out_channels, 3, stride, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)


class Focus(nn.Module):
    """Space-to-depth (each 2x2 patch becomes 4 channels), then a conv: a cheap stride-2 stem."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 1,
        stride: int = 1,
        norm_cfg: Cfg = YOLOX_BN,
        act_cfg: Cfg = SWISH,
    ) -> None:
        super().__init__()
        self.conv = ConvModule(
            in_channels * 4,
            out_channels,
            kernel_size,
            stride,
            (kernel_size - 1) // 2,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] % 2 or x.shape[-2] % 2:
            raise ValueError(f"Focus needs an even height and width, got {tuple(x.shape[-2:])}")
        patches = (x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2])
        return self.conv(torch.cat(patches, dim=1))


class DarknetBottleneck(nn.Module):
    """1x1 reduce then 3x3, with an identity shortcut when shapes allow and ``add_identity``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        expansion: float = 0.5,
        add_identity: bool = True,
        use_depthwise: bool = False,
        norm_cfg: Cfg = YOLOX_BN,
        act_cfg: Cfg = SWISH,
    ) -> None:
        super().__init__()
        hidden = int(out_channels * expansion)
        self.conv1 = ConvModule(in_channels, hidden, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv2 = conv3x3(hidden, out_channels, 1, use_depthwise, norm_cfg, act_cfg)
        self.add_identity = add_identity and in_channels == out_channels

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv2(self.conv1(x))
        return x + out if self.add_identity else out


class CSPLayer(nn.Module):
    """Cross Stage Partial layer: half the channels go through bottlenecks, half skip; then fuse."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        expand_ratio: float = 0.5,
        num_blocks: int = 1,
        add_identity: bool = True,
        use_depthwise: bool = False,
        norm_cfg: Cfg = YOLOX_BN,
        act_cfg: Cfg = SWISH,
    ) -> None:
        super().__init__()
        mid = int(out_channels * expand_ratio)
        self.main_conv = ConvModule(in_channels, mid, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.short_conv = ConvModule(in_channels, mid, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.final_conv = ConvModule(2 * mid, out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.blocks = nn.Sequential(
            *(
                DarknetBottleneck(mid, mid, 1.0, add_identity, use_depthwise, norm_cfg, act_cfg)
                for _ in range(num_blocks)
            )
        )

    def forward(self, x: Tensor) -> Tensor:
        main = self.blocks(self.main_conv(x))
        return self.final_conv(torch.cat((main, self.short_conv(x)), dim=1))


class SPPBottleneck(nn.Module):
    """Spatial pyramid pooling: max-pools of several sizes (stride 1) concatenated, then fused."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_sizes: Sequence[int] = (5, 9, 13),
        norm_cfg: Cfg = YOLOX_BN,
        act_cfg: Cfg = SWISH,
    ) -> None:
        super().__init__()
        mid = in_channels // 2
        self.conv1 = ConvModule(in_channels, mid, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.poolings = nn.ModuleList(nn.MaxPool2d(k, 1, k // 2) for k in kernel_sizes)
        self.conv2 = ConvModule(
            mid * (len(kernel_sizes) + 1), out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg
        )

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv1(x)
        return self.conv2(torch.cat([x, *(pool(x) for pool in self.poolings)], dim=1))
