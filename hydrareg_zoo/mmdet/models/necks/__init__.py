"""mmdet necks."""

from .fpn import FPN
from .yolox_pafpn import YOLOXPAFPN

__all__ = ["FPN", "YOLOXPAFPN"]
