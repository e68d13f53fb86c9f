"""mmcls's ``CrossEntropyLoss``: softmax (hard or soft labels) or per-class sigmoid, weighted."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from hydrareg.errors import ConfigValueError

from ...registry import MODELS

__all__ = ["CrossEntropyLoss"]

_REDUCTIONS = ("none", "mean", "sum")


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Cross-entropy for classification logits ``[B, C]``.

    Args:
        use_sigmoid: One binary cross-entropy per class instead of a softmax over classes.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: Multiplies the loss (to balance it against others).
        class_weight: Optional per-class weights.
    """

    def __init__(
        self,
        use_sigmoid: bool = False,
        reduction: str = "mean",
        loss_weight: float = 1.0,
        class_weight: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ConfigValueError(
                f"CrossEntropyLoss: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
            )
        self.use_sigmoid, self.reduction, self.loss_weight = use_sigmoid, reduction, loss_weight
        self.class_weight = None if class_weight is None else [float(w) for w in class_weight]

    def forward(self, cls_score: Tensor, label: Tensor) -> Tensor:
        """``label`` is ``[B]`` class indices, or ``[B, C]`` probabilities (soft labels)."""
        num_classes = cls_score.shape[-1]
        weight = None if self.class_weight is None else cls_score.new_tensor(self.class_weight)
        if label.dim() == 1:
            target = F.one_hot(label.long(), num_classes).to(cls_score.dtype)
        else:
            target = label.to(cls_score.dtype)
        if self.use_sigmoid:
            loss = F.binary_cross_entropy_with_logits(cls_score, target, weight=weight, reduction="none")
            loss = loss.sum(dim=-1)
        else:
            per_class = -target * F.log_softmax(cls_score, dim=-1)
            if weight is not None:
                per_class = per_class * weight
            loss = per_class.sum(dim=-1)
        return self.loss_weight * _reduce(loss, self.reduction)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean() if loss.numel() else loss.sum()
    if reduction == "sum":
        return loss.sum()
    return loss
