"""Helpers shared by mmdet's dense heads: reading ``test_cfg`` and the final filter + NMS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from torch import Tensor

from hydrareg.errors import ConfigValueError

from ...common.ops import batched_nms, clip_boxes

__all__ = ["TestSettings", "check_targets", "select_detections"]


@dataclass(frozen=True)
class TestSettings:
    """What a head's ``test_cfg`` says about turning raw predictions into detections."""

    score_thr: float = 0.05
    iou_threshold: float = 0.5
    max_per_img: int = 100
    nms_pre: int = 1000

    @classmethod
    def from_cfg(cls, cfg: Mapping[str, Any] | None, owner: str, **defaults: Any) -> TestSettings:
        base = cls(**defaults)
        if cfg is None:
            return base
        known = {"score_thr", "nms", "max_per_img", "nms_pre", "min_bbox_size"}
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise ConfigValueError(f"{owner}: unknown test_cfg keys {unknown}; known: {sorted(known)}")
        nms = cfg.get("nms") or {}
        if nms.get("type", "nms") != "nms":
            raise ConfigValueError(f"{owner}: test_cfg.nms.type must be 'nms', got {nms.get('type')!r}")
        return cls(
            score_thr=float(cfg.get("score_thr", base.score_thr)),
            iou_threshold=float(nms.get("iou_threshold", base.iou_threshold)),
            max_per_img=int(cfg.get("max_per_img", base.max_per_img)),
            nms_pre=int(cfg.get("nms_pre", base.nms_pre)),
        )


def select_detections(
    bboxes: Tensor, scores: Tensor, labels: Tensor, settings: TestSettings, img_shape: Sequence[int]
) -> dict[str, Tensor]:
    """Clip, drop scores below the threshold, class-wise NMS, keep the best ``max_per_img``."""
    keep = scores >= settings.score_thr
    bboxes, scores, labels = clip_boxes(bboxes[keep], img_shape), scores[keep], labels[keep]
    kept = batched_nms(bboxes, scores, labels, settings.iou_threshold)[: settings.max_per_img]
    return {"bboxes": bboxes[kept], "scores": scores[kept], "labels": labels[kept].long()}


def check_targets(batch: int, gt_bboxes: Sequence[Tensor], gt_labels: Sequence[Tensor]) -> None:
    """One ``[Ni, 4]`` box tensor and one ``[Ni]`` label tensor per image, or a clear error."""
    if len(gt_bboxes) != batch or len(gt_labels) != batch:
        raise ValueError(
            f"expected ground truth for {batch} images, got {len(gt_bboxes)} box and "
            f"{len(gt_labels)} label tensors"
        )
    for boxes, labels in zip(gt_bboxes, gt_labels, strict=True):
        if boxes.dim() != 2 or boxes.shape[-1] != 4 or labels.shape != boxes.shape[:1]:
            raise ValueError(
                f"gt_bboxes must be [N, 4] with gt_labels [N], "
                f"got {tuple(boxes.shape)} and {tuple(labels.shape)}"
            )
