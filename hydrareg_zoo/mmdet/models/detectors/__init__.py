"""mmdet detectors."""

from .retinanet import RetinaNet
from .single_stage import SingleStageDetector
from .yolox import YOLOX

__all__ = ["YOLOX", "RetinaNet", "SingleStageDetector"]
