"""mmdet's ``CrossEntropyLoss``: softmax over classes, or one sigmoid per class (YOLOX's choice)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from ...registry import MODELS
from .utils import check_reduction, weight_reduce

__all__ = ["CrossEntropyLoss"]


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Cross-entropy; with ``use_sigmoid`` the target may be soft (same shape as the logits).

    With ``use_sigmoid`` and integer labels, label ``C`` (= number of classes) means background:
    an all-zero target row.
    """

    def __init__(self, use_sigmoid: bool = False, reduction: str = "mean", loss_weight: float = 1.0) -> None:
        super().__init__()
        self.use_sigmoid = use_sigmoid
        self.reduction = check_reduction("CrossEntropyLoss", reduction)
        self.loss_weight = loss_weight

    def forward(
        self,
        cls_score: Tensor,
        label: Tensor,
        weight: Tensor | None = None,
        avg_factor: float | Tensor | None = None,
    ) -> Tensor:
        if self.use_sigmoid:
            if label.shape != cls_score.shape:
                num_classes = cls_score.shape[-1]
                label = F.one_hot(label.long(), num_classes + 1)[..., :num_classes]
            loss = F.binary_cross_entropy_with_logits(cls_score, label.to(cls_score.dtype), reduction="none")
        else:
            loss = F.cross_entropy(cls_score, label.long(), reduction="none")
        return self.loss_weight * weight_reduce(loss, weight, self.reduction, avg_factor)
