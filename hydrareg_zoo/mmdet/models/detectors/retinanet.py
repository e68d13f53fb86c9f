"""RetinaNet (Lin et al., 2017): backbone + FPN + anchor-based head with focal loss."""

from __future__ import annotations

from ...registry import MODELS
from .single_stage import SingleStageDetector

__all__ = ["RetinaNet"]


@MODELS.register_module()
class RetinaNet(SingleStageDetector):
    """RetinaNet: ``RetinaNet(backbone, neck, bbox_head, train_cfg, test_cfg, init_cfg)``."""
