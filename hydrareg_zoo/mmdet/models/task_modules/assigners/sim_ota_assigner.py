"""SimOTA (YOLOX, Ge et al., 2021): optimal-transport-like assignment with a dynamic k per box.

Each ground-truth box takes the ``k`` cheapest priors, where the cost mixes classification and
IoU and ``k`` is the rounded sum of the box's ``candidate_topk`` best IoUs: well-predicted boxes
get more positives. Only priors inside both the box and a radius around its centre qualify.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .....common.ops import box_iou
from ....registry import TASK_UTILS
from .assign_result import AssignResult

__all__ = ["SimOTAAssigner"]

_INF = 1e8


@TASK_UTILS.register_module()
class SimOTAAssigner:
    """Assign priors to ground truths with SimOTA.

    Args:
        center_radius: Priors within this many strides of a box centre are candidates.
        candidate_topk: How many best IoUs decide each box's dynamic k.
        iou_weight: Weight of ``-log(IoU)`` in the cost.
        cls_weight: Weight of the classification cross-entropy in the cost.
    """

    def __init__(
        self,
        center_radius: float = 2.5,
        candidate_topk: int = 10,
        iou_weight: float = 3.0,
        cls_weight: float = 1.0,
    ) -> None:
        self.center_radius, self.candidate_topk = center_radius, candidate_topk
        self.iou_weight, self.cls_weight = iou_weight, cls_weight

    def __repr__(self) -> str:
        return (
            f"SimOTAAssigner(center_radius={self.center_radius}, "
            f"candidate_topk={self.candidate_topk}, "
            f"iou_weight={self.iou_weight}, cls_weight={self.cls_weight})"
        )

    @torch.no_grad()
    def assign(
        self,
        pred_scores: Tensor,
        priors: Tensor,
        decoded_bboxes: Tensor,
        gt_bboxes: Tensor,
        gt_labels: Tensor,
    ) -> AssignResult:
        """Assign for one image.

        Args:
            pred_scores: ``[N, C]`` predicted probabilities (classification times objectness).
            priors: ``[N, 4]`` prior centres and strides ``(cx, cy, stride_x, stride_y)``.
            decoded_bboxes: ``[N, 4]`` predicted boxes, xyxy.
            gt_bboxes: ``[G, 4]`` ground-truth boxes, xyxy.
            gt_labels: ``[G]`` ground-truth classes.
        """
        num_priors, num_gts = priors.shape[0], gt_bboxes.shape[0]
        result = AssignResult.background(num_gts, num_priors, priors.device)
        if num_gts == 0 or num_priors == 0:
            return result
        valid, in_box_and_center = self._candidates(priors, gt_bboxes)
        if not valid.any():
            return result
        ious = box_iou(decoded_bboxes[valid], gt_bboxes)
        cost = self._cost(pred_scores[valid], ious, gt_labels) + (~in_box_and_center).float() * _INF
        matched, matched_gt, matched_ious = self._dynamic_k_matching(cost, ious)
        chosen = valid.nonzero().squeeze(1)[matched]
        result.gt_inds[chosen] = matched_gt + 1
        result.labels[chosen] = gt_labels[matched_gt].long()
        result.max_overlaps[chosen] = matched_ious
        return result

    def _candidates(self, priors: Tensor, gt_bboxes: Tensor) -> tuple[Tensor, Tensor]:
        """Priors in any box or centre region, and (for those) whether in both: ``[V, G]``."""
        cx, cy = priors[:, 0:1], priors[:, 1:2]
        in_box = (
            (cx > gt_bboxes[:, 0]) & (cx < gt_bboxes[:, 2]) & (cy > gt_bboxes[:, 1]) & (cy < gt_bboxes[:, 3])
        )
        gt_cx = (gt_bboxes[:, 0] + gt_bboxes[:, 2]) / 2
        gt_cy = (gt_bboxes[:, 1] + gt_bboxes[:, 3]) / 2
        in_center = ((cx - gt_cx).abs() < self.center_radius * priors[:, 2:3]) & (
            (cy - gt_cy).abs() < self.center_radius * priors[:, 3:4]
        )
        valid = (in_box | in_center).any(dim=1)
        return valid, (in_box & in_center)[valid]

    def _cost(self, scores: Tensor, ious: Tensor, gt_labels: Tensor) -> Tensor:
        """``cls_weight * BCE(scores, one-hot) + iou_weight * -log(IoU)``, shape ``[V, G]``."""
        num_valid, num_classes = scores.shape
        target = F.one_hot(gt_labels.long(), num_classes).to(scores.dtype)
        probs = scores.float().clamp(1e-6, 1 - 1e-6).unsqueeze(1).expand(-1, len(gt_labels), -1)
        cls_cost = F.binary_cross_entropy(
            probs, target.unsqueeze(0).expand(num_valid, -1, -1), reduction="none"
        ).sum(dim=-1)
        iou_cost = -torch.log(ious + 1e-7)
        return self.cls_weight * cls_cost + self.iou_weight * iou_cost

    def _dynamic_k_matching(self, cost: Tensor, ious: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Each box takes its k cheapest priors; a prior claimed twice goes to the cheaper box."""
        num_valid = cost.shape[0]
        matching = torch.zeros_like(cost, dtype=torch.bool)
        top_ious = ious.topk(min(self.candidate_topk, num_valid), dim=0).values
        dynamic_ks = top_ious.sum(dim=0).int().clamp(min=1).tolist()
        for gt, k in enumerate(dynamic_ks):
            cheapest = cost[:, gt].topk(min(k, num_valid), largest=False).indices
            matching[cheapest, gt] = True
        shared = matching.sum(dim=1) > 1
        if shared.any():
            rows = shared.nonzero().squeeze(1)
            best = cost[rows].argmin(dim=1)
            matching[rows] = False
            matching[rows, best] = True
        matched = matching.any(dim=1)
        matched_gt = matching[matched].float().argmax(dim=1)
        matched_ious = ious[matched, matched_gt]
        return matched, matched_gt, matched_ious
