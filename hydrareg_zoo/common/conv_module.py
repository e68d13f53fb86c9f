"""``ConvModule``: convolution, optional norm, optional activation (mmcv's basic block)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor, nn

from .layers import build_activation_layer, build_conv_layer, build_norm_layer

__all__ = ["ConvModule", "DepthwiseSeparableConvModule"]


class ConvModule(nn.Module):
    """Conv + norm + activation, each chosen by a config dict built through the root ``MODELS``.

    Args:
        norm_cfg: e.g. ``{'type': 'BN', 'momentum': 0.03}``; None for no norm layer.
        act_cfg: e.g. ``{'type': 'Swish'}``; None for no activation.
        bias: ``'auto'`` adds a bias only when there is no norm layer to make it redundant.
        conv_cfg: None for ``Conv2d``, or a config naming another convolution class.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool | str = "auto",
        conv_cfg: Mapping[str, Any] | None = None,
        norm_cfg: Mapping[str, Any] | None = None,
        act_cfg: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if bias == "auto":
            bias = norm_cfg is None
        if not isinstance(bias, bool):
            raise ValueError(f"ConvModule: bias must be a bool or 'auto', got {bias!r}")
        self.conv = build_conv_layer(
            conv_cfg,
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
        )
        self.norm = None if norm_cfg is None else build_norm_layer(norm_cfg, out_channels)
        self.act = None if act_cfg is None else build_activation_layer(act_cfg)
        self.in_channels, self.out_channels = in_channels, out_channels

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        if self.act is not None:
            x = self.act(x)
        return x


class DepthwiseSeparableConvModule(nn.Module):
    """A depthwise ``ConvModule`` followed by a pointwise (1x1) one, sharing norm/act configs."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        norm_cfg: Mapping[str, Any] | None = None,
        act_cfg: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.depthwise_conv = ConvModule(
            in_channels,
            in_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=in_channels,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
        )
        self.pointwise_conv = ConvModule(in_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        return self.pointwise_conv(self.depthwise_conv(x))
