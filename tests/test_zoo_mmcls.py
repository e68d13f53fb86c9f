"""mmcls demo models: backbone shapes and out_channels, freezing, the classifier and its loss."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hydrareg.errors import ConfigValueError
from hydrareg.registry import MODELS
from hydrareg_zoo.mmcls.models import (
    ConvNeXt,
    CrossEntropyLoss,
    GlobalAveragePooling,
    ImageClassifier,
    MobileNetV3,
    ResNet,
)

TINY_CONVNEXT = {"depths": [1, 1, 1, 1], "channels": [8, 16, 24, 32]}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _shapes(backbone, size=64):
    backbone.eval()
    with torch.no_grad():
        return [tuple(out.shape) for out in backbone(torch.randn(2, 3, size, size))]


def _assert_channels_match(backbone, size=64):
    shapes = _shapes(backbone, size)
    assert len(shapes) == len(backbone.out_indices)
    assert [shape[1] for shape in shapes] == backbone.out_channels
    return shapes


# ---------------------------------------------------------------- ResNet


@pytest.mark.parametrize("depth, expansion", [(18, 1), (34, 1), (50, 4)])
@pytest.mark.parametrize("out_indices", [(0, 1, 2, 3), (3,), (2, 0)])
def test_resnet_out_channels_match_outputs(depth, expansion, out_indices):
    backbone = ResNet(depth, base_channels=8, out_indices=out_indices)
    shapes = _assert_channels_match(backbone)
    assert backbone.out_channels == [8 * 2**i * expansion for i in out_indices]
    # The standard stem (stride 2 + max-pool) puts stage i at stride 4 * 2**i.
    assert [shape[2] for shape in shapes] == [64 // (4 * 2**i) for i in out_indices]


def test_resnet_depths_have_the_papers_block_counts():
    for depth, blocks in [(18, 8), (34, 16), (50, 16)]:
        backbone = ResNet(depth, base_channels=4)
        counted = sum(len(getattr(backbone, name)) for name in backbone.stage_names)
        assert counted == blocks


def test_resnet_small_image_stem_keeps_resolution():
    backbone = ResNet(18, base_channels=8, stem_stride=1, stem_pool=False, out_indices=(0, 3))
    assert _shapes(backbone, 32) == [(2, 8, 32, 32), (2, 64, 4, 4)]
    deep = ResNet(18, base_channels=8, deep_stem=True, stem_channels=16, out_indices=(0,))
    assert len(deep.stem) == 3 and _shapes(deep, 32) == [(2, 8, 8, 8)]


def test_resnet18_has_the_reference_parameter_count():
    backbone = ResNet(18)  # 11.18M without the classifier layer, as in the paper's ResNet-18
    assert sum(p.numel() for p in backbone.parameters()) == 11_176_512


def _trainable_and_bn_mode(module):
    params = [p.requires_grad for p in module.parameters()]
    bns = [m.training for m in module.modules() if isinstance(m, nn.BatchNorm2d)]
    return params, bns


def test_resnet_frozen_stages_are_really_frozen():
    backbone = ResNet(18, base_channels=8, frozen_stages=1, out_indices=(0, 1, 2, 3))
    backbone.train()
    for frozen in (backbone.stem, backbone.layer1):
        params, bns = _trainable_and_bn_mode(frozen)
        assert params and not any(params) and bns and not any(bns)
    params, bns = _trainable_and_bn_mode(backbone.layer2)
    assert all(params) and all(bns)
    # A training step leaves the frozen stage untouched, statistics included.
    before = {k: v.clone() for k, v in backbone.layer1.state_dict().items()}
    optimizer = torch.optim.SGD([p for p in backbone.parameters() if p.requires_grad], lr=0.1)
    sum(out.mean() for out in backbone(torch.randn(2, 3, 32, 32))).backward()
    optimizer.step()
    for key, value in backbone.layer1.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_resnet_can_be_unfrozen_later():
    backbone = ResNet(18, base_channels=8, frozen_stages=2)
    backbone.frozen_stages = -1
    for param in backbone.parameters():
        param.requires_grad = True
    backbone.train()
    params, bns = _trainable_and_bn_mode(backbone)
    assert all(params) and all(bns)


def test_norm_eval_keeps_batchnorm_statistics_fixed_while_training():
    backbone = ResNet(18, base_channels=8, norm_eval=True)
    backbone.train()
    params, bns = _trainable_and_bn_mode(backbone)
    assert all(params) and not any(bns)
    assert backbone.training


@pytest.mark.parametrize(
    "kwargs", [{"depth": 20}, {"depth": 18, "out_indices": (4,)}, {"depth": 18, "frozen_stages": 5}]
)
def test_resnet_rejects_bad_arguments(kwargs):
    with pytest.raises(ConfigValueError):
        ResNet(**kwargs)


def test_resnet_zero_init_residual_makes_blocks_start_as_identity_branches():
    backbone = ResNet(18, base_channels=8)
    backbone.init_weights()
    assert torch.all(backbone.layer1[0].conv2.norm.weight == 0)
    assert torch.all(backbone.stem[0].norm.weight == 1)


# ---------------------------------------------------------------- ConvNeXt


@pytest.mark.parametrize("out_indices", [(0, 1, 2, 3), (1, 2, 3), (3, 0), (-1,)])
def test_convnext_out_channels_match_outputs(out_indices):
    backbone = ConvNeXt(TINY_CONVNEXT, out_indices=out_indices, gap_before_final_norm=False)
    shapes = _assert_channels_match(backbone)
    assert [shape[2] for shape in shapes] == [64 // (4 * 2**i) for i in backbone.out_indices]


def test_convnext_named_archs_have_their_widths_and_depths():
    tiny = ConvNeXt("tiny", out_indices=(0, 1, 2, 3))
    assert tiny.out_channels == [96, 192, 384, 768]
    assert [len(stage) for stage in tiny.stages] == [3, 3, 9, 3]
    small = ConvNeXt("small", out_indices=(2,))
    assert small.out_channels == [384] and len(small.stages[2]) == 27
    with pytest.raises(ConfigValueError, match="unknown arch 'huge'"):
        ConvNeXt("huge")


def test_convnext_pools_before_the_final_norm_for_classification():
    backbone = ConvNeXt(TINY_CONVNEXT, out_indices=(2, 3), gap_before_final_norm=True)
    assert _assert_channels_match(backbone) == [(2, 24), (2, 32)]


def test_convnext_drop_path_and_layer_scale_options():
    backbone = ConvNeXt(TINY_CONVNEXT, drop_path_rate=0.3, layer_scale_init_value=0.5)
    blocks = [block for stage in backbone.stages for block in stage]
    assert blocks[0].drop_path.__class__ is nn.Identity  # the rate rises from 0 ...
    assert blocks[-1].drop_path.drop_prob == pytest.approx(0.3)  # ... to drop_path_rate
    assert torch.all(blocks[0].gamma == 0.5)
    assert ConvNeXt(TINY_CONVNEXT, layer_scale_init_value=0).stages[0][0].gamma is None
    backbone.train()  # stochastic depth: two passes differ in training, agree in eval
    x = torch.randn(4, 3, 32, 32)
    torch.manual_seed(0)
    assert not torch.equal(backbone(x)[0], backbone(x)[0])
    backbone.eval()
    assert torch.equal(backbone(x)[0], backbone(x)[0])


def test_convnext_frozen_stages():
    backbone = ConvNeXt(TINY_CONVNEXT, frozen_stages=0, out_indices=(0, 3))
    assert not any(p.requires_grad for p in backbone.stages[0].parameters())
    assert not any(p.requires_grad for p in backbone.downsample_layers[0].parameters())
    assert all(p.requires_grad for p in backbone.stages[1].parameters())


# ---------------------------------------------------------------- MobileNetV3


@pytest.mark.parametrize(
    "arch, out_indices, channels",
    [
        ("small", (3, 8, 11), [24, 48, 96]),
        ("small", None, [576]),
        ("small", (0, 12), [16, 576]),
        ("large", (3, 6, 12, 16), [24, 40, 112, 960]),
    ],
)
def test_mobilenetv3_out_channels_match_outputs(arch, out_indices, channels):
    backbone = MobileNetV3(arch, out_indices=out_indices)
    assert backbone.out_channels == channels
    _assert_channels_match(backbone)


def test_mobilenetv3_small_levels_for_detection_are_at_strides_8_16_32():
    shapes = _shapes(MobileNetV3("small", out_indices=(3, 8, 11)), 64)
    assert [shape[2] for shape in shapes] == [8, 4, 2]


def test_mobilenetv3_frozen_stages_and_bad_arch():
    backbone = MobileNetV3("small", frozen_stages=2)
    backbone.train()
    assert not any(p.requires_grad for p in backbone.layer2.parameters())
    assert not backbone.layer1.training and backbone.layer3.training
    with pytest.raises(ConfigValueError, match="arch"):
        MobileNetV3("medium")
    with pytest.raises(ConfigValueError, match="out_indices"):
        MobileNetV3("small", out_indices=(13,))


# ---------------------------------------------------------------- classifier parts


def test_cross_entropy_loss_matches_the_textbook_formulas():
    logits, labels = torch.randn(5, 4), torch.tensor([0, 3, 1, 1, 2])
    torch.testing.assert_close(CrossEntropyLoss()(logits, labels), F.cross_entropy(logits, labels))
    weighted = CrossEntropyLoss(loss_weight=2.0, reduction="sum")(logits, labels)
    torch.testing.assert_close(weighted, 2 * F.cross_entropy(logits, labels, reduction="sum"))
    sigmoid = CrossEntropyLoss(use_sigmoid=True)(logits, labels)
    expected = (
        F.binary_cross_entropy_with_logits(logits, F.one_hot(labels, 4).float(), reduction="none")
        .sum(1)
        .mean()
    )
    torch.testing.assert_close(sigmoid, expected)


def test_global_average_pooling_pools_every_level():
    maps = (torch.randn(2, 3, 4, 4), torch.randn(2, 5, 2, 2))
    pooled = GlobalAveragePooling()(maps)
    assert [tuple(p.shape) for p in pooled] == [(2, 3), (2, 5)]
    torch.testing.assert_close(pooled[0], maps[0].mean(dim=(2, 3)))


def _classifier_cfg(**backbone):
    return {
        "type": "mmcls.ImageClassifier",
        "backbone": {
            "type": "ResNet",
            "depth": 18,
            "base_channels": 8,
            "stem_stride": 1,
            "stem_pool": False,
            **backbone,
        },
        "neck": {"type": "GlobalAveragePooling"},
        "head": {"type": "LinearClsHead", "num_classes": 3, "in_channels": 64},
    }


def test_image_classifier_forward_loss_predict():
    model = MODELS.build(_classifier_cfg())
    assert isinstance(model, ImageClassifier) and isinstance(model.backbone, ResNet)
    x = torch.randn(4, 3, 16, 16)
    assert model(x).shape == (4, 3)
    loss = model.loss(x, torch.tensor([0, 1, 2, 0]))
    assert set(loss) == {"loss"} and loss["loss"].requires_grad
    predicted = model.predict(x)
    assert predicted.shape == (4,) and predicted.dtype == torch.long


def test_image_classifier_learns_a_small_task():
    torch.manual_seed(0)
    model = MODELS.build(_classifier_cfg())
    model.init_weights()
    labels = torch.arange(6) % 3
    images = torch.zeros(6, 3, 16, 16)
    for i, label in enumerate(labels.tolist()):  # class k: a bright square in channel k
        images[i, label, 4:12, 4:12] = 1.0
    images += 0.1 * torch.randn_like(images)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(15):
        optimizer.zero_grad()
        model.loss(images, labels)["loss"].backward()
        optimizer.step()
    model.eval()
    assert torch.equal(model.predict(images), labels)


def test_mmpretrain_prefix_reaches_mmcls():
    backbone = MODELS.build({"type": "mmpretrain.MobileNetV3", "arch": "small"})
    assert isinstance(backbone, MobileNetV3)
