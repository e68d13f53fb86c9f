"""The last step: pack the results dict into what a detector's data loader yields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..registry import TRANSFORMS
from .base import BaseTransform, require

__all__ = ["PackDetInputs"]

DEFAULT_META_KEYS = (
    "img_id",
    "img_path",
    "ori_shape",
    "img_shape",
    "scale_factor",
    "flip",
    "flip_direction",
)


@TRANSFORMS.register_module()
class PackDetInputs(BaseTransform):
    """Pack ``img`` as ``inputs`` (Tensor[C, H, W], dtype kept) and the rest as ``data_samples``.

    ``data_samples`` is a dict: ``gt_instances`` (``bboxes`` float32 [N, 4 or 5], ``labels``
    int64 [N]) for the objects to learn from, ``ignored_instances`` for those flagged
    ``gt_ignore_flags``, and ``metainfo`` with the ``meta_keys`` present in the results.
    """

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict[str, Any]) -> dict[str, Any]:
        img = require(results, "img", self)
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        samples: dict[str, Any] = {
            "metainfo": {key: results[key] for key in self.meta_keys if key in results},
        }
        if "gt_bboxes" in results or "gt_bboxes_labels" in results:
            keep = ~np.asarray(results.get("gt_ignore_flags", _no_flags(results)), dtype=bool)
            samples["gt_instances"] = _instances(results, keep)
            samples["ignored_instances"] = _instances(results, ~keep)
        return {"inputs": inputs, "data_samples": samples}

    def _repr_fields(self) -> dict[str, Any]:
        return {"meta_keys": self.meta_keys}


def _no_flags(results: dict[str, Any]) -> np.ndarray:
    count = len(results.get("gt_bboxes", results.get("gt_bboxes_labels", ())))
    return np.zeros(count, dtype=bool)


def _instances(results: dict[str, Any], mask: np.ndarray) -> dict[str, torch.Tensor]:
    out = {}
    if "gt_bboxes" in results:
        out["bboxes"] = torch.from_numpy(np.ascontiguousarray(results["gt_bboxes"][mask]))
    if "gt_bboxes_labels" in results:
        out["labels"] = torch.from_numpy(np.ascontiguousarray(results["gt_bboxes_labels"][mask]))
    return out
