"""FPN (Lin et al., 2017): lateral 1x1 convs, a top-down sum, 3x3 smoothing, extra coarse levels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from hydrareg.errors import ConfigValueError

from ....common.base_module import BaseModule, InitCfg
from ....common.conv_module import ConvModule
from ...registry import MODELS

__all__ = ["FPN"]

_EXTRA_SOURCES = ("on_input", "on_lateral", "on_output")
XAVIER_CONV_INIT = {"type": "Xavier", "layer": "Conv2d", "distribution": "uniform"}


@MODELS.register_module()
class FPN(BaseModule):
    """Feature pyramid with ``num_outs`` levels of ``out_channels`` each.

    Args:
        in_channels: Channels of each backbone level, finest first.
        out_channels: Channels of every output.
        num_outs: Number of outputs; levels beyond the used inputs are extra, coarser levels.
        start_level: First backbone level used (e.g. 1 to skip ResNet's stride-4 level).
        end_level: Last backbone level used (inclusive); -1 for the last.
        add_extra_convs: False (extra levels by stride-2 max-pool), True/``'on_input'`` (stride-2
            3x3 convs starting from the last used input), ``'on_lateral'`` or ``'on_output'``.
        relu_before_extra_convs: ReLU between the extra convolutions.
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        out_channels: int,
        num_outs: int,
        start_level: int = 0,
        end_level: int = -1,
        add_extra_convs: bool | str = False,
        relu_before_extra_convs: bool = False,
        norm_cfg: Mapping[str, Any] | None = None,
        act_cfg: Mapping[str, Any] | None = None,
        upsample_mode: str = "nearest",
        init_cfg: InitCfg = XAVIER_CONV_INIT,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        in_channels = [int(c) for c in in_channels]
        self.in_channels, self.out_channels, self.num_outs = in_channels, out_channels, num_outs
        self.start_level = start_level
        self.end_level = len(in_channels) if end_level == -1 else end_level + 1
        if not 0 <= start_level < self.end_level <= len(in_channels):
            raise ConfigValueError(
                f"FPN: need 0 <= start_level ({start_level}) <= end_level ({end_level}) < "
                f"{len(in_channels)} input levels (in_channels={in_channels})"
            )
        used = self.end_level - start_level
        if num_outs < used:
            raise ConfigValueError(f"FPN: num_outs ({num_outs}) is below the {used} input levels used")
        if add_extra_convs is True:
            add_extra_convs = "on_input"
        if add_extra_convs and add_extra_convs not in _EXTRA_SOURCES:
            raise ConfigValueError(
                f"FPN: add_extra_convs must be a bool or one of {_EXTRA_SOURCES}, got {add_extra_convs!r}"
            )
        self.add_extra_convs = add_extra_convs
        self.relu_before_extra_convs = relu_before_extra_convs
        self.upsample_mode = upsample_mode
        self.lateral_convs = nn.ModuleList(
            ConvModule(in_channels[i], out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
            for i in range(start_level, self.end_level)
        )
        self.fpn_convs = nn.ModuleList(
            ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg)
            for _ in range(used)
        )
        if add_extra_convs:
            for i in range(num_outs - used):
                source = (
                    in_channels[self.end_level - 1]
                    if i == 0 and add_extra_convs == "on_input"
                    else out_channels
                )
                self.fpn_convs.append(
                    ConvModule(
                        source,
                        out_channels,
                        3,
                        stride=2,
                        padding=1,
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg,
                    )
                )

    def forward(self, inputs: Sequence[Tensor]) -> tuple[Tensor, ...]:
        if len(inputs) != len(self.in_channels):
            raise ValueError(
                f"FPN expects {len(self.in_channels)} levels "
                f"(in_channels={self.in_channels}), got {len(inputs)}"
            )
        laterals = [conv(inputs[self.start_level + i]) for i, conv in enumerate(self.lateral_convs)]
        for i in range(len(laterals) - 1, 0, -1):
            laterals[i - 1] = laterals[i - 1] + F.interpolate(
                laterals[i], size=laterals[i - 1].shape[-2:], mode=self.upsample_mode
            )
        used = len(laterals)
        outs = [self.fpn_convs[i](laterals[i]) for i in range(used)]
        if not self.add_extra_convs:
            while len(outs) < self.num_outs:
                outs.append(F.max_pool2d(outs[-1], 1, stride=2))
            return tuple(outs)
        sources = {
            "on_input": inputs[self.end_level - 1],
            "on_lateral": laterals[-1],
            "on_output": outs[-1],
        }
        if len(outs) < self.num_outs:
            outs.append(self.fpn_convs[used](sources[self.add_extra_convs]))
        for i in range(used + 1, self.num_outs):
            x = F.relu(outs[-1]) if self.relu_before_extra_convs else outs[-1]
            outs.append(self.fpn_convs[i](x))
        return tuple(outs)
