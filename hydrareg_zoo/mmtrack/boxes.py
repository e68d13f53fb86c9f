"""Box helpers shared by the tracker and the metrics (numpy, xyxy)."""

from __future__ import annotations

import numpy as np

__all__ = ["bbox_iou", "greedy_match"]


def bbox_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of ``a`` [N, 4] and ``b`` [M, 4] xyxy boxes: [N, M]."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod((rb - lt).clip(min=0), axis=2)
    area_a = np.prod((a[:, 2:] - a[:, :2]).clip(min=0), axis=1)
    area_b = np.prod((b[:, 2:] - b[:, :2]).clip(min=0), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def greedy_match(scores: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Pairs (row, col) taken best score first, each row and column once, scores >= threshold.

    ByteTrack solves this as an assignment problem; greedy matching gives the same pairs
    whenever objects are not ambiguous, and needs nothing beyond numpy.
    """
    pairs: list[tuple[int, int]] = []
    if scores.size == 0:
        return pairs
    used_rows: set[int] = set()
    used_cols: set[int] = set()
    order = np.argsort(-scores, axis=None, kind="stable")
    for flat in order:
        row, col = divmod(int(flat), scores.shape[1])
        if scores[row, col] < threshold:
            break
        if row in used_rows or col in used_cols:
            continue
        pairs.append((row, col))
        used_rows.add(row)
        used_cols.add(col)
    return pairs
