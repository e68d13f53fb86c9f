"""mmdet's data transforms, registered in mmdet's TRANSFORMS (this package is its location)."""

from hydrareg_zoo.pipeline import Compose

from ..registry import TRANSFORMS
from .affine import RandomAffine
from .boxes import BoxOps, box_type_of, convert_boxes, register_box_converter, register_box_type
from .formatting import PackDetInputs
from .geometric import RandomFlip, Resize
from .loading import LoadAnnotations, LoadImageFromFile
from .mix import Mosaic

TRANSFORMS.register_module(module=Compose)

__all__ = [
    "BoxOps",
    "Compose",
    "LoadAnnotations",
    "LoadImageFromFile",
    "Mosaic",
    "PackDetInputs",
    "RandomAffine",
    "RandomFlip",
    "Resize",
    "box_type_of",
    "convert_boxes",
    "register_box_converter",
    "register_box_type",
]
