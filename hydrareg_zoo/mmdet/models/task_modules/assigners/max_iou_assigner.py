"""Max-IoU assignment (RetinaNet, Faster R-CNN): thresholds on each prior's best IoU."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from hydrareg.errors import ConfigValueError

from .....common.ops import box_iou
from ....registry import TASK_UTILS
from .assign_result import AssignResult

__all__ = ["MaxIoUAssigner"]


@TASK_UTILS.register_module()
class MaxIoUAssigner:
    """Positive above ``pos_iou_thr``, negative below ``neg_iou_thr``, ignored in between.

    Args:
        pos_iou_thr: IoU at or above which a prior is positive.
        neg_iou_thr: IoU below which a prior is negative, or a ``(low, high)`` range.
        min_pos_iou: With ``match_low_quality``, each box also claims its best priors if their
            IoU reaches this (so that no box is left without a positive).
        gt_max_assign_all: Claim all priors tied for a box's best IoU, not just one.
    """

    def __init__(
        self,
        pos_iou_thr: float,
        neg_iou_thr: float | Sequence[float],
        min_pos_iou: float = 0.0,
        gt_max_assign_all: bool = True,
        match_low_quality: bool = True,
    ) -> None:
        if isinstance(neg_iou_thr, (int, float)):
            neg_range = (0.0, float(neg_iou_thr))
        elif len(neg_iou_thr) == 2:
            neg_range = (float(neg_iou_thr[0]), float(neg_iou_thr[1]))
        else:
            raise ConfigValueError(
                f"MaxIoUAssigner: neg_iou_thr must be a float or (low, high), got {neg_iou_thr!r}"
            )
        self.pos_iou_thr, self.neg_range, self.min_pos_iou = pos_iou_thr, neg_range, min_pos_iou
        self.gt_max_assign_all, self.match_low_quality = gt_max_assign_all, match_low_quality

    @torch.no_grad()
    def assign(self, priors: Tensor, gt_bboxes: Tensor, gt_labels: Tensor) -> AssignResult:
        """Assign ``[N, 4]`` xyxy priors to ``[G, 4]`` xyxy ground truths with labels ``[G]``."""
        num_priors, num_gts = priors.shape[0], gt_bboxes.shape[0]
        result = AssignResult.background(num_gts, num_priors, priors.device)
        if num_gts == 0 or num_priors == 0:
            return result
        overlaps = box_iou(gt_bboxes, priors)  # [G, N]
        best_iou, best_gt = overlaps.max(dim=0)
        gt_inds = torch.full_like(result.gt_inds, -1)
        low, high = self.neg_range
        gt_inds[(best_iou >= low) & (best_iou < high)] = 0
        positive = best_iou >= self.pos_iou_thr
        gt_inds[positive] = best_gt[positive] + 1
        if self.match_low_quality:
            gt_best_iou, gt_best_prior = overlaps.max(dim=1)
            for gt in range(num_gts):
                if gt_best_iou[gt] < self.min_pos_iou or gt_best_iou[gt] <= 0:
                    continue
                if self.gt_max_assign_all:
                    gt_inds[overlaps[gt] == gt_best_iou[gt]] = gt + 1
                else:
                    gt_inds[gt_best_prior[gt]] = gt + 1
        positive = gt_inds > 0
        result.gt_inds = gt_inds
        result.max_overlaps = torch.where(
            positive, overlaps[(gt_inds - 1).clamp(min=0), torch.arange(num_priors)], best_iou
        )
        result.labels[positive] = gt_labels[gt_inds[positive] - 1].long()
        return result
