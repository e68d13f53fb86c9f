"""``SingleStageDetector``: backbone -> neck -> dense head, the shape YOLOX and RetinaNet share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import Tensor

from ....common._cfg import build_child, copy_cfg
from ....common.base_module import BaseModule, InitCfg
from ...registry import MODELS

__all__ = ["SingleStageDetector"]


class SingleStageDetector(BaseModule):
    """Build ``backbone``, ``neck`` and ``bbox_head`` through mmdet's ``MODELS``.

    So an unprefixed ``type`` is looked up in mmdet first (``CSPDarknet``), a prefixed one in its
    library (``mmcls.ConvNeXt``). ``train_cfg``/``test_cfg`` are handed to the head, as in MMDet.
    """

    def __init__(
        self,
        backbone: Mapping[str, Any],
        neck: Mapping[str, Any] | None,
        bbox_head: Mapping[str, Any],
        train_cfg: Mapping[str, Any] | None = None,
        test_cfg: Mapping[str, Any] | None = None,
        init_cfg: InitCfg = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.backbone = build_child(MODELS, backbone, "backbone")
        self.neck = None if neck is None else build_child(MODELS, neck, "neck")
        head = copy_cfg(bbox_head, "bbox_head")
        if train_cfg is not None:
            head["train_cfg"] = train_cfg
        if test_cfg is not None:
            head["test_cfg"] = test_cfg
        self.bbox_head = build_child(MODELS, head, "bbox_head")
        self.train_cfg, self.test_cfg = train_cfg, test_cfg

    def extract_feat(self, inputs: Tensor) -> tuple[Tensor, ...]:
        """Backbone, then neck: the multi-level features the head reads."""
        feats = self.backbone(inputs)
        return feats if self.neck is None else self.neck(feats)

    def forward(self, inputs: Tensor) -> Any:
        """The head's raw outputs (per-level maps), e.g. for export or inspection."""
        return self.bbox_head(self.extract_feat(inputs))

    def loss(
        self, inputs: Tensor, gt_bboxes: Sequence[Tensor], gt_labels: Sequence[Tensor]
    ) -> dict[str, Tensor]:
        """Training losses, given ground-truth boxes (xyxy pixels) and labels for each image."""
        return self.bbox_head.loss(self.extract_feat(inputs), gt_bboxes, gt_labels)

    def predict(self, inputs: Tensor) -> list[dict[str, Tensor]]:
        """Per image ``{'bboxes': [N, 4] xyxy pixels, 'scores': [N], 'labels': [N]}``."""
        return self.bbox_head.predict(self.extract_feat(inputs), inputs.shape[-2:])
