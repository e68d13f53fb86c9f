"""``Mosaic``: four samples tiled around a random centre, as in YOLOv4 and MMDetection.

The three extra samples come from the dataset wrapper (``MultiImageMixDataset`` asks
:meth:`Mosaic.get_indexes` which ones and puts them in ``results['mix_results']``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hydrareg.errors import ConfigValueError

from ..registry import TRANSFORMS
from .base import BaseTransform, require
from .boxes import HBOX
from .geometric import pair_of_ints, resize_image

__all__ = ["Mosaic"]

#: The four places of a mosaic, in the order the samples fill them (the first is ``results``).
CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")
#: What a sample contributes per object, stacked across the four.
INSTANCE_KEYS = ("gt_bboxes", "gt_bboxes_labels", "gt_ignore_flags")


@TRANSFORMS.register_module()
class Mosaic(BaseTransform):
    """Tile four samples on a ``2h x 2w`` canvas (``img_scale`` is ``(w, h)``) filled with ``pad_val``.

    The tiles meet at a centre drawn from ``center_ratio_range`` times ``img_scale``. Each image
    is resized to fit ``img_scale`` (ratio kept) and cut where it leaves the canvas; its boxes
    move with it, are clipped to the canvas when ``bbox_clip_border``, and boxes left with no area
    are dropped. With probability ``1 - prob`` the sample passes unchanged. ``seed`` makes the
    draws reproducible.
    """

    def __init__(
        self,
        img_scale: int | Sequence[int] = (640, 640),
        center_ratio_range: Sequence[float] = (0.5, 1.5),
        bbox_clip_border: bool = True,
        pad_val: float = 114.0,
        prob: float = 1.0,
        seed: int | None = None,
    ) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ConfigValueError(f"Mosaic: prob must be in [0, 1], got {prob!r}")
        low, high = (float(v) for v in center_ratio_range)
        if not 0.0 < low <= high:
            raise ConfigValueError(
                f"Mosaic: center_ratio_range must be 0 < low <= high, got {center_ratio_range!r}"
            )
        self.img_scale = pair_of_ints(img_scale, "img_scale")
        self.center_ratio_range = (low, high)
        self.bbox_clip_border = bbox_clip_border
        self.pad_val = pad_val
        self.prob = prob
        self._rng = np.random.default_rng(seed)

    def get_indexes(self, dataset: Any) -> list[int]:
        """Three random indices of ``dataset`` for the other tiles."""
        return [int(i) for i in self._rng.integers(0, len(dataset), size=3)]

    def transform(self, results: dict[str, Any]) -> dict[str, Any]:
        if self._rng.random() >= self.prob:
            return results
        mix = require(results, "mix_results", self)
        if len(mix) != 3:
            raise ValueError(f"Mosaic needs 3 mix_results, got {len(mix)}")
        w, h = self.img_scale
        centre = tuple(int(self._rng.uniform(*self.center_ratio_range) * s) for s in (w, h))
        img = require(results, "img", self)
        canvas = np.full((2 * h, 2 * w, *img.shape[2:]), self.pad_val, dtype=img.dtype)
        parts = [
            self._paste(canvas, corner, sample, centre)
            for corner, sample in zip(CORNERS, [results, *mix], strict=True)
        ]
        results.update(_merge_instances(parts, canvas.shape[:2], self.bbox_clip_border))
        results["img"] = canvas
        results["img_shape"] = canvas.shape[:2]
        return results

    def _paste(
        self, canvas: np.ndarray, corner: str, sample: dict[str, Any], centre: tuple[int, int]
    ) -> dict[str, np.ndarray]:
        """Resize ``sample``'s image into ``corner``, paste it, and return its boxes moved with it."""
        img = require(sample, "img", self)
        ratio = min(self.img_scale[1] / img.shape[0], self.img_scale[0] / img.shape[1])
        size = (max(1, int(img.shape[1] * ratio)), max(1, int(img.shape[0] * ratio)))
        tile = resize_image(img, size, "bilinear")
        paste, crop = tile_placement(corner, centre, tile.shape[:2], canvas.shape[:2])
        canvas[paste[1] : paste[3], paste[0] : paste[2]] = tile[crop[1] : crop[3], crop[0] : crop[2]]
        shift = np.array([paste[0] - crop[0], paste[1] - crop[1]] * 2, dtype=np.float32)
        instances = {key: np.asarray(sample[key]) for key in INSTANCE_KEYS if key in sample}
        if "gt_bboxes" in instances:
            instances["gt_bboxes"] = HBOX.rescale(instances["gt_bboxes"], ratio, ratio) + shift
        return instances

    def _repr_fields(self) -> dict[str, Any]:
        return {"img_scale": self.img_scale, "center_ratio_range": self.center_ratio_range, "prob": self.prob}


def tile_placement(
    corner: str, centre: tuple[int, int], tile_hw: tuple[int, int], canvas_hw: tuple[int, int]
) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
    """Where a tile goes on the canvas and which part of it is kept, both as ``(x1, y1, x2, y2)``.

    The tile touches the centre with its opposite corner; what would leave the canvas is cut.
    """
    (cx, cy), (th, tw), (ch, cw) = centre, tile_hw, canvas_hw
    left, top = corner in ("top_left", "bottom_left"), corner in ("top_left", "top_right")
    x1, x2 = (max(cx - tw, 0), cx) if left else (cx, min(cx + tw, cw))
    y1, y2 = (max(cy - th, 0), cy) if top else (cy, min(cy + th, ch))
    crop_x1 = tw - (x2 - x1) if left else 0
    crop_y1 = th - (y2 - y1) if top else 0
    return (x1, y1, x2, y2), (crop_x1, crop_y1, crop_x1 + x2 - x1, crop_y1 + y2 - y1)


def _merge_instances(
    parts: list[dict[str, np.ndarray]], canvas_hw: tuple[int, int], clip: bool
) -> dict[str, np.ndarray]:
    """The four tiles' instances stacked; boxes clipped to the canvas and empty ones dropped."""
    merged = {key: np.concatenate([p[key] for p in parts]) for key in INSTANCE_KEYS if key in parts[0]}
    if "gt_bboxes" not in merged:
        return merged
    boxes = merged["gt_bboxes"].astype(np.float32)
    inside = HBOX.clip(boxes, canvas_hw)
    keep = (inside[:, 2] > inside[:, 0]) & (inside[:, 3] > inside[:, 1])
    merged["gt_bboxes"] = inside if clip else boxes
    return {key: value[keep] for key, value in merged.items()}
