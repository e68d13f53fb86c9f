"""Tracking metrics in the CLEAR-MOT manner: ID switches, MOTA, and how many tracks were recovered."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from ..boxes import bbox_iou, greedy_match

__all__ = ["track_metrics"]


def track_metrics(
    gt_ids: Sequence[np.ndarray],
    gt_boxes: Sequence[np.ndarray],
    pred_ids: Sequence[np.ndarray],
    pred_boxes: Sequence[np.ndarray],
    iou_thr: float = 0.5,
    recovered_fraction: float = 0.8,
) -> dict[str, float | int]:
    """Compare predicted tracks with ground truth, frame by frame.

    A prediction matches a ground-truth box at IoU >= ``iou_thr``; a match from the previous
    frame is kept while it still holds (CLEAR-MOT), the rest are matched best IoU first. An ID
    switch is a ground-truth object matched to another predicted id than the last time. A
    ground-truth track is *recovered* when one predicted id covers at least
    ``recovered_fraction`` of the frames it is visible in.
    """
    if not len(gt_ids) == len(gt_boxes) == len(pred_ids) == len(pred_boxes):
        raise ValueError("ground truth and predictions must cover the same frames")
    last_match: dict[int, int] = {}
    per_gt: dict[int, Counter] = {}
    frames_of: Counter = Counter()
    tp = fp = fn = switches = 0
    for g_ids, g_boxes, p_ids, p_boxes in zip(gt_ids, gt_boxes, pred_ids, pred_boxes, strict=True):
        g_list, p_list = [int(i) for i in g_ids], [int(i) for i in p_ids]
        pairs = _match_frame(g_list, p_list, bbox_iou(g_boxes, p_boxes), last_match, iou_thr)
        for g, p in pairs:
            gid, pid = g_list[g], p_list[p]
            if gid in last_match and last_match[gid] != pid:
                switches += 1
            last_match[gid] = pid
            per_gt.setdefault(gid, Counter())[pid] += 1
        frames_of.update(g_list)
        tp += len(pairs)
        fp += len(p_list) - len(pairs)
        fn += len(g_list) - len(pairs)
    recovered = sum(
        1
        for gid, frames in frames_of.items()
        if gid in per_gt and max(per_gt[gid].values()) >= recovered_fraction * frames
    )
    return {
        "id_switches": switches,
        "recovered": recovered / max(len(frames_of), 1),
        "mota": 1 - (fn + fp + switches) / max(tp + fn, 1),
        "precision": tp / max(tp + fp, 1),
        "recall": tp / max(tp + fn, 1),
        "gt_tracks": len(frames_of),
        "pred_tracks": len({int(i) for ids in pred_ids for i in ids}),
    }


def _match_frame(
    g_list: list[int], p_list: list[int], iou: np.ndarray, last: dict[int, int], thr: float
) -> list[tuple[int, int]]:
    """Keep last frame's correspondences that still hold, then match the rest best IoU first."""
    pairs = []
    for g, gid in enumerate(g_list):
        pid = last.get(gid)
        if pid in p_list and iou[g, p_list.index(pid)] >= thr:
            pairs.append((g, p_list.index(pid)))
    rest = iou.copy()
    rest[[g for g, _ in pairs], :] = -1
    rest[:, [p for _, p in pairs]] = -1
    return pairs + greedy_match(rest, thr)
