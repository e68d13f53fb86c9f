"""``DeltaXYWHBBoxCoder``: boxes as centre shifts and log size ratios relative to an anchor."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from .....common.ops import clip_boxes
from ....registry import TASK_UTILS

__all__ = ["DeltaXYWHBBoxCoder"]


def _center_size(boxes: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    width, height = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return boxes[:, 0] + width / 2, boxes[:, 1] + height / 2, width, height


@TASK_UTILS.register_module()
class DeltaXYWHBBoxCoder:
    """Encode ``((gx-px)/pw, (gy-py)/ph, log(gw/pw), log(gh/ph))``, normalised.

    Args:
        target_means, target_stds: Deltas are stored as ``(delta - mean) / std``.
        clip_border: Clip decoded boxes to the image.
        wh_ratio_clip: Bounds ``|dw|``, ``|dh|`` by ``|log(wh_ratio_clip)|`` when decoding.
    """

    def __init__(
        self,
        target_means: Sequence[float] = (0.0, 0.0, 0.0, 0.0),
        target_stds: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
        clip_border: bool = True,
        wh_ratio_clip: float = 16 / 1000,
    ) -> None:
        self.means, self.stds = [float(m) for m in target_means], [float(s) for s in target_stds]
        self.clip_border, self.max_ratio = clip_border, abs(math.log(wh_ratio_clip))

    def encode(self, bboxes: Tensor, gt_bboxes: Tensor) -> Tensor:
        """Deltas ``[N, 4]`` that turn ``bboxes`` into ``gt_bboxes`` (both ``[N, 4]`` xyxy)."""
        px, py, pw, ph = _center_size(bboxes)
        gx, gy, gw, gh = _center_size(gt_bboxes)
        deltas = torch.stack(((gx - px) / pw, (gy - py) / ph, torch.log(gw / pw), torch.log(gh / ph)), dim=-1)
        return (deltas - deltas.new_tensor(self.means)) / deltas.new_tensor(self.stds)

    def decode(self, bboxes: Tensor, deltas: Tensor, max_shape: Sequence[int] | None = None) -> Tensor:
        """Boxes ``[N, 4]`` xyxy from anchors and deltas; clipped to ``max_shape`` ``(H, W)``."""
        deltas = deltas * deltas.new_tensor(self.stds) + deltas.new_tensor(self.means)
        px, py, pw, ph = _center_size(bboxes)
        dw = deltas[:, 2].clamp(-self.max_ratio, self.max_ratio)
        dh = deltas[:, 3].clamp(-self.max_ratio, self.max_ratio)
        cx, cy = px + pw * deltas[:, 0], py + ph * deltas[:, 1]
        w, h = pw * dw.exp(), ph * dh.exp()
        boxes = torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=-1)
        if self.clip_border and max_shape is not None:
            boxes = clip_boxes(boxes, max_shape)
        return boxes
