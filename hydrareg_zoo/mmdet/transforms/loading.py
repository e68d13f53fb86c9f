"""Loading steps: the image file (read with Pillow) and the annotations of one sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from hydrareg.errors import ConfigValueError

from ..registry import TRANSFORMS
from .base import BaseTransform, require

__all__ = ["LoadAnnotations", "LoadImageFromFile"]

_COLOR_MODES = {"color": "RGB", "grayscale": "L", "unchanged": None}


@TRANSFORMS.register_module()
class LoadImageFromFile(BaseTransform):
    """Read ``results['img_path']`` into ``img`` (HWC uint8 RGB; HW for grayscale).

    Sets ``img_shape`` and ``ori_shape`` as ``(h, w)``. Unlike mmcv, colour images come out
    in RGB order, which is what Pillow reads and what the demo models expect.
    """

    def __init__(
        self, to_float32: bool = False, color_type: str = "color", ignore_empty: bool = False
    ) -> None:
        if color_type not in _COLOR_MODES:
            raise ConfigValueError(f"color_type must be one of {', '.join(_COLOR_MODES)}, got {color_type!r}")
        self.to_float32 = to_float32
        self.color_type = color_type
        self.ignore_empty = ignore_empty

    def transform(self, results: dict[str, Any]) -> dict[str, Any] | None:
        path = Path(require(results, "img_path", self))
        if not path.is_file():
            if self.ignore_empty:
                return None
            raise FileNotFoundError(f"LoadImageFromFile: no image file at {path}")
        with Image.open(path) as image:
            mode = _COLOR_MODES[self.color_type]
            img = np.array(image.convert(mode) if mode and image.mode != mode else image)
        img = img.astype(np.float32) if self.to_float32 else img
        results["img"] = img
        results["img_shape"] = img.shape[:2]
        results["ori_shape"] = img.shape[:2]
        return results

    def _repr_fields(self) -> dict[str, Any]:
        return {"to_float32": self.to_float32, "color_type": self.color_type}


@TRANSFORMS.register_module()
class LoadAnnotations(BaseTransform):
    """Turn ``results['instances']`` (the dataset's per-object dicts) into arrays.

    Sets ``gt_bboxes`` (float32 ``[N, 4]`` xyxy), ``gt_bboxes_labels`` (int64 ``[N]``) and
    ``gt_ignore_flags`` (bool ``[N]``), as mmdet 3 does.
    """

    def __init__(self, with_bbox: bool = True, with_label: bool = True) -> None:
        if not (with_bbox or with_label):
            raise ConfigValueError("LoadAnnotations with with_bbox=False and with_label=False loads nothing")
        self.with_bbox = with_bbox
        self.with_label = with_label

    def transform(self, results: dict[str, Any]) -> dict[str, Any]:
        instances = require(results, "instances", self)
        if self.with_bbox:
            boxes = [instance["bbox"] for instance in instances]
            results["gt_bboxes"] = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
            flags = [bool(instance.get("ignore_flag", 0)) for instance in instances]
            results["gt_ignore_flags"] = np.asarray(flags, dtype=bool)
        if self.with_label:
            labels = [instance["bbox_label"] for instance in instances]
            results["gt_bboxes_labels"] = np.asarray(labels, dtype=np.int64)
        return results

    def _repr_fields(self) -> dict[str, Any]:
        return {"with_bbox": self.with_bbox, "with_label": self.with_label}
