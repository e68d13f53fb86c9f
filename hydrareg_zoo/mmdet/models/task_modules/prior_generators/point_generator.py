"""``MlvlPointGenerator``: one point prior per feature-map position (anchor-free heads)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ....registry import TASK_UTILS

__all__ = ["MlvlPointGenerator"]


@TASK_UTILS.register_module()
class MlvlPointGenerator:
    """Grid points for each level; ``offset`` 0 puts them at cell corners, 0.5 at cell centres."""

    def __init__(self, strides: Sequence[int], offset: float = 0.5) -> None:
        self.strides = [int(s) for s in strides]
        self.offset = offset

    @property
    def num_levels(self) -> int:
        return len(self.strides)

    def grid_priors(
        self,
        featmap_sizes: Sequence[Sequence[int]],
        device: torch.device | str = "cpu",
        with_stride: bool = False,
    ) -> list[Tensor]:
        """Per level, ``[H * W, 2]`` points ``(x, y)``; ``[H * W, 4]`` with ``(stride, stride)``."""
        if len(featmap_sizes) != self.num_levels:
            raise ValueError(
                f"MlvlPointGenerator has {self.num_levels} levels (strides {self.strides}), "
                f"got {len(featmap_sizes)} feature maps"
            )
        priors = []
        for stride, (height, width) in zip(self.strides, featmap_sizes, strict=True):
            ys, xs = torch.meshgrid(
                (torch.arange(int(height), device=device) + self.offset) * stride,
                (torch.arange(int(width), device=device) + self.offset) * stride,
                indexing="ij",
            )
            points = [xs.reshape(-1), ys.reshape(-1)]
            if with_stride:
                points += [torch.full_like(points[0], stride)] * 2
            priors.append(torch.stack(points, dim=-1).float())
        return priors
