"""mmcls's models; importing this module registers them into mmcls's ``MODELS``."""

from ...common import layers as _layers  # noqa: F401  (mmcv's layer names in the root MODELS)
from .backbones import ConvNeXt, MobileNetV3, ResNet, TIMMBackbone
from .classifiers import ImageClassifier
from .heads import LinearClsHead
from .losses import CrossEntropyLoss
from .necks import GlobalAveragePooling

__all__ = [
    "ConvNeXt",
    "CrossEntropyLoss",
    "GlobalAveragePooling",
    "ImageClassifier",
    "LinearClsHead",
    "MobileNetV3",
    "ResNet",
    "TIMMBackbone",
]
