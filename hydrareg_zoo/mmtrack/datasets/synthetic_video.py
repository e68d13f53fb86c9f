"""A deterministic synthetic video with ground-truth tracks.

Bright rectangles move at constant velocity over a dark, noisy background and bounce off the
borders. Objects may pass over each other (the later one is drawn on top); a ground-truth box
is listed in a frame only while at least ``min_visibility`` of it is visible, as MOT
benchmarks do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SyntheticVideo", "make_video"]


@dataclass
class SyntheticVideo:
    """``frames`` [T, H, W, 3] uint8; per frame ``boxes`` [N, 4] xyxy, ``ids`` and ``labels`` [N]."""

    frames: np.ndarray
    boxes: list[np.ndarray]
    ids: list[np.ndarray]
    labels: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.frames)


def make_video(
    num_frames: int = 20,
    size: int = 64,
    num_objects: int = 3,
    seed: int = 0,
    min_side: int = 8,
    max_side: int = 14,
    max_speed: float = 3.0,
    min_visibility: float = 0.5,
) -> SyntheticVideo:
    """Make the video for ``seed`` (the same arguments give the same frames and tracks)."""
    rng = np.random.default_rng(seed)
    sides = rng.integers(min_side, max_side + 1, size=(num_objects, 2)).astype(float)  # w, h
    pos = rng.uniform(0, 1, size=(num_objects, 2)) * (size - sides)  # top-left corners
    angle = rng.uniform(0, 2 * np.pi, size=num_objects)
    speed = rng.uniform(max_speed / 2, max_speed, size=num_objects)
    vel = np.stack([np.cos(angle), np.sin(angle)], axis=1) * speed[:, None]
    colours = rng.integers(150, 256, size=(num_objects, 3))
    base = rng.integers(10, 60, size=3)
    frames, boxes, ids, labels = [], [], [], []
    for _ in range(num_frames):
        img = (base + rng.normal(0, 8, size=(size, size, 3))).clip(0, 255)
        owner = np.full((size, size), -1)
        corners = np.round(pos).astype(int)
        for k, (x0, y0) in enumerate(corners):
            w, h = sides[k].astype(int)
            img[y0 : y0 + h, x0 : x0 + w] = colours[k]
            owner[y0 : y0 + h, x0 : x0 + w] = k
        visible = [
            k for k in range(num_objects) if (owner == k).sum() >= min_visibility * sides[k, 0] * sides[k, 1]
        ]
        frames.append(img.astype(np.uint8))
        boxes.append(
            np.asarray([[*corners[k], *(corners[k] + sides[k])] for k in visible], dtype=np.float32).reshape(
                -1, 4
            )
        )
        ids.append(np.asarray(visible, dtype=np.int64))
        labels.append(np.zeros(len(visible), dtype=np.int64))
        pos, vel = _move(pos, vel, sides, size)
    return SyntheticVideo(np.stack(frames), boxes, ids, labels)


def _move(pos: np.ndarray, vel: np.ndarray, sides: np.ndarray, size: int):
    """One step of constant velocity; a border reflects the position and the velocity."""
    pos = pos + vel
    low, high = pos < 0, pos > size - sides
    vel = np.where(low | high, -vel, vel)
    pos = np.where(low, -pos, np.where(high, 2 * (size - sides) - pos, pos))
    return pos, vel
