"""``ByteTrack``: a detector (any mmdet detector config) plus a ``ByteTracker``, frame by frame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from hydrareg_zoo.common._cfg import build_child
from hydrareg_zoo.common.base_module import BaseModule, InitCfg

from ...registry import MODELS

__all__ = ["ByteTrack"]


@MODELS.register_module()
class ByteTrack(BaseModule):
    """Detect with ``detector``, associate with ``tracker``; both built through mmtrack's MODELS.

    The detector config is usually another library's: ``_scope_: mmdet`` with ``type: YOLOX``
    (and unprefixed parts), or ``type: mmdet.YOLOX`` with ``mmdet.`` on every part.
    ``loss`` trains the detector; ``track`` runs one frame through both.
    """

    def __init__(
        self, detector: Mapping[str, Any], tracker: Mapping[str, Any], init_cfg: InitCfg = None
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.detector = build_child(MODELS, detector, "detector")
        self.tracker = build_child(MODELS, tracker, "tracker")

    def forward(self, inputs: Tensor) -> Any:
        """The detector's raw outputs."""
        return self.detector(inputs)

    def loss(
        self, inputs: Tensor, gt_bboxes: Sequence[Tensor], gt_labels: Sequence[Tensor]
    ) -> dict[str, Tensor]:
        """The detector's training losses (tracking itself has nothing to learn)."""
        return self.detector.loss(inputs, gt_bboxes, gt_labels)

    @torch.no_grad()
    def track(self, frame: Tensor, frame_id: int) -> dict[str, np.ndarray]:
        """Detect in one frame (Tensor[3, H, W] or [1, 3, H, W]) and update the tracks.

        Returns the confirmed tracks in this frame: ``ids``, ``bboxes``, ``scores``, ``labels``.
        Frame 0 starts a new video.
        """
        inputs = frame[None] if frame.ndim == 3 else frame
        was_training = self.training
        self.eval()
        detections = self.detector.predict(inputs)[0]
        self.train(was_training)
        return self.tracker.update(detections["bboxes"], detections["scores"], detections["labels"], frame_id)

    def track_video(self, frames: Tensor) -> list[dict[str, np.ndarray]]:
        """``track`` over every frame of a Tensor[T, 3, H, W] video, from frame 0."""
        return [self.track(frame, frame_id) for frame_id, frame in enumerate(frames)]
