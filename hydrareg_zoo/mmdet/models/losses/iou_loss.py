"""``IoULoss``: 1 - IoU (``linear``), 1 - IoU² (``square``, YOLOX) or -log IoU (``log``)."""

from __future__ import annotations

from torch import Tensor, nn

from hydrareg.errors import ConfigValueError

from ....common.ops import aligned_box_iou
from ...registry import MODELS
from .utils import check_reduction, weight_reduce

__all__ = ["IoULoss"]

_MODES = ("linear", "square", "log")


@MODELS.register_module()
class IoULoss(nn.Module):
    """Loss on the IoU of each predicted box with its target box (both ``[N, 4]`` xyxy)."""

    def __init__(
        self,
        mode: str = "log",
        eps: float = 1e-6,
        reduction: str = "mean",
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if mode not in _MODES:
            raise ConfigValueError(f"IoULoss: mode must be one of {_MODES}, got {mode!r}")
        self.mode, self.eps = mode, eps
        self.reduction = check_reduction("IoULoss", reduction)
        self.loss_weight = loss_weight

    def forward(
        self,
        pred: Tensor,
        target: Tensor,
        weight: Tensor | None = None,
        avg_factor: float | Tensor | None = None,
    ) -> Tensor:
        iou = aligned_box_iou(pred, target, eps=self.eps).clamp(min=self.eps)
        if self.mode == "linear":
            loss = 1 - iou
        elif self.mode == "square":
            loss = 1 - iou**2
        else:
            loss = -iou.log()
        return self.loss_weight * weight_reduce(loss, weight, self.reduction, avg_factor)
