"""The demo detection dataset: shipped files, COCO parsing, registry builds, regeneration."""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from PIL import Image

from hydrareg import instantiate
from hydrareg.errors import ConfigValueError
from hydrareg.registry import DATASETS
from hydrareg_zoo.mmdet.datasets import CocoDataset, ShapesDataset, demo_data_root
from hydrareg_zoo.tasks import TASKS

REPO = Path(__file__).resolve().parents[1]
CONF = REPO / "conf" / "dataset"


def test_shipped_files_are_package_data_and_small():
    root = importlib.resources.files("hydrareg_zoo") / "data" / "det_shapes"
    assert (root / "annotations.json").is_file()
    files = [path for path in demo_data_root().rglob("*") if path.is_file()]
    assert 8 <= len([f for f in files if f.suffix == ".png"]) <= 12
    assert sum(f.stat().st_size for f in files) < 300_000
    pyproject = (REPO / "pyproject.toml").read_text()
    assert "data/det_shapes/images/*.png" in pyproject


def test_samples_match_the_annotation_file():
    coco = json.loads((demo_data_root() / "annotations.json").read_text())
    dataset = ShapesDataset()
    assert len(dataset) == len(coco["images"]) == 10
    assert dataset.metainfo["classes"] == ("square", "circle", "triangle")
    total = 0
    for index, image in enumerate(coco["images"]):
        info = dataset.get_data_info(index)
        assert Path(info["img_path"]).is_file()
        with Image.open(info["img_path"]) as pil:
            assert pil.size == (image["width"], image["height"])
        anns = [a for a in coco["annotations"] if a["image_id"] == image["id"]]
        assert [inst["bbox"] for inst in info["instances"]] == [
            [x, y, x + w, y + h] for x, y, w, h in (a["bbox"] for a in anns)
        ]
        assert [inst["bbox_label"] for inst in info["instances"]] == [a["category_id"] - 1 for a in anns]
        for x1, y1, x2, y2 in (inst["bbox"] for inst in info["instances"]):
            assert 0 <= x1 < x2 <= image["width"] and 0 <= y1 < y2 <= image["height"]
        total += len(anns)
    assert total == len(coco["annotations"]) > 10


def test_boxes_are_tight_around_their_shapes():
    """Each box's border rows and columns hold shape pixels; the ring just outside holds none."""
    dataset = ShapesDataset()
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        img = np.asarray(Image.open(info["img_path"]).convert("RGB")).astype(int).sum(axis=2)
        for inst in info["instances"]:
            x1, y1, x2, y2 = inst["bbox"]
            ring = img[y1 - 1 : y2 + 1, x1 - 1 : x2 + 1].copy()
            ring[1:-1, 1:-1] = -1
            background = ring[ring >= 0]
            shape = img[y1:y2, x1:x2] > background.max() + 60  # shapes are much brighter
            assert shape[0].any() and shape[-1].any() and shape[:, 0].any() and shape[:, -1].any()


def test_empty_scene_filtering_and_copies():
    assert len(ShapesDataset(filter_empty_gt=True)) == 9
    assert len(ShapesDataset(filter_empty_gt=True, test_mode=True)) == 10
    assert len(ShapesDataset(indices=3)) == 3
    assert [d["img_id"] for d in ShapesDataset(indices=[4, 1]).data_list] == [5, 2]
    dataset = ShapesDataset()
    dataset.get_data_info(0)["instances"].clear()
    assert dataset.get_data_info(0)["instances"]


def test_coco_dataset_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing\.json"):
        CocoDataset("missing.json", data_root=str(tmp_path))
    (tmp_path / "bad.json").write_text(json.dumps({"images": []}))
    with pytest.raises(ConfigValueError, match="annotations, categories"):
        CocoDataset("bad.json", data_root=str(tmp_path))


def test_config_file_builds_the_pipelined_dataset():
    cfg = OmegaConf.load(CONF / "det_shapes.yaml")
    before = OmegaConf.to_container(cfg)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataset = DATASETS.build(cfg)
    assert OmegaConf.to_container(cfg) == before
    assert isinstance(dataset, ShapesDataset)
    for index in range(len(dataset)):
        sample = dataset[index]
        assert sample["inputs"].shape[0] == 3 and max(sample["inputs"].shape[1:]) == 64
        boxes = sample["data_samples"]["gt_instances"]["bboxes"]
        assert boxes.shape == (len(dataset.data_list[index]["instances"]), 4)


def _load_script():
    path = REPO / "scripts" / "make_demo_data.py"
    spec = importlib.util.spec_from_file_location("make_demo_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_script_reproduces_the_shipped_data(tmp_path):
    _load_script().main(["--out", str(tmp_path)])
    shipped = demo_data_root()
    assert json.loads((tmp_path / "annotations.json").read_text()) == json.loads(
        (shipped / "annotations.json").read_text()
    )
    names = sorted(p.name for p in (shipped / "images").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "images").iterdir())
    for name in names:
        old, new = Image.open(shipped / "images" / name), Image.open(tmp_path / "images" / name)
        with old, new:
            assert np.array_equal(np.asarray(old), np.asarray(new)), name


def compose_app(*overrides: str):
    """conf/config.yaml composed as run.py would, with these command-line overrides."""
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def test_pipeline_task_over_the_shipped_scenes(tmp_path):
    cfg = compose_app("task=pipeline")
    assert cfg.dataset.type == "ShapesDataset" and cfg.dataset._scope_ == "mmdet"
    figures = instantiate(cfg.task, registry=TASKS, cfg=cfg, output_dir=tmp_path)
    coco = json.loads((demo_data_root() / "annotations.json").read_text())
    assert figures["samples"] == len(coco["images"]) and figures["dropped"] == 0
    assert figures["boxes"] == len(coco["annotations"]) and figures["box_width"] == 4
    assert figures["steps"] == ("LoadImageFromFile > LoadAnnotations > Resize > RandomFlip > PackDetInputs")
    assert sum(figures["input_shapes"].values()) == 10
    assert all(max(int(n) for n in shape.split("x")[1:]) == 64 for shape in figures["input_shapes"])
    with Image.open(figures["preview"]) as preview:
        assert preview.width > 64 and preview.height > 64
    json.dumps(figures)  # run.py writes them to result.json
