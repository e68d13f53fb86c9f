"""``ByteTracker``: ByteTrack's association of detections to tracks, with constant velocity motion.

Each frame: tracks are moved to where their velocity predicts; high-score detections are
matched to confirmed tracks (IoU, optionally weighted by score), then to tentative ones; the
confirmed tracks still unmatched then take the low-score detections (ByteTrack's idea: a
half-occluded object scores low but keeps its track). Unmatched high-score detections above
``init_track_thr`` start tentative tracks, confirmed after ``num_tentatives`` frames in a row.
Confirmed tracks that go unmatched are kept (lost) for ``num_frames_retain`` frames.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hydrareg.errors import ConfigValueError

from ...boxes import bbox_iou, greedy_match
from ...registry import MODELS

__all__ = ["ByteTracker", "Track"]


@dataclass
class Track:
    """One object's track: its last box, per-frame velocity and bookkeeping."""

    id: int
    box: np.ndarray
    score: float
    label: int
    last_frame: int
    hits: int = 1
    confirmed: bool = False
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(4))

    def predict(self, frame_id: int) -> np.ndarray:
        """Where the box should be at ``frame_id`` if the object keeps its velocity."""
        return self.box + self.velocity * (frame_id - self.last_frame)

    def update(self, box: np.ndarray, score: float, label: int, frame_id: int, momentum: float):
        """Take a matched detection; the velocity is a running average of displacements."""
        step = (box - self.box) / max(frame_id - self.last_frame, 1)
        self.velocity = step if self.hits == 1 else momentum * self.velocity + (1 - momentum) * step
        self.box, self.score, self.label, self.last_frame = box, score, label, frame_id
        self.hits += 1


def _thresholds(value: Mapping[str, float], keys: tuple[str, ...], name: str) -> dict[str, float]:
    missing = [key for key in keys if key not in value]
    if missing:
        raise ConfigValueError(f"{name} needs the keys {', '.join(keys)}; missing {missing}")
    return {key: float(value[key]) for key in keys}


