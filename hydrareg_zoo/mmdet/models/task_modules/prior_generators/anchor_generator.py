"""``AnchorGenerator``: boxes of several scales and aspect ratios at every feature-map position."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from hydrareg.errors import ConfigValueError

from ....registry import TASK_UTILS

__all__ = ["AnchorGenerator"]


@TASK_UTILS.register_module()
class AnchorGenerator:
    """Anchors for each pyramid level: ``len(ratios) * len(scales)`` boxes per position.

    Args:
        strides: Stride of each level (pixels between neighbouring positions).
        ratios: Height/width ratios.
        scales: Anchor sizes in units of the base size; or give ``octave_base_scale`` and
            ``scales_per_octave`` (RetinaNet: 4 and 3, i.e. 4, 4*2^(1/3), 4*2^(2/3)).
        base_sizes: Base size per level (default: the strides).
        center_offset: Where in a stride cell anchors are centred (0: its top-left corner).
    """

    def __init__(
        self,
        strides: Sequence[int],
        ratios: Sequence[float],
        scales: Sequence[float] | None = None,
        base_sizes: Sequence[int] | None = None,
        octave_base_scale: float | None = None,
        scales_per_octave: int | None = None,
        center_offset: float = 0.0,
    ) -> None:
        if (scales is None) == (octave_base_scale is None):
            raise ConfigValueError(
                "AnchorGenerator: give either scales or octave_base_scale (with scales_per_octave)"
            )
        if octave_base_scale is not None:
            if not scales_per_octave:
                raise ConfigValueError("AnchorGenerator: octave_base_scale needs scales_per_octave")
            scales = [octave_base_scale * 2 ** (i / scales_per_octave) for i in range(scales_per_octave)]
        self.strides = [int(s) for s in strides]
        self.base_sizes = list(self.strides if base_sizes is None else base_sizes)
        if len(self.base_sizes) != len(self.strides):
            raise ConfigValueError("AnchorGenerator: base_sizes and strides differ in length")
        self.ratios, self.scales = [float(r) for r in ratios], [float(s) for s in scales or []]
        self.center_offset = center_offset

    @property
    def num_levels(self) -> int:
        return len(self.strides)

    @property
    def num_base_priors(self) -> list[int]:
        """Anchors per position, for each level."""
        return [len(self.ratios) * len(self.scales)] * self.num_levels

    def base_anchors(self, level: int) -> Tensor:
        """``[A, 4]`` anchors around the origin for ``level``, ratio-major then scale."""
        base = self.base_sizes[level]
        center = base * self.center_offset
        rows = []
        for ratio in self.ratios:
            h_ratio = math.sqrt(ratio)
            for scale in self.scales:
                w, h = base * scale / h_ratio, base * scale * h_ratio
                rows.append([center - w / 2, center - h / 2, center + w / 2, center + h / 2])
        return torch.tensor(rows)

    def grid_priors(
        self, featmap_sizes: Sequence[Sequence[int]], device: torch.device | str = "cpu"
    ) -> list[Tensor]:
        """Per level, ``[H * W * A, 4]`` xyxy anchors, position-major (row by row), then anchor."""
        if len(featmap_sizes) != self.num_levels:
            raise ValueError(
                f"AnchorGenerator has {self.num_levels} levels (strides {self.strides}), "
                f"got {len(featmap_sizes)} feature maps"
            )
        priors = []
        for level, (height, width) in enumerate(featmap_sizes):
            stride = self.strides[level]
            ys, xs = torch.meshgrid(
                torch.arange(int(height), device=device) * stride,
                torch.arange(int(width), device=device) * stride,
                indexing="ij",
            )
            shifts = torch.stack((xs, ys, xs, ys), dim=-1).reshape(-1, 1, 4).float()
            priors.append((shifts + self.base_anchors(level).to(device)).reshape(-1, 4))
        return priors
