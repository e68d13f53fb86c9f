"""A timm backbone through ``mmpretrain.TIMMBackbone`` (MMDetection's how-to), and timm's import here.

timm is in the ``timm`` extra (and the ``test`` extra), so these run in CI; without timm they skip.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf
from patch_modes import compose_app

import hydrareg_zoo  # noqa: F401  (registers ${backbone_channels:...})
from hydrareg import instantiate
from hydrareg.errors import ConfigValueError
from hydrareg.registry import MODELS

if importlib.util.find_spec("timm") is None:
    pytest.skip("timm is not installed (pip install 'hydrareg[timm]')", allow_module_level=True)

from hydrareg_zoo.mmcls.models import TIMMBackbone
from hydrareg_zoo.mmcls.models.backbones.timm_backbone import _import_timm

REPO = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def timm_channels(model_name: str, out_indices) -> list[int]:
    """What timm itself says the feature levels have (its own metadata, no wrapper)."""
    timm = _import_timm()
    with torch.device("meta"):
        model = timm.create_model(model_name, features_only=True, out_indices=tuple(out_indices))
    return list(model.feature_info.channels())


@pytest.mark.parametrize(
    ("model_name", "expected"),
    [
        ("efficientnet_b1", [24, 40, 112, 320]),
        ("resnet18", [64, 128, 256, 512]),
        ("mobilenetv3_small_100", None),
    ],
)
def test_the_fpn_in_channels_follow_the_timm_model(model_name, expected):
    cfg = compose_app(
        "model=retinanet", "backbone=timm_efficientnet_b1", f"model.backbone.model_name={model_name}"
    )
    in_channels = OmegaConf.to_container(cfg.model.neck.in_channels, resolve=True)
    assert in_channels == timm_channels(model_name, (1, 2, 3, 4))
    if expected is not None:
        assert in_channels == expected


def test_the_option_replaces_the_backbone_and_starts_the_fpn_at_stride_8():
    cfg = compose_app("model=retinanet", "backbone=timm_efficientnet_b1")
    backbone = OmegaConf.to_container(cfg.model.backbone)
    assert backbone == {
        "type": "mmpretrain.TIMMBackbone",
        "model_name": "efficientnet_b1",
        "features_only": True,
        "pretrained": False,
        "out_indices": [1, 2, 3, 4],
    }  # nothing of the default ResNet-50 left: depth, frozen_stages, norm_eval are gone
    assert cfg.model.neck.start_level == 1


def test_retinanet_with_the_timm_backbone_builds_and_runs():
    cfg = compose_app("model=retinanet", "backbone=timm_efficientnet_b1")
    model = instantiate(cfg.model)
    assert isinstance(model.backbone, TIMMBackbone)
    assert MODELS.get("mmpretrain.TIMMBackbone") is TIMMBackbone is MODELS.get("mmcls.TIMMBackbone")
    model.eval()
    with torch.no_grad():
        cls_scores, _ = model(torch.rand(1, 3, 64, 64))
    assert [tuple(s.shape[-2:]) for s in cls_scores] == [(8, 8), (4, 4), (2, 2), (1, 1), (1, 1)]


def test_features_only_false_returns_the_model_output():
    backbone = TIMMBackbone("resnet18", num_classes=7)
    assert backbone.out_channels == [7]
    (logits,) = backbone(torch.rand(2, 3, 32, 32))
    assert logits.shape == (2, 7)


def test_an_unknown_timm_model_is_a_config_error_with_close_names():
    with pytest.raises(ConfigValueError, match=r"no model named 'efficientnet_b99'.*efficientnet_b1"):
        MODELS.build({"type": "mmpretrain.TIMMBackbone", "model_name": "efficientnet_b99"})


def test_torchvision_imports_and_its_missing_compiled_ops_say_so():
    """Beside this machine's CPU torch, torchvision's compiled ops cannot load: the stand-in
    declares their names so torchvision imports, and its ops still refuse to run."""
    code = """
import torch
from hydrareg_zoo.common.torchvision_ops import ensure_torchvision_importable, standin_active
ensure_torchvision_importable()
import torchvision, torchvision.extension
print(standin_active(), torchvision.extension._has_ops())
if standin_active():
    try:
        torchvision.ops.nms(torch.zeros(1, 4), torch.zeros(1), 0.5)
    except RuntimeError as error:
        print("refused:", "custom C++ ops" in str(error))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    active, has_ops = lines[0].split()
    assert active != has_ops  # the stand-in is there exactly when the real ops are not
    if active == "True":
        assert lines[1] == "refused: True"
