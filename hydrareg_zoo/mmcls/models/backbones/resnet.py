"""ResNet (He et al., 2016) with depths 18/34/50/101/152 and a stem that fits small images."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import Tensor, nn

from hydrareg.errors import ConfigValueError

from ....common.backbone import BaseBackbone, normalize_indices
from ....common.base_module import InitCfg
from ....common.conv_module import ConvModule
from ....common.layers import build_norm_layer
from ...registry import MODELS

__all__ = ["BasicBlock", "Bottleneck", "ResNet"]

_BN = {"type": "BN"}
_RELU = {"type": "ReLU"}


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with an identity shortcut (ResNet-18/34)."""

    expansion = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        norm_cfg: Mapping[str, Any] = _BN,
    ) -> None:
        super().__init__()
        self.conv1 = ConvModule(in_channels, out_channels, 3, stride, 1, norm_cfg=norm_cfg, act_cfg=_RELU)
        self.conv2 = ConvModule(out_channels, out_channels, 3, 1, 1, norm_cfg=norm_cfg, act_cfg=None)
        self.downsample = downsample
        self.relu = nn.ReLU()

    @property
    def last_norm(self) -> nn.Module | None:
        return self.conv2.norm

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv2(self.conv1(x)) + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (carrying the stride), 1x1 expand by 4, with a shortcut (ResNet-50+)."""

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        norm_cfg: Mapping[str, Any] = _BN,
    ) -> None:
        super().__init__()
        mid = out_channels // self.expansion
        self.conv1 = ConvModule(in_channels, mid, 1, norm_cfg=norm_cfg, act_cfg=_RELU)
        self.conv2 = ConvModule(mid, mid, 3, stride, 1, norm_cfg=norm_cfg, act_cfg=_RELU)
        self.conv3 = ConvModule(mid, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)
        self.downsample = downsample
        self.relu = nn.ReLU()

    @property
    def last_norm(self) -> nn.Module | None:
        return self.conv3.norm

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv3(self.conv2(self.conv1(x))) + identity)


ARCH_SETTINGS: dict[int, tuple[type[nn.Module], tuple[int, ...]]] = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}


@MODELS.register_module()
class ResNet(BaseBackbone):
    """ResNet backbone; stage ``i`` outputs ``base_channels * 2**i * expansion`` channels.

    Args:
        depth: 18, 34, 50, 101 or 152.
        out_indices: Which stages (0-3) to return, in order.
        base_channels: Width of the first stage (64 in the paper; 16 trains fast on 32x32 digits).
        stem_channels: Width of the stem (defaults to ``base_channels``).
        deep_stem: Three 3x3 convolutions instead of one 7x7 (ResNet-C).
        stem_stride: Stride of the stem's first convolution (2 in the paper; 1 for small images).
        stem_pool: Whether the stem ends in a stride-2 max-pool (False for small images).
        strides: Stride of each stage's first block.
        frozen_stages: -1 none; 0 the stem; ``k`` the stem and stages ``layer1..layerk``.
        norm_eval: Keep BatchNorm statistics frozen while training.
        zero_init_residual: ``init_weights`` zeroes each block's last norm (identity at start).
    """

    def __init__(
        self,
        depth: int,
        in_channels: int = 3,
        base_channels: int = 64,
        stem_channels: int | None = None,
        num_stages: int = 4,
        strides: Sequence[int] = (1, 2, 2, 2),
        out_indices: Sequence[int] = (3,),
        deep_stem: bool = False,
        stem_stride: int = 2,
        stem_pool: bool = True,
        frozen_stages: int = -1,
        norm_cfg: Mapping[str, Any] = _BN,
        norm_eval: bool = False,
        zero_init_residual: bool = True,
        init_cfg: InitCfg = (
            {"type": "Kaiming", "layer": "Conv2d"},
            {"type": "Constant", "val": 1, "layer": ["_BatchNorm", "GroupNorm"]},
        ),
    ) -> None:
        super().__init__(frozen_stages, norm_eval, init_cfg)
        if depth not in ARCH_SETTINGS:
            raise ConfigValueError(f"ResNet: depth must be one of {sorted(ARCH_SETTINGS)}, got {depth}")
        if not 1 <= num_stages <= 4 or len(strides) < num_stages:
            raise ConfigValueError(f"ResNet: num_stages must be 1-4 with a stride each, got {num_stages}")
        block, stage_blocks = ARCH_SETTINGS[depth]
        self.depth, self.zero_init_residual = depth, zero_init_residual
        self.out_indices = normalize_indices(out_indices, num_stages, "ResNet")
        stem_channels = base_channels if stem_channels is None else stem_channels
        self.stem = self._make_stem(in_channels, stem_channels, deep_stem, stem_stride, norm_cfg)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if stem_pool else nn.Identity()

        channels = stem_channels
        self.stage_names = []
        stage_channels = []
        for i in range(num_stages):
            out = base_channels * 2**i * block.expansion
            stage = _make_stage(block, stage_blocks[i], channels, out, strides[i], norm_cfg)
            name = f"layer{i + 1}"
            self.add_module(name, stage)
            self.stage_names.append(name)
            stage_channels.append(out)
            channels = out
        self.out_channels = [stage_channels[i] for i in self.out_indices]
        self._check_frozen_stages()
        self._freeze_stages()

    @staticmethod
    def _make_stem(
        in_channels: int, channels: int, deep: bool, stride: int, norm_cfg: Mapping[str, Any]
    ) -> nn.Sequential:
        if not deep:
            return nn.Sequential(
                ConvModule(in_channels, channels, 7, stride, 3, norm_cfg=norm_cfg, act_cfg=_RELU)
            )
        half = channels // 2
        return nn.Sequential(
            ConvModule(in_channels, half, 3, stride, 1, norm_cfg=norm_cfg, act_cfg=_RELU),
            ConvModule(half, half, 3, 1, 1, norm_cfg=norm_cfg, act_cfg=_RELU),
            ConvModule(half, channels, 3, 1, 1, norm_cfg=norm_cfg, act_cfg=_RELU),
        )

    def stage_modules(self) -> list[list[nn.Module]]:
        return [[self.stem], *([getattr(self, name)] for name in self.stage_names)]

    def init_weights(self) -> None:
        super().init_weights()
        pretrained = any(cfg.get("type") == "Pretrained" for cfg in _entries(self.init_cfg))
        if self.zero_init_residual and not pretrained:
            for module in self.modules():
                if isinstance(module, (BasicBlock, Bottleneck)) and module.last_norm is not None:
                    nn.init.constant_(module.last_norm.weight, 0)

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        x = self.maxpool(self.stem(x))
        feats = []
        for name in self.stage_names[: max(self.out_indices) + 1]:
            x = getattr(self, name)(x)
            feats.append(x)
        return tuple(feats[i] for i in self.out_indices)


def _entries(init_cfg: Any) -> list[Mapping[str, Any]]:
    if init_cfg is None:
        return []
    return [init_cfg] if isinstance(init_cfg, Mapping) else list(init_cfg)


def _make_stage(
    block: Any,
    num_blocks: int,
    in_channels: int,
    out_channels: int,
    stride: int,
    norm_cfg: Mapping[str, Any],
) -> nn.Sequential:
    downsample = None
    if stride != 1 or in_channels != out_channels:
        downsample = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
            build_norm_layer(norm_cfg, out_channels),
        )
    blocks = [block(in_channels, out_channels, stride, downsample, norm_cfg)]
    blocks += [block(out_channels, out_channels, 1, None, norm_cfg) for _ in range(num_blocks - 1)]
    return nn.Sequential(*blocks)
