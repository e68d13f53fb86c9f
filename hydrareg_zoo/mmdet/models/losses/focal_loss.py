"""Sigmoid focal loss (Lin et al., 2017): down-weights easy examples (RetinaNet's class loss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from hydrareg.errors import ConfigValueError

from ...registry import MODELS
from .utils import check_reduction, weight_reduce

__all__ = ["FocalLoss"]


@MODELS.register_module()
class FocalLoss(nn.Module):
    """``alpha_t * (1 - p_t)**gamma * BCE``; labels ``[N]`` with ``C`` meaning background."""

    def __init__(
        self,
        use_sigmoid: bool = True,
        gamma: float = 2.0,
        alpha: float = 0.25,
        reduction: str = "mean",
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if not use_sigmoid:
            raise ConfigValueError("FocalLoss: only the sigmoid form (use_sigmoid=True) is implemented")
        self.gamma, self.alpha = gamma, alpha
        self.reduction = check_reduction("FocalLoss", reduction)
        self.loss_weight = loss_weight

    def forward(
        self,
        pred: Tensor,
        label: Tensor,
        weight: Tensor | None = None,
        avg_factor: float | Tensor | None = None,
    ) -> Tensor:
        num_classes = pred.shape[-1]
        target = F.one_hot(label.long(), num_classes + 1)[..., :num_classes].to(pred.dtype)
        prob = pred.sigmoid()
        p_t = prob * target + (1 - prob) * (1 - target)
        alpha_t = self.alpha * target + (1 - self.alpha) * (1 - target)
        bce = F.binary_cross_entropy_with_logits(pred, target, reduction="none")
        loss = alpha_t * (1 - p_t).pow(self.gamma) * bce
        if weight is not None and weight.dim() == 1:
            weight = weight[:, None]
        return self.loss_weight * weight_reduce(loss, weight, self.reduction, avg_factor)
