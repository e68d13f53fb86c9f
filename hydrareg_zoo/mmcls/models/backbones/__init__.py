"""mmcls backbones: each returns a tuple of feature maps and sets ``out_channels``."""

from .convnext import ConvNeXt
from .mobilenet_v3 import MobileNetV3
from .resnet import ResNet
from .timm_backbone import TIMMBackbone

__all__ = ["ConvNeXt", "MobileNetV3", "ResNet", "TIMMBackbone"]
