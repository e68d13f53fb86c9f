"""mmdet's ``L1Loss``: absolute error of box regression targets."""

from __future__ import annotations

from torch import Tensor, nn

from ...registry import MODELS
from .utils import check_reduction, weight_reduce

__all__ = ["L1Loss"]


@MODELS.register_module()
class L1Loss(nn.Module):
    """``|pred - target|``, weighted and reduced (``mean`` divides by ``avg_factor`` if given)."""

    def __init__(self, reduction: str = "mean", loss_weight: float = 1.0) -> None:
        super().__init__()
        self.reduction = check_reduction("L1Loss", reduction)
        self.loss_weight = loss_weight

    def forward(
        self,
        pred: Tensor,
        target: Tensor,
        weight: Tensor | None = None,
        avg_factor: float | Tensor | None = None,
    ) -> Tensor:
        return self.loss_weight * weight_reduce((pred - target).abs(), weight, self.reduction, avg_factor)
