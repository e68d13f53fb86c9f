"""``AssignResult``: which ground-truth box (if any) each prior is responsible for."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["AssignResult"]


@dataclass
class AssignResult:
    """One image's assignment.

    ``gt_inds[i]`` is 0 for background, -1 for ignored, and ``k + 1`` when prior ``i`` is assigned
    to ground truth ``k``; ``max_overlaps`` holds the IoU with that box and ``labels`` its class
    (-1 where unassigned).
    """

    num_gts: int
    gt_inds: Tensor
    max_overlaps: Tensor
    labels: Tensor

    @classmethod
    def background(cls, num_gts: int, num_priors: int, device: torch.device | str = "cpu") -> AssignResult:
        """Every prior is background (no boxes, or none near any prior)."""
        return cls(
            num_gts,
            torch.zeros(num_priors, dtype=torch.long, device=device),
            torch.zeros(num_priors, device=device),
            torch.full((num_priors,), -1, dtype=torch.long, device=device),
        )

    @property
    def pos_mask(self) -> Tensor:
        return self.gt_inds > 0

    @property
    def num_pos(self) -> int:
        return int(self.pos_mask.sum())
