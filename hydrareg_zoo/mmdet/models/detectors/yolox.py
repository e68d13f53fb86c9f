"""YOLOX (Ge et al., 2021): CSPDarknet + PAFPN + decoupled anchor-free head with SimOTA."""

from __future__ import annotations

from ...registry import MODELS
from .single_stage import SingleStageDetector

__all__ = ["YOLOX"]


@MODELS.register_module()
class YOLOX(SingleStageDetector):
    """YOLOX: ``YOLOX(backbone, neck, bbox_head, train_cfg, test_cfg, init_cfg)``."""
