"""mmrotate's ConvertBoxType and the rotated pipeline of mmdet transforms."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from hydrareg import instantiate
from hydrareg.configdict import to_config_tree
from hydrareg.errors import ConfigTypeError, ConfigValueError
from hydrareg.registry import DATASETS
from hydrareg_zoo.mmdet.datasets import ShapesDataset
from hydrareg_zoo.mmdet.transforms import RandomFlip, Resize
from hydrareg_zoo.mmrotate.registry import TRANSFORMS as ROTATE_TRANSFORMS
from hydrareg_zoo.mmrotate.structures import hbox_to_rbox, rbox_to_hbox, regularize_angle
from hydrareg_zoo.mmrotate.transforms import ConvertBoxType
from hydrareg_zoo.pipeline import Compose
from hydrareg_zoo.tasks import TASKS

CONF = Path(__file__).resolve().parents[1] / "conf" / "dataset"
HBOXES = np.array([[10, 20, 30, 60], [0, 0, 5, 3]], dtype=np.float32)


def test_hbox_rbox_conversions_by_hand():
    assert hbox_to_rbox(HBOXES).tolist() == [[20, 40, 20, 40, 0], [2.5, 1.5, 5, 3, 0]]
    assert np.allclose(rbox_to_hbox(hbox_to_rbox(HBOXES)), HBOXES)
    turned = np.array([[20, 40, 20, 40, np.pi / 2]])  # a quarter turn swaps width and height
    assert np.allclose(rbox_to_hbox(turned), [[0, 30, 40, 50]])
    diamond = np.array([[0, 0, 2, 2, np.pi / 4]])
    assert np.allclose(rbox_to_hbox(diamond), [[-np.sqrt(2), -np.sqrt(2), np.sqrt(2), np.sqrt(2)]])
    assert np.allclose(
        regularize_angle(np.array([np.pi / 2, -np.pi / 2, 3.0])), [-np.pi / 2, -np.pi / 2, 3.0 - np.pi]
    )


def test_convert_box_type_round_trip_in_results():
    results = {"gt_bboxes": HBOXES.copy(), "other": 1}
    rotated = ConvertBoxType({"gt_bboxes": "rbox"})(results)
    assert rotated["gt_bboxes"].shape == (2, 5) and rotated["gt_bboxes"].dtype == np.float32
    back = ConvertBoxType({"gt_bboxes": "hbox"})(rotated)
    assert np.array_equal(back["gt_bboxes"], HBOXES)
    assert ConvertBoxType({"gt_bboxes": "rbox"})({"img": 1}) == {"img": 1}  # missing keys skipped


def test_convert_box_type_bad_mapping_names_the_config_path():
    cfg = to_config_tree(
        {"type": "ConvertBoxType", "box_type_mapping": {"gt_bboxes": "qbox"}}, "dataset.pipeline[2]"
    )
    with pytest.raises(ConfigValueError) as info:
        ROTATE_TRANSFORMS.build(cfg)
    message = str(info.value)
    assert "dataset.pipeline[2].box_type_mapping.gt_bboxes" in message and "rbox" in message
    with pytest.raises(ConfigTypeError, match="box_type_mapping"):
        ConvertBoxType("rbox")


def test_rotated_boxes_through_resize_and_flip_by_hand():
    boxes = np.array([[10, 20, 8, 4, 0.3]], dtype=np.float32)
    img = np.zeros((50, 64, 3), np.uint8)
    flipped = RandomFlip(prob=1.0)({"img": img, "gt_bboxes": boxes.copy()})["gt_bboxes"]
    assert np.allclose(flipped, [[54, 20, 8, 4, -0.3]])
    vflip = RandomFlip(prob=1.0, direction="vertical")({"img": img, "gt_bboxes": boxes.copy()})
    assert np.allclose(vflip["gt_bboxes"], [[10, 30, 8, 4, -0.3]])
    both = RandomFlip(prob=1.0, direction="diagonal")({"img": img, "gt_bboxes": boxes.copy()})
    assert np.allclose(both["gt_bboxes"], [[54, 30, 8, 4, 0.3]])
    half = Resize(scale_factor=0.5)({"img": img, "gt_bboxes": boxes.copy()})["gt_bboxes"]
    assert np.allclose(half, [[5, 10, 4, 2, 0.3]])
    upright = np.array([[10, 20, 8, 4, 0.0], [10, 20, 8, 4, -np.pi / 2]], dtype=np.float32)
    stretched = Resize(scale=(128, 25))({"img": img, "gt_bboxes": upright})["gt_bboxes"]
    # sx = 2, sy = 0.5: an upright box scales w by sx, a quarter-turned one w by sy
    assert np.allclose(stretched[:, :4], [[20, 10, 16, 2], [20, 10, 4, 8]], atol=1e-5)
    assert same_angles(stretched[:, 4], [0, np.pi / 2])


def same_angles(a, b) -> bool:
    """Angles equal up to a half turn (a rectangle turned by pi is the same rectangle)."""
    return bool(np.allclose(np.sin(np.asarray(a, float) - np.asarray(b, float)), 0, atol=1e-5))


PIPELINE = [
    {"type": "mmdet.LoadImageFromFile"},
    {"type": "mmdet.LoadAnnotations"},
    {"type": "ConvertBoxType", "box_type_mapping": {"gt_bboxes": "rbox"}},
    {"type": "mmdet.Resize", "scale": (48, 48), "keep_ratio": True},
    {"type": "mmdet.RandomFlip", "prob": 1.0, "direction": "horizontal"},
    {"type": "mmdet.PackDetInputs"},
]


def test_rotated_pipeline_built_through_mmrotate_transforms_agrees_with_horizontal_one():
    rotated = Compose(PIPELINE, registry=ROTATE_TRANSFORMS)
    assert type(rotated.transforms[2]) is ConvertBoxType
    horizontal = Compose(
        [step for step in PIPELINE if step["type"] != "ConvertBoxType"], registry=ROTATE_TRANSFORMS
    )
    dataset = ShapesDataset()
    for index in range(len(dataset)):
        r_out = rotated(dataset.get_data_info(index))
        h_out = horizontal(dataset.get_data_info(index))
        r_boxes = r_out["data_samples"]["gt_instances"]["bboxes"].numpy()
        assert r_boxes.shape[1] == 5
        assert np.allclose(rbox_to_hbox(r_boxes), h_out["data_samples"]["gt_instances"]["bboxes"])
        assert r_out["inputs"].equal(h_out["inputs"])


def test_rotated_dataset_config_builds_with_mmrotate_scope():
    cfg = OmegaConf.load(CONF / "det_shapes_rotated.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no unknown-scope warning for `_scope_: mmrotate`
        dataset = DATASETS.build(cfg)
    assert isinstance(dataset, ShapesDataset)
    steps = [type(step).__name__ for step in dataset.pipeline.transforms]
    assert steps == [
        "LoadImageFromFile",
        "LoadAnnotations",
        "ConvertBoxType",
        "Resize",
        "RandomFlip",
        "PackDetInputs",
    ]
    flips = set()
    for index in range(len(dataset)):
        sample = dataset[index]
        boxes = sample["data_samples"]["gt_instances"]["bboxes"]
        assert boxes.shape == (len(dataset.data_list[index]["instances"]), 5)
        _, h, w = sample["inputs"].shape
        assert max(h, w) == 64
        if len(boxes):
            assert (boxes[:, 0] > 0).all() and (boxes[:, 0] < w).all()
        flips.add(sample["data_samples"]["metainfo"]["flip_direction"])
    assert len(flips) >= 2  # prob 0.75 over three directions: some flips, maybe some not


def test_unprefixed_rotated_pipeline_fails_without_the_scope():
    """Without `_scope_: mmrotate`, ConvertBoxType is not in the root registry: a clear error."""
    from hydrareg.errors import UnknownTypeError

    cfg = OmegaConf.load(CONF / "det_shapes_rotated.yaml")
    del cfg["_scope_"]
    with pytest.raises(UnknownTypeError, match=r"dataset|pipeline\[2\]"):
        DATASETS.build(cfg)


def test_pipeline_task_with_the_rotated_dataset(tmp_path):
    with initialize_config_dir(config_dir=str(CONF.parent), version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=["task=pipeline", "dataset=det_shapes_rotated", "task.preview=false"],
        )
    assert cfg.dataset._scope_ == "mmrotate"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figures = instantiate(cfg.task, registry=TASKS, cfg=cfg, output_dir=tmp_path)
    assert figures["box_width"] == 5 and figures["samples"] == 10
    assert figures["boxes"] == sum(len(ShapesDataset().get_data_info(i)["instances"]) for i in range(10))
    assert "ConvertBoxType" in figures["steps"] and "preview" not in figures
    assert set(figures["flips"]) <= {"None", "horizontal", "vertical", "diagonal"}
