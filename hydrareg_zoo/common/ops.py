"""Box operations in plain torch (mmcv.ops's role): pairwise IoU and non-maximum suppression."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["aligned_box_iou", "batched_nms", "box_area", "box_iou", "clip_boxes", "nms"]


def box_area(boxes: Tensor) -> Tensor:
    """Areas of ``[N, 4]`` xyxy boxes (zero for degenerate boxes)."""
    return (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)


def box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-6) -> Tensor:
    """IoU of every box in ``boxes1`` (``[N, 4]`` xyxy) with every one in ``boxes2``: ``[N, M]``."""
    top_left = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    bottom_right = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    overlap = (bottom_right - top_left).clamp(min=0).prod(dim=-1)
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - overlap
    return overlap / union.clamp(min=eps)


def aligned_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-6) -> Tensor:
    """IoU of ``boxes1[i]`` with ``boxes2[i]`` (both ``[N, 4]`` xyxy) -> ``[N]``."""
    top_left = torch.maximum(boxes1[:, :2], boxes2[:, :2])
    bottom_right = torch.minimum(boxes1[:, 2:], boxes2[:, 2:])
    overlap = (bottom_right - top_left).clamp(min=0).prod(dim=-1)
    union = box_area(boxes1) + box_area(boxes2) - overlap
    return overlap / union.clamp(min=eps)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy NMS: indices of the kept boxes, highest score first.

    A box is dropped when its IoU with an already kept, higher-scoring box exceeds the threshold.
    """
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    order = scores.argsort(descending=True)
    overlaps = box_iou(boxes[order], boxes[order]) > iou_threshold
    suppressed = torch.zeros(len(order), dtype=torch.bool, device=boxes.device)
    kept = []
    for index in range(len(order)):
        if suppressed[index]:
            continue
        kept.append(index)
        suppressed |= overlaps[index]
    return order[torch.tensor(kept, dtype=torch.long, device=boxes.device)]


def batched_nms(boxes: Tensor, scores: Tensor, labels: Tensor, iou_threshold: float) -> Tensor:
    """NMS within each label only: boxes of different classes never suppress each other."""
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    # Shift each class's boxes into its own region so that boxes of different classes never overlap.
    offsets = labels.to(boxes.dtype)[:, None] * (boxes.max() - boxes.min() + 1)
    return nms(boxes + offsets, scores, iou_threshold)


def clip_boxes(boxes: Tensor, shape: tuple[int, int] | list[int]) -> Tensor:
    """Clip ``[N, 4]`` xyxy boxes to an image of ``shape`` ``(H, W)``."""
    height, width = int(shape[0]), int(shape[1])
    x = boxes[:, 0::2].clamp(0, width)
    y = boxes[:, 1::2].clamp(0, height)
    return torch.stack((x[:, 0], y[:, 0], x[:, 1], y[:, 1]), dim=-1)
