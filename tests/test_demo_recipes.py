"""MMDetection's timm-backbone and Mosaic recipes, run end to end as ``python run.py ...``."""

from __future__ import annotations

import importlib.util

import pytest
from patch_modes import PATCHES_ON, delete_refused
from PIL import Image
from test_demo_commands import figures
from test_demo_commands import run as run_app


def run(cwd, *args: str):
    """run.py with these overrides; with HYDRAREG_PATCHES=0 these options' _delete_ is refused by
    name (checked), and the test is skipped."""
    result = run_app(cwd, *args, check=PATCHES_ON)
    if not PATCHES_ON:
        assert result.returncode != 0 and delete_refused(result.stderr + result.stdout), result.stderr
        pytest.skip("the option's _delete_ needs hydrareg's compose patch (HYDRAREG_PATCHES=0): refused")
    return result


@pytest.mark.skipif(importlib.util.find_spec("timm") is None, reason="timm is not installed")
def test_retinanet_with_a_timm_efficientnet_runs_a_forward_pass(tmp_path):
    out = run(tmp_path, "model=retinanet", "backbone=timm_efficientnet_b1", "hydra.run.dir=job").stdout
    assert "mmpretrain.TIMMBackbone" in out or "mmcls.TIMMBackbone" in out
    result = figures(tmp_path / "job")
    assert result["model"] == "mmdet.RetinaNet"
    # five levels at strides 8..128 on the 64x64 input, as with the ResNet-50 it replaces
    assert [shape[-2:] for shape in result["output_shapes"][0]] == [[8, 8], [4, 4], [2, 2], [1, 1], [1, 1]]


def test_the_mosaic_pipeline_previews_tiled_scenes(tmp_path):
    out = run(tmp_path, "task=pipeline", "dataset=det_shapes_mosaic", "hydra.run.dir=job").stdout
    assert "Mosaic > RandomAffine > RandomFlip > PackDetInputs" in out
    result = figures(tmp_path / "job")
    assert result["input_shapes"] == {"3x64x64": 10}
    with Image.open(tmp_path / "job" / "mix_preview.png") as mosaics:
        assert mosaics.width >= 5 * 128  # five 2x mosaics in a row (before RandomAffine crops them)


def test_yolox_trains_on_the_mosaic_pipeline_and_its_loss_goes_down(tmp_path):
    run(tmp_path, "task=train_det", "task.epochs=5", "task.progress=false", "hydra.run.dir=job")
    result = figures(tmp_path / "job")
    losses = result["losses"]
    assert len(losses) == 5 and result["samples"] == 10
    assert sum(losses[-2:]) / 2 < 0.95 * sum(losses[:2]) / 2, losses
