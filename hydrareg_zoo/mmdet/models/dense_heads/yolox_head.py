"""YOLOXHead: decoupled anchor-free head (class, box, objectness per level), trained with SimOTA."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from hydrareg.errors import ConfigValueError

from ....common._cfg import build_child, child_path
from ....common.base_module import BaseModule, InitCfg
from ....common.weight_init import bias_from_prob
from ...registry import MODELS, TASK_UTILS
from ..layers.csp_layer import SWISH, TORCH_CONV_INIT, YOLOX_BN, conv3x3
from ..task_modules.prior_generators import MlvlPointGenerator
from ..utils import TestSettings, check_targets, select_detections

__all__ = ["YOLOXHead"]

Cfg = Mapping[str, Any]
_PRIOR_PROB = 0.01
# Default sub-configs name their library: the root MODELS also holds torch's CrossEntropyLoss and
# L1Loss, which an unprefixed name reaches when this head is built under another library's default
# scope (a detector inside an mmtrack tracker, say).
SIGMOID_CE_SUM = {
    "type": "mmdet.CrossEntropyLoss",
    "use_sigmoid": True,
    "reduction": "sum",
    "loss_weight": 1.0,
}
SQUARE_IOU_SUM = {
    "type": "mmdet.IoULoss",
    "mode": "square",
    "eps": 1e-16,
    "reduction": "sum",
    "loss_weight": 5.0,
}
L1_SUM = {"type": "mmdet.L1Loss", "reduction": "sum", "loss_weight": 1.0}


@MODELS.register_module()
class YOLOXHead(BaseModule):
    """Per level: stacked convs, then 1x1 predictors for classes, box (4) and objectness (1).

    Boxes are predicted relative to each grid point: centre ``(p + dxy * stride)`` and size
    ``exp(dwh) * stride``. ``loss`` assigns points to boxes with ``train_cfg['assigner']``
    (built through mmdet's ``TASK_UTILS``, normally ``SimOTAAssigner``).

    Args:
        num_classes: Number of object classes.
        in_channels: Channels of every input level (the neck's ``out_channels``).
        feat_channels: Channels of the stacked convs.
        stacked_convs: Convs before each predictor.
        strides: Stride of each input level.
        use_l1: Add the L1 loss on raw offsets (YOLOX turns it on for the last epochs).
        train_cfg: ``{'assigner': {...}}``; needed by ``loss``.
        test_cfg: ``score_thr``, ``nms: {type: nms, iou_threshold}``, ``max_per_img``.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        feat_channels: int = 256,
        stacked_convs: int = 2,
        strides: Sequence[int] = (8, 16, 32),
        use_depthwise: bool = False,
        norm_cfg: Cfg = YOLOX_BN,
        act_cfg: Cfg = SWISH,
        loss_cls: Cfg = SIGMOID_CE_SUM,
        loss_bbox: Cfg = SQUARE_IOU_SUM,
        loss_obj: Cfg = SIGMOID_CE_SUM,
        loss_l1: Cfg = L1_SUM,
        use_l1: bool = False,
        train_cfg: Cfg | None = None,
        test_cfg: Cfg | None = None,
        init_cfg: InitCfg = TORCH_CONV_INIT,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_classes <= 0:
            raise ConfigValueError(f"YOLOXHead: num_classes must be positive, got {num_classes}")
        self.num_classes, self.in_channels, self.strides = (
            num_classes,
            int(in_channels),
            [int(s) for s in strides],
        )
        self.use_l1 = use_l1
        self.prior_generator = MlvlPointGenerator(self.strides, offset=0)

        def branch() -> nn.Sequential:
            return nn.Sequential(
                *(
                    conv3x3(
                        self.in_channels if i == 0 else feat_channels,
                        feat_channels,
                        1,
                        use_depthwise,
                        norm_cfg,
                        act_cfg,
                    )
                    for i in range(stacked_convs)
                )
            )

        def predictor(out: int) -> nn.Conv2d:
            return nn.Conv2d(feat_channels if stacked_convs else self.in_channels, out, 1)

        levels = range(len(self.strides))
        self.multi_level_cls_convs = nn.ModuleList(branch() for _ in levels)
        self.multi_level_reg_convs = nn.ModuleList(branch() for _ in levels)
        self.multi_level_conv_cls = nn.ModuleList(predictor(num_classes) for _ in levels)
        self.multi_level_conv_reg = nn.ModuleList(predictor(4) for _ in levels)
        self.multi_level_conv_obj = nn.ModuleList(predictor(1) for _ in levels)
        self._init_prior_bias()

        self.loss_cls = build_child(MODELS, loss_cls, "loss_cls")
        self.loss_bbox = build_child(MODELS, loss_bbox, "loss_bbox")
        self.loss_obj = build_child(MODELS, loss_obj, "loss_obj")
        self.loss_l1 = build_child(MODELS, loss_l1, "loss_l1")
        self.train_cfg, self.test_cfg = train_cfg, test_cfg
        self.assigner = None
        if train_cfg is not None:
            if "assigner" not in train_cfg:
                raise ConfigValueError(
                    "YOLOXHead: train_cfg needs an 'assigner'",
                    config_path=child_path(train_cfg, "assigner"),
                )
            self.assigner = build_child(TASK_UTILS, train_cfg["assigner"], "train_cfg.assigner")
        self.test_settings = TestSettings.from_cfg(
            test_cfg, "YOLOXHead", score_thr=0.01, iou_threshold=0.65, max_per_img=100, nms_pre=1000
        )

    def _init_prior_bias(self) -> None:
        """Start class and objectness scores at 1% probability, as focal-style detectors do."""
        for conv in (*self.multi_level_conv_cls, *self.multi_level_conv_obj):
            nn.init.constant_(conv.bias, bias_from_prob(_PRIOR_PROB))

    def init_weights(self) -> None:
        super().init_weights()
        self._init_prior_bias()

    # ------------------------------------------------------------------ forward

    def forward(self, feats: Sequence[Tensor]) -> tuple[list[Tensor], list[Tensor], list[Tensor]]:
        """Per level: class logits ``[B, C, H, W]``, box offsets ``[B, 4, H, W]``, objectness
        ``[B, 1, H, W]``."""
        if len(feats) != len(self.strides):
            raise ValueError(
                f"YOLOXHead has {len(self.strides)} levels (strides {self.strides}), "
                f"got {len(feats)} feature maps"
            )
        cls_scores, bbox_preds, objectnesses = [], [], []
        for i, x in enumerate(feats):
            cls_feat = self.multi_level_cls_convs[i](x)
            reg_feat = self.multi_level_reg_convs[i](x)
            cls_scores.append(self.multi_level_conv_cls[i](cls_feat))
            bbox_preds.append(self.multi_level_conv_reg[i](reg_feat))
            objectnesses.append(self.multi_level_conv_obj[i](reg_feat))
        return cls_scores, bbox_preds, objectnesses

    def _flatten(
        self, outputs: tuple[list[Tensor], list[Tensor], list[Tensor]]
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """All levels as ``[B, N, C]``, ``[B, N, 4]``, ``[B, N]`` plus the priors ``[N, 4]``."""
        cls_scores, bbox_preds, objectnesses = outputs
        batch = cls_scores[0].shape[0]

        def flat(maps: list[Tensor], channels: int) -> Tensor:
            return torch.cat([m.permute(0, 2, 3, 1).reshape(batch, -1, channels) for m in maps], dim=1)

        priors = torch.cat(
            self.prior_generator.grid_priors(
                [m.shape[-2:] for m in cls_scores], device=cls_scores[0].device, with_stride=True
            )
        )
        return (
            flat(cls_scores, self.num_classes),
            flat(bbox_preds, 4),
            flat(objectnesses, 1)[..., 0],
            priors,
        )

    @staticmethod
    def decode(priors: Tensor, bbox_preds: Tensor) -> Tensor:
        """xyxy boxes from grid points ``(x, y, stride, stride)`` and predicted offsets."""
        centers = bbox_preds[..., :2] * priors[:, 2:] + priors[:, :2]
        sizes = bbox_preds[..., 2:].clamp(max=10).exp() * priors[:, 2:]
        return torch.cat((centers - sizes / 2, centers + sizes / 2), dim=-1)

    # ------------------------------------------------------------------ training

    def loss(
        self, feats: Sequence[Tensor], gt_bboxes: Sequence[Tensor], gt_labels: Sequence[Tensor]
    ) -> dict[str, Tensor]:
        """``loss_cls``, ``loss_bbox``, ``loss_obj`` (and ``loss_l1``), each per positive prior."""
        if self.assigner is None:
            raise ConfigValueError("YOLOXHead.loss needs train_cfg with an assigner (e.g. SimOTAAssigner)")
        cls_scores, bbox_preds, objectness, priors = self._flatten(self(feats))
        check_targets(cls_scores.shape[0], gt_bboxes, gt_labels)
        decoded = self.decode(priors, bbox_preds)
        targets = [
            self._targets(priors, cls.detach(), boxes.detach(), obj.detach(), gt_b, gt_l)
            for cls, boxes, obj, gt_b, gt_l in zip(
                cls_scores, decoded, objectness, gt_bboxes, gt_labels, strict=True
            )
        ]
        pos_masks, cls_targets, obj_targets, bbox_targets, l1_targets = (
            torch.cat(t) for t in zip(*targets, strict=True)
        )
        num_pos = max(float(pos_masks.sum()), 1.0)
        losses = {
            "loss_cls": self.loss_cls(cls_scores.reshape(-1, self.num_classes)[pos_masks], cls_targets)
            / num_pos,
            "loss_bbox": self.loss_bbox(decoded.reshape(-1, 4)[pos_masks], bbox_targets) / num_pos,
            "loss_obj": self.loss_obj(objectness.reshape(-1), obj_targets) / num_pos,
        }
        if self.use_l1:
            losses["loss_l1"] = self.loss_l1(bbox_preds.reshape(-1, 4)[pos_masks], l1_targets) / num_pos
        return losses

    def _targets(
        self,
        priors: Tensor,
        cls_scores: Tensor,
        decoded: Tensor,
        objectness: Tensor,
        gt_bboxes: Tensor,
        gt_labels: Tensor,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """One image: positive mask, soft class targets, objectness targets, box and L1 targets."""
        gt_bboxes = gt_bboxes.to(decoded)
        centers = torch.cat((priors[:, :2] + priors[:, 2:] / 2, priors[:, 2:]), dim=-1)
        scores = (cls_scores.sigmoid() * objectness.sigmoid()[:, None]).sqrt()
        result = self.assigner.assign(scores, centers, decoded, gt_bboxes, gt_labels)
        pos = result.gt_inds > 0
        assigned = result.gt_inds[pos] - 1
        one_hot = torch.nn.functional.one_hot(gt_labels[assigned].long(), self.num_classes).to(cls_scores)
        cls_target = one_hot * result.max_overlaps[pos, None]
        bbox_target = gt_bboxes[assigned]
        return (
            pos,
            cls_target,
            pos.to(cls_scores),
            bbox_target,
            self._l1_target(bbox_target, priors[pos]),
        )

    @staticmethod
    def _l1_target(boxes: Tensor, priors: Tensor, eps: float = 1e-8) -> Tensor:
        """The raw offsets that would decode exactly to ``boxes``."""
        centers = (boxes[:, :2] + boxes[:, 2:]) / 2
        sizes = boxes[:, 2:] - boxes[:, :2]
        return torch.cat(
            ((centers - priors[:, :2]) / priors[:, 2:], torch.log(sizes / priors[:, 2:] + eps)),
            dim=-1,
        )

    # ------------------------------------------------------------------ inference

    @torch.no_grad()
    def predict(self, feats: Sequence[Tensor], img_shape: Sequence[int]) -> list[dict[str, Tensor]]:
        """Per image: ``bboxes`` ``[N, 4]`` xyxy, ``scores`` ``[N]``, ``labels`` ``[N]``."""
        cls_scores, bbox_preds, objectness, priors = self._flatten(self(feats))
        decoded = self.decode(priors, bbox_preds)
        results = []
        probs, obj_probs = cls_scores.sigmoid(), objectness.sigmoid()
        for cls, boxes, obj in zip(probs, decoded, obj_probs, strict=True):
            best, labels = cls.max(dim=1)
            scores = best * obj
            top = scores.topk(min(self.test_settings.nms_pre, len(scores))).indices
            results.append(
                select_detections(boxes[top], scores[top], labels[top], self.test_settings, img_shape)
            )
        return results
