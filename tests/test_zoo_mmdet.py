"""mmdet demo models: CSPDarknet, the necks, task modules, YOLOX (SimOTA loss) and RetinaNet."""

from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

from hydrareg.errors import BuildArgumentError, ConfigValueError, UnknownTypeError
from hydrareg.registry import MODELS, TASK_UTILS
from hydrareg_zoo.common.ops import box_iou
from hydrareg_zoo.mmdet.models import FPN, YOLOX, YOLOXPAFPN, CSPDarknet, RetinaNet
from hydrareg_zoo.mmdet.models.layers import DarknetBottleneck
from hydrareg_zoo.mmdet.models.task_modules import (
    AnchorGenerator,
    DeltaXYWHBBoxCoder,
    MaxIoUAssigner,
    SimOTAAssigner,
)

SIZE = 64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _yolox_cfg(**head):
    return {
        "type": "mmdet.YOLOX",
        "backbone": {"type": "CSPDarknet", "deepen_factor": 0.33, "widen_factor": 0.125},
        "neck": {
            "type": "YOLOXPAFPN",
            "in_channels": [32, 64, 128],
            "out_channels": 32,
            "num_csp_blocks": 1,
        },
        "bbox_head": {
            "type": "YOLOXHead",
            "num_classes": 2,
            "in_channels": 32,
            "feat_channels": 32,
            "stacked_convs": 1,
            **head,
        },
        "train_cfg": {"assigner": {"type": "SimOTAAssigner", "center_radius": 2.5}},
        "test_cfg": {
            "score_thr": 0.0,
            "nms": {"type": "nms", "iou_threshold": 0.65},
            "max_per_img": 20,
        },
    }


def _retinanet_cfg():
    return {
        "type": "mmdet.RetinaNet",
        "backbone": {"type": "mmcls.MobileNetV3", "arch": "small", "out_indices": [3, 8, 11]},
        "neck": {
            "type": "FPN",
            "in_channels": [24, 48, 96],
            "out_channels": 16,
            "start_level": 0,
            "num_outs": 5,
            "add_extra_convs": "on_input",
        },
        "bbox_head": {
            "type": "RetinaHead",
            "num_classes": 2,
            "in_channels": 16,
            "feat_channels": 16,
            "stacked_convs": 2,
        },
        "train_cfg": {"assigner": {"type": "MaxIoUAssigner", "pos_iou_thr": 0.5, "neg_iou_thr": 0.4}},
        "test_cfg": {
            "score_thr": 0.0,
            "nms": {"type": "nms", "iou_threshold": 0.5},
            "max_per_img": 30,
        },
    }


def _two_synthetic_images():
    """Two images, each with bright squares where its boxes are (channel = class)."""
    gt_bboxes = [
        torch.tensor([[8.0, 8.0, 40.0, 40.0]]),
        torch.tensor([[20.0, 24.0, 56.0, 60.0], [2.0, 2.0, 18.0, 18.0]]),
    ]
    gt_labels = [torch.tensor([0]), torch.tensor([1, 0])]
    images = torch.zeros(2, 3, SIZE, SIZE)
    for i, (boxes, labels) in enumerate(zip(gt_bboxes, gt_labels, strict=True)):
        for (x0, y0, x1, y1), label in zip(boxes.int().tolist(), labels.tolist(), strict=True):
            images[i, label, y0:y1, x0:x1] = 1.0
    return images, gt_bboxes, gt_labels


# ---------------------------------------------------------------- backbone and necks


