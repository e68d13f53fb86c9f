"""RetinaHead: anchor-based head shared by all levels, with focal loss (Lin et al., 2017)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from hydrareg.errors import ConfigValueError

from ....common._cfg import build_child
from ....common.base_module import BaseModule, InitCfg
from ....common.conv_module import ConvModule
from ....common.weight_init import bias_from_prob
from ...registry import MODELS, TASK_UTILS
from ..utils import TestSettings, check_targets, select_detections

__all__ = ["RetinaHead"]

Cfg = Mapping[str, Any]
_PRIOR_PROB = 0.01
# Default sub-configs name their library: the root MODELS also holds torch's CrossEntropyLoss and
# L1Loss, which an unprefixed name reaches when this head is built under another library's default
# scope (a detector inside an mmtrack tracker, say).
RETINA_ANCHORS = {
    "type": "mmdet.AnchorGenerator",
    "octave_base_scale": 4,
    "scales_per_octave": 3,
    "ratios": [0.5, 1.0, 2.0],
    "strides": [8, 16, 32, 64, 128],
}
DELTA_CODER = {"type": "mmdet.DeltaXYWHBBoxCoder"}
FOCAL_LOSS = {
    "type": "mmdet.FocalLoss",
    "use_sigmoid": True,
    "gamma": 2.0,
    "alpha": 0.25,
    "loss_weight": 1.0,
}
L1_LOSS = {"type": "mmdet.L1Loss", "loss_weight": 1.0}
NORMAL_CONV_INIT = {"type": "Normal", "layer": "Conv2d", "std": 0.01}


@MODELS.register_module()
class RetinaHead(BaseModule):
    """Two conv towers (classification, regression) applied to every level, then per-anchor outputs.

    Args:
        num_classes: Number of object classes.
        in_channels: Channels of every input level (the neck's ``out_channels``).
        stacked_convs: Convs in each tower.
        feat_channels: Channels of the towers.
        anchor_generator: Config of the anchors, built through mmdet's ``TASK_UTILS``; its
            strides must match the input levels.
        bbox_coder: Config of the box coder (``DeltaXYWHBBoxCoder``), through ``TASK_UTILS``.
        train_cfg: ``{'assigner': {...}}`` (``MaxIoUAssigner``); needed by ``loss``.
        test_cfg: ``nms_pre``, ``score_thr``, ``nms: {type: nms, iou_threshold}``, ``max_per_img``.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        stacked_convs: int = 4,
        feat_channels: int = 256,
        norm_cfg: Cfg | None = None,
        anchor_generator: Cfg = RETINA_ANCHORS,
        bbox_coder: Cfg = DELTA_CODER,
        loss_cls: Cfg = FOCAL_LOSS,
        loss_bbox: Cfg = L1_LOSS,
        train_cfg: Cfg | None = None,
        test_cfg: Cfg | None = None,
        init_cfg: InitCfg = NORMAL_CONV_INIT,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_classes <= 0:
            raise ConfigValueError(f"RetinaHead: num_classes must be positive, got {num_classes}")
        self.num_classes, self.in_channels = num_classes, int(in_channels)
        self.prior_generator = build_child(TASK_UTILS, anchor_generator, "anchor_generator")
        self.bbox_coder = build_child(TASK_UTILS, bbox_coder, "bbox_coder")
        self.num_anchors = self.prior_generator.num_base_priors[0]
        relu = {"type": "ReLU"}
        self.cls_convs = nn.Sequential(
            *(
                ConvModule(
                    self.in_channels if i == 0 else feat_channels,
                    feat_channels,
                    3,
                    padding=1,
                    norm_cfg=norm_cfg,
                    act_cfg=relu,
                )
                for i in range(stacked_convs)
            )
        )
        self.reg_convs = nn.Sequential(
            *(
                ConvModule(
                    self.in_channels if i == 0 else feat_channels,
                    feat_channels,
                    3,
                    padding=1,
                    norm_cfg=norm_cfg,
                    act_cfg=relu,
                )
                for i in range(stacked_convs)
            )
        )
        tower_out = feat_channels if stacked_convs else self.in_channels
        self.retina_cls = nn.Conv2d(tower_out, self.num_anchors * num_classes, 3, padding=1)
        self.retina_reg = nn.Conv2d(tower_out, self.num_anchors * 4, 3, padding=1)
        self._init_prior_bias()
        self.loss_cls = build_child(MODELS, loss_cls, "loss_cls")
        self.loss_bbox = build_child(MODELS, loss_bbox, "loss_bbox")
        self.train_cfg, self.test_cfg = train_cfg, test_cfg
        self.assigner = None
        if train_cfg is not None:
            if "assigner" not in train_cfg:
                raise ConfigValueError("RetinaHead: train_cfg needs an 'assigner'")
            self.assigner = build_child(TASK_UTILS, train_cfg["assigner"], "train_cfg.assigner")
        self.test_settings = TestSettings.from_cfg(
            test_cfg, "RetinaHead", score_thr=0.05, iou_threshold=0.5, max_per_img=100, nms_pre=1000
        )

    def _init_prior_bias(self) -> None:
        nn.init.constant_(self.retina_cls.bias, bias_from_prob(_PRIOR_PROB))

    def init_weights(self) -> None:
        super().init_weights()
        self._init_prior_bias()

    def forward(self, feats: Sequence[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """Per level: logits ``[B, A * C, H, W]`` and box deltas ``[B, A * 4, H, W]``."""
        if len(feats) != self.prior_generator.num_levels:
            raise ValueError(
                f"RetinaHead's anchor generator has {self.prior_generator.num_levels} levels "
                f"(strides {self.prior_generator.strides}), got {len(feats)} feature maps"
            )
        cls_scores = [self.retina_cls(self.cls_convs(x)) for x in feats]
        bbox_preds = [self.retina_reg(self.reg_convs(x)) for x in feats]
        return cls_scores, bbox_preds

    def _flatten(self, outputs: tuple[list[Tensor], list[Tensor]]) -> tuple[Tensor, Tensor, list[Tensor]]:
        """``[B, M, C]`` logits, ``[B, M, 4]`` deltas and per-level anchors (``M`` in all)."""
        cls_scores, bbox_preds = outputs
        batch = cls_scores[0].shape[0]
        anchors = self.prior_generator.grid_priors([m.shape[-2:] for m in cls_scores], cls_scores[0].device)

        def flat(maps: list[Tensor], channels: int) -> Tensor:
            return torch.cat([m.permute(0, 2, 3, 1).reshape(batch, -1, channels) for m in maps], dim=1)

        return flat(cls_scores, self.num_classes), flat(bbox_preds, 4), anchors

    def loss(
        self, feats: Sequence[Tensor], gt_bboxes: Sequence[Tensor], gt_labels: Sequence[Tensor]
    ) -> dict[str, Tensor]:
        """Focal loss over positive and negative anchors, box loss over positives; per positive."""
        if self.assigner is None:
            raise ConfigValueError("RetinaHead.loss needs train_cfg with an assigner (e.g. MaxIoUAssigner)")
        cls_scores, bbox_preds, anchors = self._flatten(self(feats))
        check_targets(cls_scores.shape[0], gt_bboxes, gt_labels)
        anchors = torch.cat(anchors)
        labels, valid, pos, deltas = [], [], [], []
        for gt_b, gt_l in zip(gt_bboxes, gt_labels, strict=True):
            result = self.assigner.assign(anchors, gt_b.to(anchors), gt_l)
            target = torch.full_like(result.labels, self.num_classes)
            target[result.pos_mask] = result.labels[result.pos_mask]
            labels.append(target)
            valid.append(result.gt_inds >= 0)
            pos.append(result.pos_mask)
            matched = gt_b.to(anchors)[result.gt_inds[result.pos_mask] - 1]
            deltas.append(self.bbox_coder.encode(anchors[result.pos_mask], matched))
        labels, valid, pos, deltas = (
            torch.cat(labels),
            torch.cat(valid),
            torch.cat(pos),
            torch.cat(deltas),
        )
        num_pos = max(float(pos.sum()), 1.0)
        flat_cls = cls_scores.reshape(-1, self.num_classes)
        return {
            "loss_cls": self.loss_cls(flat_cls[valid], labels[valid], avg_factor=num_pos),
            "loss_bbox": self.loss_bbox(bbox_preds.reshape(-1, 4)[pos], deltas, avg_factor=num_pos),
        }

    @torch.no_grad()
    def predict(self, feats: Sequence[Tensor], img_shape: Sequence[int]) -> list[dict[str, Tensor]]:
        """Per image: ``bboxes`` ``[N, 4]`` xyxy, ``scores`` ``[N]``, ``labels`` ``[N]``."""
        cls_scores, bbox_preds, anchors = self._flatten(self(feats))
        sizes = [len(a) for a in anchors]
        results = []
        for cls, deltas in zip(cls_scores.sigmoid(), bbox_preds, strict=True):
            boxes, scores, labels = [], [], []
            for level_cls, level_deltas, level_anchors in zip(
                cls.split(sizes), deltas.split(sizes), anchors, strict=True
            ):
                top = (
                    level_cls.max(dim=1).values.topk(min(self.test_settings.nms_pre, len(level_cls))).indices
                )
                level_cls = level_cls[top]
                anchor_idx, label = (level_cls >= self.test_settings.score_thr).nonzero(as_tuple=True)
                decoded = self.bbox_coder.decode(
                    level_anchors[top][anchor_idx], level_deltas[top][anchor_idx], img_shape
                )
                boxes.append(decoded)
                scores.append(level_cls[anchor_idx, label])
                labels.append(label)
            results.append(
                select_detections(
                    torch.cat(boxes),
                    torch.cat(scores),
                    torch.cat(labels),
                    self.test_settings,
                    img_shape,
                )
            )
        return results
