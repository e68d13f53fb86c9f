"""hydrareg_zoo.common: layer names, ConvModule, initialisers, BaseModule, box ops, the resolver."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from omegaconf import OmegaConf
from omegaconf.errors import InterpolationResolutionError
from torch import nn

import hydrareg_zoo
from hydrareg.configdict import ConfigDict
from hydrareg.errors import ConfigValueError, UnknownTypeError
from hydrareg.registry import MODELS, WEIGHT_INITIALIZERS
from hydrareg_zoo.common import (
    BaseModule,
    ConvModule,
    HSigmoid,
    LayerNorm2d,
    Pretrained,
    batched_nms,
    box_iou,
    build_norm_layer,
    nms,
)
from hydrareg_zoo.common.resolvers import register_resolvers

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_importing_the_package_and_registries_loads_neither_torch_nor_numpy():
    code = (
        "import sys, hydrareg_zoo, hydrareg_zoo.common, hydrareg_zoo.common.resolvers\n"
        "import hydrareg_zoo.mmcls.registry, hydrareg_zoo.mmdet.registry\n"
        "from omegaconf import OmegaConf\n"
        "assert OmegaConf.has_resolver('backbone_channels')\n"
        "print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- layers


def test_mmcv_layer_names_build_the_torch_layers():
    assert isinstance(MODELS.build({"type": "BN", "num_features": 4}), nn.BatchNorm2d)
    assert isinstance(MODELS.build({"type": "SyncBN", "num_features": 4}), nn.BatchNorm2d)
    assert isinstance(MODELS.build({"type": "Swish"}), nn.SiLU)
    assert isinstance(MODELS.build({"type": "HSwish"}), nn.Hardswish)
    assert isinstance(MODELS.build({"type": "GN", "num_groups": 2, "num_channels": 4}), nn.GroupNorm)
    assert isinstance(MODELS.build({"type": "LN", "normalized_shape": 4}), nn.LayerNorm)


def test_build_norm_layer_passes_channels_under_each_layers_own_argument():
    assert build_norm_layer({"type": "BN"}, 8).num_features == 8
    assert build_norm_layer({"type": "GN", "num_groups": 4}, 8).num_channels == 8
    assert build_norm_layer({"type": "LN2d"}, 8).normalized_shape == (8,)


def test_build_norm_layer_leaves_its_config_untouched():
    cfg = {"type": "BN", "momentum": 0.03}
    build_norm_layer(cfg, 8)
    assert cfg == {"type": "BN", "momentum": 0.03}


def test_layer_norm_2d_normalises_each_pixel_over_channels():
    x = torch.randn(2, 6, 3, 3)
    out = LayerNorm2d(6, elementwise_affine=False)(x)
    mean, std = (
        x.mean(dim=1, keepdim=True),
        x.var(dim=1, unbiased=False, keepdim=True).add(1e-5).sqrt(),
    )
    torch.testing.assert_close(out, (x - mean) / std)


def test_hsigmoid_is_a_clamped_line():
    out = HSigmoid()(torch.tensor([-6.0, -3.0, 0.0, 3.0, 6.0]))
    torch.testing.assert_close(out, torch.tensor([0.0, 0.0, 0.5, 1.0, 1.0]))


def test_conv_module_stacks_conv_norm_act_from_configs():
    module = ConvModule(3, 8, 3, padding=1, norm_cfg={"type": "BN"}, act_cfg={"type": "Swish"})
    assert isinstance(module.norm, nn.BatchNorm2d) and isinstance(module.act, nn.SiLU)
    assert module.conv.bias is None  # bias='auto': the norm makes it redundant
    assert module(torch.randn(2, 3, 10, 10)).shape == (2, 8, 10, 10)
    plain = ConvModule(3, 8, 1)
    assert plain.norm is None and plain.act is None and plain.conv.bias is not None


def test_unknown_norm_type_names_its_config_path():
    norm_cfg = ConfigDict.with_path({"type": "NoSuchNorm"}, "model.neck.norm_cfg")
    with pytest.raises(UnknownTypeError) as info:
        ConvModule(3, 8, 1, norm_cfg=norm_cfg)
    assert info.value.config_path == "model.neck.norm_cfg.type"
    assert "model.neck.norm_cfg.type" in str(info.value)


# ---------------------------------------------------------------- initialisers


class _Net(BaseModule):
    def __init__(self, init_cfg=None):
        super().__init__(init_cfg)
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 2)


def test_initialisers_touch_only_the_layers_named():
    net = _Net(
        [
            {"type": "Constant", "val": 0.5, "bias": 0.25, "layer": "Conv2d"},
            {"type": "Constant", "val": 2.0, "layer": "_BatchNorm"},
        ]
    )
    fc_before = net.fc.weight.detach().clone()
    net.init_weights()
    assert torch.all(net.conv.weight == 0.5) and torch.all(net.conv.bias == 0.25)
    assert torch.all(net.bn.weight == 2.0)
    assert torch.equal(net.fc.weight, fc_before)
    assert net.is_init


def test_normal_kaiming_and_xavier_fill_weights_with_the_stated_spread():
    layer = nn.Linear(400, 300)
    WEIGHT_INITIALIZERS.build({"type": "Normal", "std": 0.02, "bias_prob": 0.01})(layer)
    assert abs(layer.weight.std().item() - 0.02) < 0.002
    torch.testing.assert_close(layer.bias.sigmoid(), torch.full((300,), 0.01))
    WEIGHT_INITIALIZERS.build({"type": "Kaiming", "mode": "fan_in"})(layer)
    assert abs(layer.weight.std().item() - (2 / 400) ** 0.5) < 0.005
    WEIGHT_INITIALIZERS.build({"type": "Xavier", "distribution": "uniform"})(layer)
    assert layer.weight.abs().max().item() <= (6 / 700) ** 0.5 + 1e-6


def _save_classifier_like_checkpoint(path, wrap):
    source = nn.Module()
    source.backbone = _Net()
    source.head = nn.Linear(3, 3)
    state = source.state_dict()
    torch.save({"state_dict": state, "meta": {"epoch": 1}} if wrap else state, path)
    return source


@pytest.mark.parametrize("wrap", [True, False])
def test_pretrained_loads_only_the_prefixed_keys(tmp_path, wrap):
    path = tmp_path / "classifier.pth"
    source = _save_classifier_like_checkpoint(path, wrap)
    target = _Net({"type": "Pretrained", "checkpoint": str(path), "prefix": "backbone."})
    target.init_weights()
    for name, value in source.backbone.state_dict().items():
        assert torch.equal(target.state_dict()[name], value), name


def test_pretrained_is_applied_after_the_children_initialise_themselves(tmp_path):
    path = tmp_path / "net.pth"
    source = _Net()
    torch.save(source.state_dict(), path)

    class Parent(BaseModule):
        def __init__(self):
            super().__init__({"type": "Pretrained", "checkpoint": str(path)})
            self.inner = _Net({"type": "Constant", "val": 3.0, "layer": "Conv2d"})

    torch.save({f"inner.{k}": v for k, v in source.state_dict().items()}, path)
    parent = Parent()
    parent.init_weights()
    assert torch.equal(parent.inner.conv.weight, source.conv.weight)


def test_pretrained_refuses_urls_with_a_clear_error():
    with pytest.raises(ConfigValueError, match=r"URLs cannot be downloaded here.*local file path"):
        Pretrained("https://download.openmmlab.com/convnext-tiny.pth")


def test_pretrained_url_in_init_cfg_names_the_config_path():
    init_cfg = ConfigDict.with_path(
        {"type": "Pretrained", "checkpoint": "https://example.com/w.pth"},
        "model.backbone.init_cfg",
    )
    net = _Net(init_cfg)
    with pytest.raises(ConfigValueError) as info:
        net.init_weights()
    assert info.value.config_path == "model.backbone.init_cfg"
    assert "URLs cannot be downloaded" in str(info.value)


def test_pretrained_missing_file_and_wrong_prefix_are_config_errors(tmp_path):
    with pytest.raises(ConfigValueError, match="does not exist"):
        Pretrained(str(tmp_path / "missing.pth"))(_Net())
    path = tmp_path / "ckpt.pth"
    _save_classifier_like_checkpoint(path, wrap=False)
    with pytest.raises(ConfigValueError, match=r"no keys starting with 'neck\.'.*backbone\."):
        Pretrained(str(path), prefix="neck")(_Net())


# ---------------------------------------------------------------- box ops


def test_box_iou_of_known_boxes():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 6.0, 6.0]])
    torch.testing.assert_close(box_iou(a, b), torch.tensor([[1 / 7, 1.0, 0.0]]))


def test_nms_keeps_the_best_of_overlapping_boxes_and_respects_classes():
    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]])
    scores = torch.tensor([0.5, 0.9, 0.3])
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert nms(boxes, scores, 0.95).tolist() == [1, 0, 2]
    labels = torch.tensor([0, 1, 0])
    assert sorted(batched_nms(boxes, scores, labels, 0.5).tolist()) == [0, 1, 2]


# ---------------------------------------------------------------- resolver


def _detector_cfg(backbone):
    return OmegaConf.create(
        {
            "model": {
                "backbone": backbone,
                "neck": {"in_channels": "${backbone_channels:model.backbone}"},
                "head": {"in_channels": "${backbone_channels:model.backbone,-1}"},
            }
        }
    )


def test_resolver_returns_the_backbones_out_channels():
    cfg = _detector_cfg({"type": "mmcls.MobileNetV3", "arch": "small", "out_indices": [3, 8, 11]})
    assert list(cfg.model.neck.in_channels) == [24, 48, 96]
    assert cfg.model.head.in_channels == 96
    cfg.model.backbone.out_indices = [1, 12]
    assert list(cfg.model.neck.in_channels) == [16, 576]
    OmegaConf.resolve(cfg)  # a list result survives in-place resolution
    assert OmegaConf.to_container(cfg.model.neck) == {"in_channels": [16, 576]}


def test_resolver_applies_an_enclosing_scope():
    cfg = _detector_cfg({"type": "CSPDarknet", "deepen_factor": 0.33, "widen_factor": 0.25})
    cfg.model._scope_ = "mmdet"
    assert list(cfg.model.neck.in_channels) == [64, 128, 256]


def test_resolver_errors_name_the_config_path():
    cfg = _detector_cfg({"type": "mmcls.NoSuchNet"})
    # OmegaConf wraps a resolver's error in its own type and keeps the message.
    with pytest.raises(InterpolationResolutionError, match="UnknownTypeError") as info:
        OmegaConf.to_container(cfg.model.neck, resolve=True)
    assert "config path: model.backbone.type" in str(info.value)
    bad_key = OmegaConf.create({"neck": {"in_channels": "${backbone_channels:model.nothing}"}})
    with pytest.raises(InterpolationResolutionError, match=r"ConfigKeyError.*at 'model\.nothing'"):
        OmegaConf.to_container(bad_key, resolve=True)


def test_registering_the_resolver_again_is_harmless():
    register_resolvers()
    register_resolvers()
    cfg = _detector_cfg({"type": "mmcls.ResNet", "depth": 18, "base_channels": 8, "out_indices": [0, 3]})
    assert list(cfg.model.neck.in_channels) == [8, 64]
    assert hydrareg_zoo.common.backbone_channels is not None
