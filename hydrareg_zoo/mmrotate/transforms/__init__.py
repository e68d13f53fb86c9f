"""mmrotate's transforms, registered in mmrotate's TRANSFORMS (this package is its location)."""

from .box_type import ConvertBoxType

__all__ = ["ConvertBoxType"]
