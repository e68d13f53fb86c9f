"""mmcls necks."""

from .gap import GlobalAveragePooling

__all__ = ["GlobalAveragePooling"]
