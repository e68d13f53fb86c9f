"""Blocks shared by mmcls backbones: squeeze-and-excitation and the inverted residual."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor, nn

from ...common.conv_module import ConvModule
from ...common.layers import make_divisible

__all__ = ["InvertedResidual", "SELayer"]


class SELayer(nn.Module):
    """Squeeze-and-excitation: reweight channels by a gate computed from their global average."""

    def __init__(self, channels: int, ratio: int = 4, divisor: int = 8) -> None:
        super().__init__()
        squeezed = make_divisible(channels // ratio, divisor)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.conv1 = ConvModule(channels, squeezed, 1, act_cfg={"type": "ReLU"})
        self.conv2 = ConvModule(
            squeezed, channels, 1, act_cfg={"type": "HSigmoid", "bias": 3.0, "divisor": 6.0}
        )

    def forward(self, x: Tensor) -> Tensor:
        return x * self.conv2(self.conv1(self.pool(x)))


class InvertedResidual(nn.Module):
    """MobileNet block: 1x1 expand, depthwise kxk (stride), optional SE, 1x1 project, shortcut."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        mid_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        with_se: bool = False,
        norm_cfg: Mapping[str, Any] | None = None,
        act_cfg: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        norm_cfg = norm_cfg or {"type": "BN"}
        act_cfg = act_cfg or {"type": "ReLU"}
        self.with_shortcut = stride == 1 and in_channels == out_channels
        self.expand_conv = (
            ConvModule(in_channels, mid_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
            if mid_channels != in_channels
            else nn.Identity()
        )
        self.depthwise_conv = ConvModule(
            mid_channels,
            mid_channels,
            kernel_size,
            stride,
            kernel_size // 2,
            groups=mid_channels,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
        )
        self.se = SELayer(mid_channels) if with_se else nn.Identity()
        self.linear_conv = ConvModule(mid_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)

    def forward(self, x: Tensor) -> Tensor:
        out = self.linear_conv(self.se(self.depthwise_conv(self.expand_conv(x))))
        return x + out if self.with_shortcut else out
