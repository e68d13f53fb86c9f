"""mmdet dense heads."""

from .retina_head import RetinaHead
from .yolox_head import YOLOXHead

__all__ = ["RetinaHead", "YOLOXHead"]