@pytest.mark.parametrize("out_indices", [(2, 3, 4), (0, 1, 2, 3, 4), (4, 1)])
def test_cspdarknet_out_channels_match_outputs(out_indices):
    backbone = CSPDarknet(deepen_factor=0.33, widen_factor=0.25, out_indices=out_indices).eval()
    outs = backbone(torch.randn(1, 3, SIZE, SIZE))
    assert [o.shape[1] for o in outs] == backbone.out_channels
    assert backbone.out_channels == [[16, 32, 64, 128, 256][i] for i in out_indices]
    assert [o.shape[2] for o in outs] == [SIZE // 2 ** (i + 1) for i in out_indices]


def test_cspdarknet_deepen_and_widen_factors_scale_the_network():
    def bottlenecks(model):
        return sum(isinstance(m, DarknetBottleneck) for m in model.modules())

    shallow = CSPDarknet(deepen_factor=0.33, widen_factor=0.25)
    deep = CSPDarknet(deepen_factor=0.67, widen_factor=0.25)
    assert bottlenecks(shallow) == 1 + 3 + 3 + 1  # round(3*0.33), round(9*0.33), ...
    assert bottlenecks(deep) == 2 + 6 + 6 + 2
    assert CSPDarknet(widen_factor=0.5).out_channels == [128, 256, 512]


def test_cspdarknet_frozen_stages_freeze_the_stem_first():
    backbone = CSPDarknet(deepen_factor=0.33, widen_factor=0.125, frozen_stages=0).train()
    assert not any(p.requires_grad for p in backbone.stem.parameters()) and not backbone.stem.training
    assert all(p.requires_grad for p in backbone.stage1.parameters()) and backbone.stage1.training


def test_yolox_pafpn_fuses_levels_into_equal_width_outputs():
    neck = YOLOXPAFPN([8, 16, 32], out_channels=12, num_csp_blocks=1)
    feats = (torch.randn(1, 8, 16, 16), torch.randn(1, 16, 8, 8), torch.randn(1, 32, 4, 4))
    assert [tuple(o.shape) for o in neck(feats)] == [(1, 12, 16, 16), (1, 12, 8, 8), (1, 12, 4, 4)]
    with pytest.raises(ValueError, match="expects 3 levels"):
        neck(feats[:2])


@pytest.mark.parametrize("extra", ["on_input", "on_output", False])
def test_fpn_levels_and_extra_levels(extra):
    neck = FPN([8, 16, 32, 64], out_channels=12, num_outs=5, start_level=1, add_extra_convs=extra)
    feats = tuple(torch.randn(1, c, 32 // 2**i, 32 // 2**i) for i, c in enumerate([8, 16, 32, 64]))
    assert [tuple(o.shape) for o in neck(feats)] == [(1, 12, s, s) for s in (16, 8, 4, 2, 1)]


def test_fpn_rejects_too_few_outputs():
    with pytest.raises(ConfigValueError, match="num_outs"):
        FPN([8, 16, 32], out_channels=8, num_outs=2)


# ---------------------------------------------------------------- task modules


def test_anchor_generator_lays_retinanet_anchors_over_the_grid():
    generator = TASK_UTILS.build(
        {
            "type": "mmdet.AnchorGenerator",
            "octave_base_scale": 4,
            "scales_per_octave": 3,
            "ratios": [0.5, 1.0, 2.0],
            "strides": [8, 16],
        }
    )
    assert isinstance(generator, AnchorGenerator) and generator.num_base_priors == [9, 9]
    level0, level1 = generator.grid_priors([(4, 4), (2, 2)])
    assert level0.shape == (4 * 4 * 9, 4) and level1.shape == (2 * 2 * 9, 4)
    widths, heights = level0[:, 2] - level0[:, 0], level0[:, 3] - level0[:, 1]
    square = (widths - heights).abs() < 1e-4
    assert torch.allclose(widths[square].min(), torch.tensor(32.0))  # ratio 1, scale 4 at stride 8
    centers = (level0[:, :2] + level0[:, 2:]) / 2
    assert set(centers[:, 0].round().unique().tolist()) == {0.0, 8.0, 16.0, 24.0}


def test_delta_coder_round_trips_boxes():
    coder = DeltaXYWHBBoxCoder(target_stds=(0.1, 0.1, 0.2, 0.2))
    anchors = torch.tensor([[0.0, 0.0, 10.0, 10.0], [5.0, 5.0, 25.0, 15.0]])
    boxes = torch.tensor([[1.0, 2.0, 12.0, 9.0], [4.0, 6.0, 30.0, 20.0]])
    torch.testing.assert_close(coder.decode(anchors, coder.encode(anchors, boxes)), boxes)
    assert coder.decode(anchors, coder.encode(anchors, boxes), max_shape=(18, 26))[:, 2:].max() <= 26


def test_simota_assigns_priors_near_each_box_and_nothing_elsewhere():
    ys, xs = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij")
    priors = torch.stack(
        [
            xs.flatten() * 8 + 4,
            ys.flatten() * 8 + 4,
            torch.full((64,), 8.0),
            torch.full((64,), 8.0),
        ],
        1,
    )
    gt = torch.tensor([[0.0, 0.0, 16.0, 16.0], [40.0, 40.0, 64.0, 64.0]])
    decoded = torch.cat([priors[:, :2] - 8, priors[:, :2] + 8], dim=1)  # 16x16 boxes on every prior
    scores = torch.full((64, 3), 0.1)
    result = SimOTAAssigner().assign(scores, priors, decoded, gt, torch.tensor([2, 0]))
    assigned = result.gt_inds > 0
    assert set(result.gt_inds[assigned].tolist()) == {1, 2}  # every box got at least one prior
    centers = priors[assigned, :2]
    for (cx, cy), gt_index in zip(centers.tolist(), result.gt_inds[assigned].tolist(), strict=True):
        x0, y0, x1, y1 = gt[gt_index - 1].tolist()
        assert x0 < cx < x1 and y0 < cy < y1  # only priors inside their box
    assert torch.equal(result.labels[assigned], torch.tensor([2, 0])[result.gt_inds[assigned] - 1])
    matched_gt = gt[result.gt_inds[assigned] - 1]
    expected_ious = torch.diag(box_iou(decoded[assigned], matched_gt))
    torch.testing.assert_close(result.max_overlaps[assigned], expected_ious)
    empty = SimOTAAssigner().assign(scores, priors, decoded, gt[:0], torch.tensor([], dtype=torch.long))
    assert not (empty.gt_inds > 0).any()


def test_max_iou_assigner_thresholds():
    priors = torch.tensor(
        [
            [0.0, 0.0, 10.0, 10.0],
            [0.0, 0.0, 10.0, 7.0],
            [0.0, 0.0, 10.0, 4.5],
            [50.0, 50.0, 60.0, 60.0],
        ]
    )
    gt = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    result = MaxIoUAssigner(pos_iou_thr=0.6, neg_iou_thr=0.4).assign(priors, gt, torch.tensor([1]))
    assert result.gt_inds.tolist() == [1, 1, -1, 0]  # IoU 1.0, 0.7 (pos), 0.45 (ignored), 0 (neg)
    assert result.labels.tolist() == [1, 1, -1, -1]


# ---------------------------------------------------------------- YOLOX


def test_yolox_forward_gives_per_level_maps():
    model = MODELS.build(_yolox_cfg())
    assert isinstance(model, YOLOX)
    cls_scores, bbox_preds, objectness = model(torch.randn(2, 3, SIZE, SIZE))
    assert [tuple(t.shape) for t in cls_scores] == [(2, 2, 8, 8), (2, 2, 4, 4), (2, 2, 2, 2)]
    assert [tuple(t.shape) for t in bbox_preds] == [(2, 4, 8, 8), (2, 4, 4, 4), (2, 4, 2, 2)]
    assert [tuple(t.shape) for t in objectness] == [(2, 1, 8, 8), (2, 1, 4, 4), (2, 1, 2, 2)]


def test_yolox_loss_decreases_when_overfitting_two_images():
    torch.manual_seed(0)
    model = MODELS.build(_yolox_cfg(use_l1=True))
    model.init_weights()
    images, gt_bboxes, gt_labels = _two_synthetic_images()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    totals = []
    for _ in range(30):
        losses = model.loss(images, gt_bboxes, gt_labels)
        assert set(losses) == {"loss_cls", "loss_bbox", "loss_obj", "loss_l1"}
        total = sum(losses.values())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        totals.append(total.item())
    assert all(torch.isfinite(torch.tensor(totals)))
    assert sum(totals[-5:]) / 5 < 0.6 * sum(totals[:5]) / 5


def test_yolox_predict_returns_boxes_inside_the_image():
    model = MODELS.build(_yolox_cfg()).eval()
    results = model.predict(torch.rand(2, 3, SIZE, SIZE))
    assert len(results) == 2
    for result in results:
        assert set(result) == {"bboxes", "scores", "labels"}
        assert result["bboxes"].shape == (20, 4)  # score_thr 0: max_per_img boxes survive
        assert result["scores"].shape == (20,) and result["labels"].dtype == torch.long
        assert result["bboxes"].min() >= 0 and result["bboxes"].max() <= SIZE
        assert torch.all(result["scores"][:-1] >= result["scores"][1:])


def test_yolox_loss_needs_train_cfg_and_matching_targets():
    cfg = _yolox_cfg()
    del cfg["train_cfg"]
    model = MODELS.build(cfg)
    images, gt_bboxes, gt_labels = _two_synthetic_images()
    with pytest.raises(ConfigValueError, match="train_cfg"):
        model.loss(images, gt_bboxes, gt_labels)
    trained = MODELS.build(_yolox_cfg())
    with pytest.raises(ValueError, match="ground truth for 2 images"):
        trained.loss(images, gt_bboxes[:1], gt_labels[:1])


def test_yolox_head_rejects_a_level_mismatch():
    cfg = _yolox_cfg(strides=[8, 16])
    model = MODELS.build(cfg)
    with pytest.raises(ValueError, match="2 levels"):
        model(torch.randn(1, 3, SIZE, SIZE))


def test_unknown_test_cfg_nms_type_is_a_config_error():
    cfg = _yolox_cfg()
    cfg["test_cfg"] = {"nms": {"type": "soft_nms"}}
    with pytest.raises(ConfigValueError, match="soft_nms"):
        MODELS.build(cfg)


def test_unknown_backbone_type_in_a_dictconfig_names_model_backbone_type():
    cfg = OmegaConf.create({"model": _yolox_cfg()})
    cfg.model.backbone.type = "NoSuchBackbone"
    with pytest.raises(UnknownTypeError) as info:
        MODELS.build(cfg.model)
    assert info.value.config_path == "model.backbone.type"
    assert "model.backbone.type" in str(info.value)


def test_bad_head_argument_names_its_config_path():
    cfg = OmegaConf.create({"model": _yolox_cfg(num_clases=3)})
    with pytest.raises(BuildArgumentError) as info:
        MODELS.build(cfg.model)
    assert info.value.config_path == "model.bbox_head.num_clases"


def test_building_leaves_the_config_unchanged():
    cfg = OmegaConf.create({"model": _yolox_cfg()})
    before = OmegaConf.to_container(cfg)
    plain = _yolox_cfg()
    MODELS.build(cfg.model)
    MODELS.build(plain)
    assert OmegaConf.to_container(cfg) == before and plain == _yolox_cfg()


# ---------------------------------------------------------------- RetinaNet


def test_retinanet_with_mmcls_mobilenetv3_forward_loss_predict():
    torch.manual_seed(0)
    model = MODELS.build(_retinanet_cfg())
    assert isinstance(model, RetinaNet)
    model.init_weights()
    images, gt_bboxes, gt_labels = _two_synthetic_images()
    cls_scores, bbox_preds = model(images)
    assert [tuple(t.shape[1:]) for t in cls_scores] == [
        (18, 8, 8),
        (18, 4, 4),
        (18, 2, 2),
        (18, 1, 1),
        (18, 1, 1),
    ]
    assert [t.shape[1] for t in bbox_preds] == [36] * 5
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    totals = []
    for _ in range(8):
        losses = model.loss(images, gt_bboxes, gt_labels)
        assert set(losses) == {"loss_cls", "loss_bbox"}
        total = losses["loss_cls"] + losses["loss_bbox"]
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        totals.append(total.item())
    assert totals[-1] < totals[0]
    model.eval()
    for result in model.predict(images):
        assert result["bboxes"].shape == (30, 4) and result["labels"].max() < 2
        assert result["bboxes"].min() >= 0 and result["bboxes"].max() <= SIZE


def test_detector_builds_under_another_librarys_default_scope():
    # As inside an mmtrack tracker: unprefixed mmdet names still reach mmdet, and the head's
    # default losses are mmdet's, not torch's classes of the same name in the root registry.
    with MODELS.switch_scope_and_registry("mmtrack") as registry:
        model = registry.build(_yolox_cfg())
    assert isinstance(model, YOLOX) and isinstance(model.backbone, CSPDarknet)
    assert type(model.bbox_head.loss_cls).__module__.startswith("hydrareg_zoo.mmdet")
    images, gt_bboxes, gt_labels = _two_synthetic_images()
    assert torch.isfinite(sum(model.loss(images, gt_bboxes, gt_labels).values()))


@pytest.mark.parametrize("make_cfg", [_yolox_cfg, _retinanet_cfg], ids=["yolox", "retinanet"])
def test_losses_handle_images_without_objects(make_cfg):
    model = MODELS.build(make_cfg())
    images, gt_bboxes, gt_labels = _two_synthetic_images()
    gt_bboxes[0], gt_labels[0] = torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)
    losses = model.loss(images, gt_bboxes, gt_labels)
    assert all(torch.isfinite(value.detach()) for value in losses.values())
    empty = model.loss(images, [torch.zeros(0, 4)] * 2, [torch.zeros(0, dtype=torch.long)] * 2)
    assert empty["loss_bbox"].item() == 0.0  # nothing to regress, but the classifier still learns
    total = sum(empty.values())
    assert total > 0
    total.backward()
