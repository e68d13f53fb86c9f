"""YOLOXPAFPN: a path-aggregation FPN (top-down, then bottom-up) built from CSP layers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hydrareg.errors import ConfigValueError

from ....common.base_module import BaseModule, InitCfg
from ....common.conv_module import ConvModule
from ...registry import MODELS
from ..layers.csp_layer import SWISH, TORCH_CONV_INIT, YOLOX_BN, CSPLayer, conv3x3

__all__ = ["YOLOXPAFPN"]


@MODELS.register_module()
class YOLOXPAFPN(BaseModule):
    """Fuse ``len(in_channels)`` backbone levels both ways; every output has ``out_channels``.

    Args:
        in_channels: Channels of each input level, finest first (the backbone's ``out_channels``).
        out_channels: Channels of every output level.
        num_csp_blocks: Bottlenecks in each CSP layer.
        upsample_mode: Interpolation for the top-down path.
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        out_channels: int,
        num_csp_blocks: int = 3,
        use_depthwise: bool = False,
        upsample_mode: str = "nearest",
        norm_cfg: Mapping[str, Any] = YOLOX_BN,
        act_cfg: Mapping[str, Any] = SWISH,
        init_cfg: InitCfg = TORCH_CONV_INIT,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        in_channels = [int(c) for c in in_channels]
        if not in_channels:
            raise ConfigValueError("YOLOXPAFPN: in_channels must list at least one level")
        self.in_channels, self.out_channels, self.upsample_mode = (
            in_channels,
            out_channels,
            upsample_mode,
        )
        levels = len(in_channels)
        csp = {
            "num_blocks": num_csp_blocks,
            "add_identity": False,
            "use_depthwise": use_depthwise,
            "norm_cfg": norm_cfg,
            "act_cfg": act_cfg,
        }
        # Top-down: from the coarsest level, reduce channels, upsample and fuse with the next finer.
        self.reduce_layers = nn.ModuleList(
            ConvModule(in_channels[i], in_channels[i - 1], 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
            for i in range(levels - 1, 0, -1)
        )
        self.top_down_blocks = nn.ModuleList(
            CSPLayer(in_channels[i - 1] * 2, in_channels[i - 1], **csp) for i in range(levels - 1, 0, -1)
        )
        # Bottom-up: from the finest level, downsample and fuse with the next coarser.
        self.downsamples = nn.ModuleList(
            conv3x3(in_channels[i], in_channels[i], 2, use_depthwise, norm_cfg, act_cfg)
            for i in range(levels - 1)
        )
        self.bottom_up_blocks = nn.ModuleList(
            CSPLayer(in_channels[i] * 2, in_channels[i + 1], **csp) for i in range(levels - 1)
        )
        self.out_convs = nn.ModuleList(
            ConvModule(c, out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg) for c in in_channels
        )

    def forward(self, inputs: Sequence[Tensor]) -> tuple[Tensor, ...]:
        if len(inputs) != len(self.in_channels):
            raise ValueError(
                f"YOLOXPAFPN expects {len(self.in_channels)} levels "
                f"(in_channels={self.in_channels}), "
                f"got {len(inputs)}"
            )
        # top_down[i] is the fused map at level i; built from the coarsest level downwards.
        top_down = [inputs[-1]]
        for step, level in enumerate(range(len(inputs) - 1, 0, -1)):
            high = self.reduce_layers[step](top_down[0])
            top_down[0] = high
            finer = inputs[level - 1]
            up = F.interpolate(high, size=finer.shape[-2:], mode=self.upsample_mode)
            top_down.insert(0, self.top_down_blocks[step](torch.cat((up, finer), dim=1)))
        outs = [top_down[0]]
        for level in range(len(inputs) - 1):
            down = self.downsamples[level](outs[-1])
            outs.append(self.bottom_up_blocks[level](torch.cat((down, top_down[level + 1]), dim=1)))
        return tuple(conv(out) for conv, out in zip(self.out_convs, outs, strict=True))
