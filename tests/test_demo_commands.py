"""The README's cross-library examples, each run end to end as ``python run.py ...`` in a subprocess."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO


def run(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(REPO / "run.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    if check and result.returncode != 0:
        raise AssertionError(f"run.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def figures(job_dir: Path) -> dict:
    record = json.loads((job_dir / "result.json").read_text())
    assert record["status"] == "completed"
    return record["figures"]


# ---------------------------------------------------------------------------- 1, 2: detectors


@pytest.mark.parametrize(
    ("overrides", "backbone"),
    [([], "mmdet.CSPDarknet"), (["model=yolox", "backbone=mmcls_convnext"], "mmcls.ConvNeXt")],
    ids=["default-cspdarknet", "mmcls-convnext"],
)
def test_yolox_with_its_own_or_an_mmcls_backbone(tmp_path, overrides, backbone):
    out = run(tmp_path, *overrides, "hydra.run.dir=job").stdout
    assert figures(tmp_path / "job")["model"] == "mmdet.YOLOX"
    assert f"├─ backbone: {backbone.split('.')[1]}" in out and backbone in out


def test_retinanet_with_mmcls_mobilenetv3_whose_neck_follows_out_indices(tmp_path):
    out = run(tmp_path, "model=retinanet", "backbone=mmcls_mobilenetv3", "hydra.run.dir=a").stdout
    assert "mmdet.RetinaNet" in out and "mmcls.MobileNetV3" in out and "mmdet.FPN" in out
    default = figures(tmp_path / "a")
    run(
        tmp_path,
        "model=retinanet",
        "backbone=mmcls_mobilenetv3",
        "model.backbone.out_indices=[3,8,12]",
        "hydra.run.dir=b",
    )
    changed = figures(tmp_path / "b")
    # The FPN's lateral convs take whatever the chosen levels give: the model changes, and builds.
    assert changed["params"] != default["params"]
    assert len(changed["output_shapes"][0]) == len(default["output_shapes"][0])


# ---------------------------------------------------------------------------- 3: tracking


@pytest.fixture(scope="module")
def tracked(tmp_path_factory) -> Path:
    """One tracking run with the `_scope_: mmdet` detector (it trains the tiny detector first)."""
    cwd = tmp_path_factory.mktemp("track")
    run(cwd, "task=track", "hydra.run.dir=scoped")
    return cwd


def test_the_scoped_tracker_tracks_the_synthetic_video(tracked):
    result = figures(tracked / "scoped")
    assert result["recovered"] >= 0.75 and result["id_switches"] <= 2 and result["mota"] >= 0.6
    assert (tracked / "scoped" / "detector.pth").is_file()


def test_the_prefixed_tracker_is_the_same_model(tracked):
    """Written with `mmdet.` on every submodule, it loads the scoped run's detector strictly
    (a differently built model would not fit) and tracks the video identically."""
    checkpoint = tracked / "scoped" / "detector.pth"
    run(
        tracked,
        "task=track",
        "model=bytetrack_yolox_prefixed",
        f"task.checkpoint={checkpoint}",
        "hydra.run.dir=prefixed",
    )
    scoped, prefixed = figures(tracked / "scoped"), figures(tracked / "prefixed")
    for key in ("id_switches", "recovered", "mota", "precision", "recall", "pred_tracks"):
        assert prefixed[key] == scoped[key], key


# ---------------------------------------------------------------------------- 4: rotated pipeline


def test_the_rotated_pipeline_mixes_mmdet_and_mmrotate_transforms(tmp_path):
    run(tmp_path, "task=pipeline", "dataset=det_shapes_rotated", "hydra.run.dir=job")
    result = figures(tmp_path / "job")
    assert result["steps"] == (
        "LoadImageFromFile > LoadAnnotations > ConvertBoxType > Resize > RandomFlip > PackDetInputs"
    )
    assert result["samples"] == 10 and result["boxes"] > 0 and result["box_width"] == 5
    assert (tmp_path / "job" / "pipeline_preview.png").is_file()


# ---------------------------------------------------------------------------- 5, 6: training


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("train")
    out = run(
        cwd, "task=train", "model=image_classifier", "backbone=mmcls_resnet18", "hydra.run.dir=job"
    ).stdout
    (cwd / "console.txt").write_text(out)
    return cwd


def log_messages(text: str) -> list[str]:
    """The messages of Hydra-formatted log lines (``[time][logger][LEVEL] - message``)."""
    return [line.split("] - ", 1)[1] for line in text.splitlines() if "] - " in line]


def test_the_training_log_holds_what_the_console_shows(trained):
    log = log_messages((trained / "job" / "run.log").read_text())
    assert log == log_messages((trained / "console.txt").read_text())
    assert log[0] == "task train with overrides: task=train model=image_classifier backbone=mmcls_resnet18"
    epochs = [line for line in log if line.startswith("epoch ") and "/5: loss " in line]
    assert [line.split(":")[0] for line in epochs] == [f"epoch {n}/5" for n in range(1, 6)]
    assert all(", accuracy " in line and ", lr " in line for line in epochs)
    assert f"checkpoint saved to {trained / 'job' / 'checkpoint.pth'}" in log[-2]
    assert log[-1] == f"results in {trained / 'job'} (result.json and the task's files)"


def test_training_the_classifier_reaches_90_percent_and_saves_a_checkpoint(trained):
    result = figures(trained / "job")
    assert result["accuracy"] >= 0.9
    assert Path(result["checkpoint"]).is_file()


def test_a_detector_loads_the_trained_backbone_through_init_cfg(trained):
    checkpoint = trained / "job" / "checkpoint.pth"
    init_cfg = f"+model.backbone.init_cfg={{type:Pretrained,checkpoint:'{checkpoint}',prefix:backbone.}}"
    out = run(
        trained, "model=retinanet", "backbone=mmcls_resnet18", init_cfg, "hydra.run.dir=detector"
    ).stdout
    assert figures(trained / "detector")["model"] == "mmdet.RetinaNet"
    import torch

    state = torch.load(checkpoint, weights_only=True)["state_dict"]
    tensors = sum(key.startswith("backbone.") for key in state)
    loaded = f"loaded {tensors} tensors from {checkpoint} (keys under 'backbone.') into ResNet"
    assert loaded in out and loaded in (trained / "detector" / "run.log").read_text()
    wrong = init_cfg.replace("prefix:backbone.", "prefix:head.")
    failed = run(
        trained, "model=retinanet", "backbone=mmcls_resnet18", wrong, "hydra.run.dir=bad", check=False
    )
    assert failed.returncode != 0 and "does not fit the module" in failed.stderr


def test_a_training_sweep_tabulates_and_plots_accuracy(tmp_path):
    """The README's sweep, one epoch per job to keep the suite short."""
    run(
        tmp_path,
        "-m",
        "task=train",
        "optim.lr=0.01,0.1",
        "backbone=mmcls_resnet18,mmcls_mobilenetv3",
        "task.epochs=1",
        "hydra.sweep.dir=sweep",
    )
    with open(tmp_path / "sweep" / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4 and all(row["status"] == "completed" for row in rows)
    assert all(0.0 <= float(row["accuracy"]) <= 1.0 for row in rows)
    backbones = {part for row in rows for part in row["overrides"].split() if part.startswith("backbone=")}
    assert backbones == {"backbone=mmcls_resnet18", "backbone=mmcls_mobilenetv3"}
    chart = (tmp_path / "sweep" / "summary_accuracy.svg").read_text()
    for row in rows:  # each bar is labelled with the swept values, in full; common overrides left out
        swept = " ".join(p for p in row["overrides"].split() if p.startswith(("optim.lr=", "backbone=")))
        assert f"job {row['job']}: {swept}</text>" in chart
    assert "task.epochs=1" not in chart
