"""mmdet losses (registered in mmdet's MODELS, shadowing torch's names of the same spelling)."""

from .cross_entropy_loss import CrossEntropyLoss
from .focal_loss import FocalLoss
from .iou_loss import IoULoss
from .l1_loss import L1Loss

__all__ = ["CrossEntropyLoss", "FocalLoss", "IoULoss", "L1Loss"]
