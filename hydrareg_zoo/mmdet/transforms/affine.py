"""``RandomAffine``: a random rotation, scaling, shear and translation of the image and its boxes.

After ``Mosaic``, a negative ``border`` of half the mosaic's scale shrinks the 2x canvas back to
``img_scale`` (MMDetection's YOLOX recipe), so the affine step also crops the mosaic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from hydrareg.errors import ConfigValueError

from ..registry import TRANSFORMS
from .base import BaseTransform, require
from .boxes import HBOX

__all__ = ["RandomAffine", "affine_boxes", "warp_affine"]


@TRANSFORMS.register_module()
class RandomAffine(BaseTransform):
    """Warp the image by translate @ shear @ rotate @ scale about its centre; boxes follow.

    The output is the input's size plus ``2 * border`` (``(x, y)``; negative shrinks), filled with
    ``border_val`` where nothing maps. A box becomes the box of its warped corners, is clipped to
    the image when ``bbox_clip_border``, and is dropped when it ends up narrower or lower than
    ``min_bbox_size``, with less than ``min_area_ratio`` of its scaled area, or stretched beyond
    ``max_aspect_ratio``. ``seed`` makes the draws reproducible.
    """

    def __init__(
        self,
        max_rotate_degree: float = 10.0,
        max_translate_ratio: float = 0.1,
        scaling_ratio_range: Sequence[float] = (0.5, 1.5),
        max_shear_degree: float = 2.0,
        border: Sequence[int] = (0, 0),
        border_val: Sequence[int] = (114, 114, 114),
        bbox_clip_border: bool = True,
        min_bbox_size: float = 2.0,
        min_area_ratio: float = 0.1,
        max_aspect_ratio: float = 20.0,
        seed: int | None = None,
    ) -> None:
        low, high = (float(v) for v in scaling_ratio_range)
        if not 0.0 < low <= high:
            raise ConfigValueError(
                f"RandomAffine: scaling_ratio_range must be 0 < low <= high, got {scaling_ratio_range!r}"
            )
        if not 0.0 <= max_translate_ratio <= 1.0:
            raise ConfigValueError(
                f"RandomAffine: max_translate_ratio must be in [0, 1], got {max_translate_ratio!r}"
            )
        self.max_rotate_degree = max_rotate_degree
        self.max_translate_ratio = max_translate_ratio
        self.scaling_ratio_range = (low, high)
        self.max_shear_degree = max_shear_degree
        self.border = (int(border[0]), int(border[1]))
        self.border_val = tuple(int(v) for v in border_val)
        self.bbox_clip_border = bbox_clip_border
        self.min_bbox_size = min_bbox_size
        self.min_area_ratio = min_area_ratio
        self.max_aspect_ratio = max_aspect_ratio
        self._rng = np.random.default_rng(seed)

    def random_matrix(self, in_hw: tuple[int, int], out_wh: tuple[int, int]) -> tuple[np.ndarray, float]:
        """A 3x3 warp from input to output pixels, and the scaling ratio it contains."""
        uniform = self._rng.uniform
        scale = uniform(*self.scaling_ratio_range)
        angle = math.radians(uniform(-self.max_rotate_degree, self.max_rotate_degree))
        shear_x, shear_y = (
            math.radians(uniform(-self.max_shear_degree, self.max_shear_degree)) for _ in "xy"
        )
        ratio = self.max_translate_ratio
        shift_x, shift_y = (uniform(0.5 - ratio, 0.5 + ratio) * size for size in out_wh)
        centre = _matrix(1, 0, -in_hw[1] / 2, 0, 1, -in_hw[0] / 2)
        rotate_scale = _matrix(
            math.cos(angle) * scale,
            -math.sin(angle) * scale,
            0,
            math.sin(angle) * scale,
            math.cos(angle) * scale,
            0,
        )
        shear = _matrix(1, math.tan(shear_x), 0, math.tan(shear_y), 1, 0)
        translate = _matrix(1, 0, shift_x, 0, 1, shift_y)
        return translate @ shear @ rotate_scale @ centre, scale

    def transform(self, results: dict[str, Any]) -> dict[str, Any]:
        img = require(results, "img", self)
        out_w, out_h = img.shape[1] + 2 * self.border[0], img.shape[0] + 2 * self.border[1]
        if out_w <= 0 or out_h <= 0:
            raise ValueError(
                f"RandomAffine: border {self.border} leaves no image of {img.shape[1]}x{img.shape[0]}"
            )
        matrix, scale = self.random_matrix(img.shape[:2], (out_w, out_h))
        results["img"] = warp_affine(img, matrix, (out_w, out_h), self.border_val)
        results["img_shape"] = (out_h, out_w)
        if "gt_bboxes" in results:
            self._move_instances(results, matrix, scale, (out_h, out_w))
        return results

    def _move_instances(
        self, results: dict[str, Any], matrix: np.ndarray, scale: float, hw: tuple[int, int]
    ) -> None:
        boxes = affine_boxes(np.asarray(results["gt_bboxes"], dtype=np.float32), matrix)
        if self.bbox_clip_border:
            boxes = HBOX.clip(boxes, hw)
        keep = self._valid(np.asarray(results["gt_bboxes"], dtype=np.float32) * scale, boxes)
        results["gt_bboxes"] = boxes[keep]
        for key in ("gt_bboxes_labels", "gt_ignore_flags"):
            if key in results:
                results[key] = np.asarray(results[key])[keep]

    def _valid(self, scaled: np.ndarray, warped: np.ndarray) -> np.ndarray:
        """Which warped boxes are big enough, kept enough of their area, and not too thin."""
        w0, h0 = scaled[:, 2] - scaled[:, 0], scaled[:, 3] - scaled[:, 1]
        w, h = warped[:, 2] - warped[:, 0], warped[:, 3] - warped[:, 1]
        aspect = np.maximum(w / (h + 1e-16), h / (w + 1e-16))
        return (
            (w > self.min_bbox_size)
            & (h > self.min_bbox_size)
            & (w * h / (w0 * h0 + 1e-16) > self.min_area_ratio)
            & (aspect < self.max_aspect_ratio)
        )

    def _repr_fields(self) -> dict[str, Any]:
        return {
            "max_rotate_degree": self.max_rotate_degree,
            "scaling_ratio_range": self.scaling_ratio_range,
            "border": self.border,
        }


def _matrix(a: float, b: float, c: float, d: float, e: float, f: float) -> np.ndarray:
    return np.array([[a, b, c], [d, e, f], [0.0, 0.0, 1.0]])


def affine_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The xyxy boxes around each box's four corners mapped by the 3x3 ``matrix``."""
    x1, y1, x2, y2 = boxes.T
    corners = np.stack(
        [np.stack([x, y, np.ones_like(x)], -1) for x, y in ((x1, y1), (x2, y1), (x2, y2), (x1, y2))], 1
    )
    mapped = corners @ matrix.T
    xy = mapped[..., :2] / mapped[..., 2:]
    return np.concatenate([xy.min(axis=1), xy.max(axis=1)], axis=1).astype(np.float32).reshape(-1, 4)


def warp_affine(
    img: np.ndarray, matrix: np.ndarray, size: tuple[int, int], fill: Sequence[int]
) -> np.ndarray:
    """``img`` (HWC or HW uint8) warped by ``matrix`` into an image of ``size`` (w, h), with Pillow."""
    inverse = np.linalg.inv(matrix)[:2].ravel()
    source = Image.fromarray(img)
    color = tuple(fill[: len(source.getbands())]) if img.ndim == 3 else fill[0]
    warped = source.transform(
        size, Image.Transform.AFFINE, tuple(inverse), Image.Resampling.BILINEAR, fillcolor=color
    )
    return np.array(warped)
