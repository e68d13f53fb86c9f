"""CSPDarknet, the YOLOv5/YOLOX backbone, scaled by ``deepen_factor`` and ``widen_factor``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

from hydrareg.errors import ConfigValueError

from ....common.backbone import LayerSequenceBackbone, normalize_indices
from ....common.base_module import InitCfg
from ...registry import MODELS
from ..layers.csp_layer import (
    SWISH,
    TORCH_CONV_INIT,
    YOLOX_BN,
    CSPLayer,
    Focus,
    SPPBottleneck,
    conv3x3,
)

__all__ = ["CSPDarknet"]


@MODELS.register_module()
class CSPDarknet(LayerSequenceBackbone):
    """CSPDarknet: a Focus stem (index 0) and 4 (P5) or 5 (P6) stride-2 CSP stages.

    Stage ``i`` of P5 has ``[64, 128, 256, 512, 1024][i] * widen_factor`` channels at stride
    ``2**(i+1)``; the last stage adds spatial pyramid pooling. YOLOX-s is deepen 0.33 / widen
    0.5, YOLOX-tiny 0.33 / 0.375.

    Args:
        deepen_factor: Multiplies the number of bottlenecks per CSP layer.
        widen_factor: Multiplies every channel count.
        out_indices: Stages to return (0 is the stem); (2, 3, 4) gives strides 8, 16, 32.
        frozen_stages: -1 none; ``k`` freezes the stem and stages ``1..k``.
    """

    # in channels, out channels, bottlenecks, shortcut inside the CSP layer, SPP.
    arch_settings = {
        "P5": [
            (64, 128, 3, True, False),
            (128, 256, 9, True, False),
            (256, 512, 9, True, False),
            (512, 1024, 3, False, True),
        ],
        "P6": [
            (64, 128, 3, True, False),
            (128, 256, 9, True, False),
            (256, 512, 9, True, False),
            (512, 768, 3, True, False),
            (768, 1024, 3, False, True),
        ],
    }

    def __init__(
        self,
        arch: str = "P5",
        deepen_factor: float = 1.0,
        widen_factor: float = 1.0,
        out_indices: Sequence[int] = (2, 3, 4),
        frozen_stages: int = -1,
        use_depthwise: bool = False,
        spp_kernel_sizes: Sequence[int] = (5, 9, 13),
        norm_cfg: Mapping[str, Any] = YOLOX_BN,
        act_cfg: Mapping[str, Any] = SWISH,
        norm_eval: bool = False,
        init_cfg: InitCfg = TORCH_CONV_INIT,
    ) -> None:
        super().__init__(frozen_stages, norm_eval, init_cfg)
        if arch not in self.arch_settings:
            raise ConfigValueError(
                f"CSPDarknet: arch must be one of {sorted(self.arch_settings)}, got {arch!r}"
            )
        if deepen_factor <= 0 or widen_factor <= 0:
            raise ConfigValueError("CSPDarknet: deepen_factor and widen_factor must be positive")
        settings = self.arch_settings[arch]
        self.out_indices = normalize_indices(out_indices, len(settings) + 1, "CSPDarknet")
        stem_channels = int(settings[0][0] * widen_factor)
        self.stem = Focus(3, stem_channels, 3, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.layer_names = ["stem"]
        level_channels = [stem_channels]
        for i, (in_ch, out_ch, blocks, add_identity, use_spp) in enumerate(settings):
            in_ch, out_ch = int(in_ch * widen_factor), int(out_ch * widen_factor)
            stage: list[nn.Module] = [conv3x3(in_ch, out_ch, 2, use_depthwise, norm_cfg, act_cfg)]
            if use_spp:
                stage.append(SPPBottleneck(out_ch, out_ch, spp_kernel_sizes, norm_cfg, act_cfg))
            stage.append(
                CSPLayer(
                    out_ch,
                    out_ch,
                    num_blocks=max(round(blocks * deepen_factor), 1),
                    add_identity=add_identity,
                    use_depthwise=use_depthwise,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg,
                )
            )
            self.add_module(f"stage{i + 1}", nn.Sequential(*stage))
            self.layer_names.append(f"stage{i + 1}")
            level_channels.append(out_ch)
        self.out_channels = [level_channels[i] for i in self.out_indices]
        self._check_frozen_stages()
        self._freeze_stages()
