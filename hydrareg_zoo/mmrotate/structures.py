"""Rotated boxes ('rbox': ``[N, 5]`` as ``cx, cy, w, h, angle``), made known to mmdet's transforms.

Angles are in radians, counter-clockwise in image coordinates (x right, y down), kept in
``[-pi/2, pi/2)`` (mmrotate's 'le90'). Importing this module registers the box type and the
converters to and from mmdet's horizontal boxes, so ``mmdet.Resize`` and ``mmdet.RandomFlip``
handle rotated boxes without knowing about them.
"""

from __future__ import annotations

import numpy as np

from hydrareg_zoo.mmdet.transforms.boxes import BoxOps, register_box_converter, register_box_type

__all__ = ["RBOX", "hbox_to_rbox", "rbox_to_hbox", "regularize_angle"]


def regularize_angle(angle: np.ndarray) -> np.ndarray:
    """Angles mapped into ``[-pi/2, pi/2)`` (a rectangle turned by pi is the same rectangle)."""
    return (angle + np.pi / 2) % np.pi - np.pi / 2


def hbox_to_rbox(boxes: np.ndarray) -> np.ndarray:
    """``x1, y1, x2, y2`` -> ``cx, cy, w, h, 0``."""
    x1, y1, x2, y2 = boxes.T
    return np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, np.zeros_like(x1)], axis=1)


def rbox_to_hbox(boxes: np.ndarray) -> np.ndarray:
    """The smallest horizontal box around each rotated box (exact inverse when angle is 0)."""
    cx, cy, w, h, angle = boxes.T
    cos, sin = np.abs(np.cos(angle)), np.abs(np.sin(angle))
    half_w = (w * cos + h * sin) / 2
    half_h = (w * sin + h * cos) / 2
    return np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=1)


def _rescale(boxes: np.ndarray, sx: float, sy: float) -> np.ndarray:
    """Scale centres by (sx, sy); each side is scaled along its own direction.

    The side of length ``w`` points along (cos a, sin a), which scaling maps to
    (sx cos a, sy sin a): its new length and angle follow. Exact when sx == sy or the angle
    is a multiple of pi/2; otherwise the scaled rectangle is a parallelogram and this is the
    usual approximation.
    """
    cx, cy, w, h, angle = boxes.T
    cos, sin = np.cos(angle), np.sin(angle)
    new_w = w * np.hypot(sx * cos, sy * sin)
    new_h = h * np.hypot(sx * sin, sy * cos)
    new_angle = regularize_angle(np.arctan2(sy * sin, sx * cos))
    out = np.stack([cx * sx, cy * sy, new_w, new_h, new_angle], axis=1)
    return out.astype(np.float32)


def _flip(boxes: np.ndarray, img_shape: tuple[int, int], direction: str) -> np.ndarray:
    """Mirror centres; a mirror in one axis negates the angle, in both axes keeps it."""
    h, w = img_shape
    out = boxes.copy()
    if direction in ("horizontal", "diagonal"):
        out[:, 0] = w - boxes[:, 0]
    if direction in ("vertical", "diagonal"):
        out[:, 1] = h - boxes[:, 1]
    if direction in ("horizontal", "vertical"):
        out[:, 4] = regularize_angle(-boxes[:, 4])
    return out


def _clip(boxes: np.ndarray, img_shape: tuple[int, int]) -> np.ndarray:
    """Rotated boxes are not clipped: a clipped rotated rectangle is no rotated rectangle."""
    return boxes


RBOX = BoxOps("rbox", 5, _rescale, _flip, _clip)
register_box_type(RBOX)
register_box_converter("hbox", "rbox", hbox_to_rbox)
register_box_converter("rbox", "hbox", rbox_to_hbox)