@MODELS.register_module()
class ByteTracker:
    """ByteTrack association (see the module docstring); ``update`` once per frame, in order."""

    def __init__(
        self,
        obj_score_thrs: Mapping[str, float] | None = None,
        init_track_thr: float = 0.7,
        weight_iou_with_det_scores: bool = True,
        match_iou_thrs: Mapping[str, float] | None = None,
        num_tentatives: int = 3,
        num_frames_retain: int = 30,
        velocity_momentum: float = 0.5,
    ) -> None:
        self.obj_score_thrs = _thresholds(
            obj_score_thrs or {"high": 0.6, "low": 0.1}, ("high", "low"), "obj_score_thrs"
        )
        self.match_iou_thrs = _thresholds(
            match_iou_thrs or {"high": 0.1, "low": 0.5, "tentative": 0.3},
            ("high", "low", "tentative"),
            "match_iou_thrs",
        )
        if self.obj_score_thrs["low"] > self.obj_score_thrs["high"]:
            raise ConfigValueError(f"obj_score_thrs: low must be <= high, got {obj_score_thrs}")
        if num_tentatives < 1 or num_frames_retain < 0 or not 0 <= velocity_momentum < 1:
            raise ConfigValueError(
                "ByteTracker needs num_tentatives >= 1, num_frames_retain >= 0 and 0 <= velocity_momentum < 1"
            )
        self.init_track_thr = init_track_thr
        self.weight_iou_with_det_scores = weight_iou_with_det_scores
        self.num_tentatives = num_tentatives
        self.num_frames_retain = num_frames_retain
        self.velocity_momentum = velocity_momentum
        self.reset()

    def reset(self) -> None:
        """Forget every track (a new video starts); ids start again from 0."""
        self.tracks: list[Track] = []
        self._next_id = 0

    def update(
        self, bboxes: Any, scores: Any, labels: Any | None = None, frame_id: int = 0
    ) -> dict[str, np.ndarray]:
        """Associate one frame's detections; returns the confirmed tracks seen in this frame.

        ``bboxes`` [N, 4] xyxy, ``scores`` [N], ``labels`` [N] (arrays or tensors). Frame 0
        resets the tracker. The result has ``ids``, ``bboxes``, ``scores`` and ``labels``.
        """
        if frame_id == 0:
            self.reset()
        boxes = _numpy(bboxes, np.float64).reshape(-1, 4)
        scores = _numpy(scores, np.float64).reshape(-1)
        labels = np.zeros(len(scores), np.int64) if labels is None else _numpy(labels, np.int64)
        if not len(boxes) == len(scores) == len(labels):
            raise ValueError(f"got {len(boxes)} boxes, {len(scores)} scores, {len(labels)} labels")
        high = np.flatnonzero(scores >= self.obj_score_thrs["high"])
        low = np.flatnonzero((scores >= self.obj_score_thrs["low"]) & (scores < self.obj_score_thrs["high"]))

        confirmed = [t for t in self.tracks if t.confirmed]
        tentative = [t for t in self.tracks if not t.confirmed]
        matched, high = self._associate(
            confirmed, high, boxes, scores, frame_id, "high", self.weight_iou_with_det_scores
        )
        matched_tentative, high = self._associate(
            tentative, high, boxes, scores, frame_id, "tentative", self.weight_iou_with_det_scores
        )
        recent = [t for t in confirmed if t.id not in matched and t.last_frame == frame_id - 1]
        matched_low, _ = self._associate(recent, low, boxes, scores, frame_id, "low", False)

        for track_map in (matched, matched_tentative, matched_low):
            for track, det in track_map.values():
                track.update(
                    boxes[det], float(scores[det]), int(labels[det]), frame_id, self.velocity_momentum
                )
                if not track.confirmed and track.hits >= self.num_tentatives:
                    track.confirmed = True
        self.tracks = [t for t in self.tracks if self._keep(t, frame_id)]
        for det in high:
            if scores[det] >= self.init_track_thr:
                self.tracks.append(
                    Track(
                        self._next_id,
                        boxes[det],
                        float(scores[det]),
                        int(labels[det]),
                        frame_id,
                        confirmed=frame_id == 0,
                    )
                )
                self._next_id += 1
        return self._output(frame_id)

    def _associate(self, tracks, dets, boxes, scores, frame_id, stage, weighted):
        """Match ``tracks`` to detections ``dets``; returns {id: (track, det)} and leftover dets."""
        if not tracks or not len(dets):
            return {}, dets
        predicted = np.stack([t.predict(frame_id) for t in tracks])
        similarity = bbox_iou(predicted, boxes[dets])
        if weighted:
            similarity = similarity * scores[dets][None, :]
        pairs = greedy_match(similarity, self.match_iou_thrs[stage])
        matched = {tracks[row].id: (tracks[row], dets[col]) for row, col in pairs}
        taken = {col for _, col in pairs}
        return matched, np.asarray([d for i, d in enumerate(dets) if i not in taken], dtype=np.int64)

    def _keep(self, track: Track, frame_id: int) -> bool:
        if track.last_frame == frame_id:
            return True
        if not track.confirmed:
            return False  # a tentative track must be seen in consecutive frames
        return frame_id - track.last_frame <= self.num_frames_retain

    def _output(self, frame_id: int) -> dict[str, np.ndarray]:
        shown = [t for t in self.tracks if t.confirmed and t.last_frame == frame_id]
        return {
            "ids": np.asarray([t.id for t in shown], dtype=np.int64),
            "bboxes": np.asarray([t.box for t in shown], dtype=np.float32).reshape(-1, 4),
            "scores": np.asarray([t.score for t in shown], dtype=np.float32),
            "labels": np.asarray([t.label for t in shown], dtype=np.int64),
        }


def _numpy(value: Any, dtype: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=dtype)
