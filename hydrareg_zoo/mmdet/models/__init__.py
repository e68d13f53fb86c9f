"""mmdet's models; importing this registers them into mmdet's ``MODELS`` and ``TASK_UTILS``."""

from ...common import layers as _layers  # noqa: F401  (mmcv's layer names in the root MODELS)
from . import task_modules
from .backbones import CSPDarknet
from .dense_heads import RetinaHead, YOLOXHead
from .detectors import YOLOX, RetinaNet
from .losses import CrossEntropyLoss, FocalLoss, IoULoss, L1Loss
from .necks import FPN, YOLOXPAFPN

__all__ = [
    "FPN",
    "YOLOX",
    "YOLOXPAFPN",
    "CSPDarknet",
    "CrossEntropyLoss",
    "FocalLoss",
    "IoULoss",
    "L1Loss",
    "RetinaHead",
    "RetinaNet",
    "YOLOXHead",
    "task_modules",
]
