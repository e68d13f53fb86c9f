"""The model option files under conf/: composed with Hydra, built through the registry, run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from omegaconf.errors import InterpolationResolutionError

import hydrareg_zoo  # noqa: F401  (registers ${backbone_channels:...})
from hydrareg.registry import MODELS
from hydrareg_zoo.mmcls.models import ConvNeXt, ImageClassifier, MobileNetV3, ResNet
from hydrareg_zoo.mmdet.models import FPN, YOLOX, CSPDarknet, RetinaNet

CONF = Path(__file__).resolve().parents[1] / "conf"
SIZE = 64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def compose_model(*overrides: str):
    """Compose ``conf/`` with no primary config: ``+model=...`` picks the model option."""
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(overrides=list(overrides))


def _forward(model, size=SIZE, batch=1):
    model.eval()
    with torch.no_grad():
        return model(torch.rand(batch, 3, size, size))


def _shapes(maps):
    return [tuple(m.shape) for m in maps]


def test_yolox_with_the_default_cspdarknet():
    cfg = compose_model("+model=yolox")
    assert list(cfg.model.neck.in_channels) == [96, 192, 384]
    model = MODELS.build(cfg.model)
    assert isinstance(model, YOLOX) and isinstance(model.backbone, CSPDarknet)
    cls_scores, bbox_preds, objectness = _forward(model)
    assert _shapes(cls_scores) == [(1, 80, 8, 8), (1, 80, 4, 4), (1, 80, 2, 2)]
    assert _shapes(bbox_preds) == [(1, 4, 8, 8), (1, 4, 4, 4), (1, 4, 2, 2)]
    assert _shapes(objectness) == [(1, 1, 8, 8), (1, 1, 4, 4), (1, 1, 2, 2)]


def test_yolox_with_mmcls_convnext_backbone():
    cfg = compose_model("+model=yolox", "backbone=mmcls_convnext")
    assert cfg.model.backbone.type == "mmcls.ConvNeXt"
    assert list(cfg.model.neck.in_channels) == [192, 384, 768]
    model = MODELS.build(cfg.model)
    assert isinstance(model.backbone, ConvNeXt)
    assert _shapes(_forward(model.backbone)) == [(1, 192, 8, 8), (1, 384, 4, 4), (1, 768, 2, 2)]
    cls_scores, _, _ = _forward(model)
    assert _shapes(cls_scores) == [(1, 80, 8, 8), (1, 80, 4, 4), (1, 80, 2, 2)]
    results = model.predict(torch.rand(2, 3, SIZE, SIZE))
    assert len(results) == 2 and set(results[0]) == {"bboxes", "scores", "labels"}


def test_retinanet_with_mmcls_mobilenetv3_and_changed_out_indices():
    cfg = compose_model("+model=retinanet", "backbone=mmcls_mobilenetv3")
    assert list(cfg.model.backbone.out_indices) == [3, 8, 11]
    assert list(cfg.model.neck.in_channels) == [24, 48, 96]
    model = MODELS.build(cfg.model)
    assert isinstance(model, RetinaNet) and isinstance(model.backbone, MobileNetV3)
    assert isinstance(model.neck, FPN)
    cls_scores, bbox_preds = _forward(model)
    assert _shapes(cls_scores) == [(1, 9 * 80, s, s) for s in (8, 4, 2, 1, 1)]
    assert _shapes(bbox_preds) == [(1, 9 * 4, s, s) for s in (8, 4, 2, 1, 1)]


def test_neck_in_channels_follow_an_out_indices_override():
    cfg = compose_model(
        "+model=retinanet", "backbone=mmcls_mobilenetv3", "model.backbone.out_indices=[2,7,12]"
    )
    assert list(cfg.model.neck.in_channels) == [24, 48, 576]
    _forward(MODELS.build(cfg.model))


def test_image_classifier_with_mmcls_resnet18():
    cfg = compose_model("+model=image_classifier", "backbone=mmcls_resnet18")
    assert cfg.model.head.in_channels == 128
    model = MODELS.build(cfg.model)
    assert isinstance(model, ImageClassifier) and isinstance(model.backbone, ResNet)
    assert tuple(_forward(model, size=32, batch=2).shape) == (2, 10)
    assert model.predict(torch.rand(3, 3, 32, 32)).shape == (3,)


def test_image_classifier_head_follows_a_swapped_backbone():
    cfg = compose_model("+model=image_classifier", "backbone=mmcls_mobilenetv3")
    assert cfg.model.head.in_channels == 96
    assert tuple(_forward(MODELS.build(cfg.model), size=32, batch=2).shape) == (2, 10)


def _unprefixed(node):
    """The same config with every ``mmdet.`` type prefix removed."""
    if isinstance(node, dict):
        return {
            key: (value.removeprefix("mmdet.") if key == "type" else _unprefixed(value))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_unprefixed(item) for item in node]
    return node


@pytest.mark.parametrize("backbone", ["mmdet_cspdarknet", "mmcls_convnext"])
def test_scope_mmdet_detector_equals_the_prefixed_one(backbone):
    prefixed = OmegaConf.to_container(
        compose_model("+model=yolox", f"backbone={backbone}").model, resolve=True
    )
    scoped = {"_scope_": "mmdet", **_unprefixed(prefixed)}
    assert scoped["type"] == "YOLOX" and scoped["train_cfg"]["assigner"]["type"] == "SimOTAAssigner"
    a, b = MODELS.build(prefixed), MODELS.build(scoped)
    assert str(a) == str(b)
    assert sum(p.numel() for p in a.parameters()) == sum(p.numel() for p in b.parameters())
    assert [type(m) for m in a.modules()] == [type(m) for m in b.modules()]


def test_unprefixed_detector_without_scope_is_not_found():
    cfg = OmegaConf.to_container(compose_model("+model=yolox").model, resolve=True)
    with pytest.raises(KeyError, match="YOLOX is not in"):
        MODELS.build(_unprefixed(cfg))


def test_unknown_backbone_type_in_a_composed_config_names_the_path():
    cfg = compose_model("+model=yolox", "model.backbone.type=mmcls.NoSuchNet")
    # The neck's in_channels are resolved first, from the backbone, so OmegaConf reports it.
    with pytest.raises(InterpolationResolutionError, match="UnknownTypeError") as info:
        MODELS.build(cfg.model)
    assert "config path: model.backbone.type" in str(info.value)


def test_building_leaves_the_composed_config_unchanged():
    cfg = compose_model("+model=retinanet", "backbone=mmcls_mobilenetv3")
    before = OmegaConf.to_container(cfg, resolve=False)
    MODELS.build(cfg.model)
    assert OmegaConf.to_container(cfg, resolve=False) == before


def test_detector_loads_a_trained_classifiers_backbone(tmp_path):
    classifier = MODELS.build(compose_model("+model=image_classifier").model)
    classifier.init_weights()
    with torch.no_grad():  # make the weights distinguishable from any fresh initialisation
        for param in classifier.parameters():
            param.add_(torch.rand_like(param))
    checkpoint = tmp_path / "classifier.pth"
    torch.save({"state_dict": classifier.state_dict()}, checkpoint)

    cfg = compose_model(
        "+model=retinanet",
        "backbone=mmcls_resnet18",
        "+model.backbone.init_cfg.type=Pretrained",
        f"+model.backbone.init_cfg.checkpoint={checkpoint}",
        "+model.backbone.init_cfg.prefix=backbone.",
    )
    detector = MODELS.build(cfg.model)
    detector.init_weights()
    loaded, trained = detector.backbone.state_dict(), classifier.backbone.state_dict()
    assert loaded.keys() == trained.keys()
    for key, value in trained.items():
        assert torch.equal(loaded[key], value), key
    assert len(_forward(detector)[0]) == 5  # one backbone level plus four extra FPN levels


@pytest.mark.parametrize(
    "group, package",
    [("backbone", "model.backbone"), ("neck", "model.neck"), ("model", "_global_")],
)
def test_option_files_carry_their_package_header(group, package):
    files = sorted((CONF / group).glob("*.yaml"))
    assert files
    for path in files:
        expected = WHOLE_MODEL_OPTIONS.get((group, path.stem), package)
        assert path.read_text().startswith(f"# @package {expected}\n"), path.name


# Options that also set what the model around them needs (the timm backbone: the FPN's start level).
WHOLE_MODEL_OPTIONS = {("backbone", "timm_efficientnet_b1"): "model"}


def test_head_option_files_are_placed_by_kind():
    expected = {"yolox_head": "model.bbox_head", "retina_head": "model.bbox_head"}
    expected["linear_cls_head"] = "model.head"
    for name, package in expected.items():
        text = (CONF / "head" / f"{name}.yaml").read_text()
        assert text.startswith(f"# @package {package}\n"), name
