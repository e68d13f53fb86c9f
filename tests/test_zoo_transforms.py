"""mmdet's transforms on the shipped image files: shapes, box maths, flips, packing, Compose."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from PIL import Image

from hydrareg.configdict import to_config_tree
from hydrareg.errors import ConfigTypeError, ConfigValueError, UnknownTypeError
from hydrareg.registry import TRANSFORMS
from hydrareg_zoo.mmdet.datasets import demo_data_root
from hydrareg_zoo.mmdet.transforms import (
    LoadAnnotations,
    LoadImageFromFile,
    PackDetInputs,
    RandomFlip,
    Resize,
)
from hydrareg_zoo.pipeline import Compose

ROOT = demo_data_root()
COCO = json.loads((ROOT / "annotations.json").read_text())


def scene(index: int) -> dict:
    """A results dict as the dataset starts it: path and instances (xyxy) of scene ``index``."""
    image = COCO["images"][index]
    anns = [a for a in COCO["annotations"] if a["image_id"] == image["id"]]
    instances = [
        {"bbox": [x, y, x + w, y + h], "bbox_label": a["category_id"] - 1, "ignore_flag": 0}
        for a in anns
        for x, y, w, h in [a["bbox"]]
    ]
    return {"img_path": str(ROOT / "images" / image["file_name"]), "instances": instances}


def loaded(index: int) -> dict:
    return LoadAnnotations()(LoadImageFromFile()(scene(index)))


# ------------------------------------------------------------------ loading


def test_load_image_reads_the_real_file_as_hwc_uint8_rgb():
    results = LoadImageFromFile()(scene(1))
    image = COCO["images"][1]
    assert results["img"].shape == (image["height"], image["width"], 3)
    assert results["img"].dtype == np.uint8
    assert results["img_shape"] == results["ori_shape"] == (image["height"], image["width"])
    with Image.open(results["img_path"]) as pil:
        assert np.array_equal(results["img"], np.asarray(pil.convert("RGB")))


def test_load_image_options():
    assert LoadImageFromFile(color_type="grayscale")(scene(0))["img"].ndim == 2
    assert LoadImageFromFile(to_float32=True)(scene(0))["img"].dtype == np.float32
    with pytest.raises(ConfigValueError, match="color_type"):
        LoadImageFromFile(color_type="bgr")


def test_load_image_missing_file(tmp_path):
    missing = {"img_path": str(tmp_path / "nope.png")}
    with pytest.raises(FileNotFoundError, match=r"nope\.png"):
        LoadImageFromFile()(dict(missing))
    assert LoadImageFromFile(ignore_empty=True)(dict(missing)) is None


def test_load_annotations_arrays():
    results = loaded(0)
    count = len(scene(0)["instances"])
    assert results["gt_bboxes"].shape == (count, 4) and results["gt_bboxes"].dtype == np.float32
    assert results["gt_bboxes_labels"].shape == (count,)
    assert results["gt_bboxes_labels"].dtype == np.int64
    assert not results["gt_ignore_flags"].any()
    empty = LoadAnnotations()({"instances": []})
    assert empty["gt_bboxes"].shape == (0, 4)


def test_load_annotations_without_instances_names_the_missing_key():
    with pytest.raises(KeyError, match="instances"):
        LoadAnnotations()({"img_path": "x.png"})


# ------------------------------------------------------------------ resize


def test_resize_keep_ratio_scales_image_and_boxes_alike():
    results = loaded(1)  # 96 x 72 (w x h)
    before = results["gt_bboxes"].copy()
    out = Resize(scale=(64, 64), keep_ratio=True)(results)
    # long edge 96 -> 64 bounds it (factor 2/3): 72 * 2/3 = 48
    assert out["img"].shape == (48, 64, 3)
    assert out["img_shape"] == (48, 64) and out["scale"] == (64, 48)
    assert out["scale_factor"] == pytest.approx((2 / 3, 2 / 3))
    assert np.allclose(out["gt_bboxes"], before * 2 / 3, atol=1e-5)


def test_resize_without_keep_ratio_scales_axes_separately():
    out = Resize(scale=(48, 36))(loaded(2))  # 72 x 96 -> 48 x 36: sx = 2/3, sy = 3/8
    assert out["img"].shape == (36, 48, 3)
    box = np.asarray(scene(2)["instances"][0]["bbox"], dtype=np.float32)
    assert np.allclose(out["gt_bboxes"][0], box * [2 / 3, 3 / 8, 2 / 3, 3 / 8], atol=1e-5)


def test_resize_by_scale_factor_and_clipping():
    def results():
        return {"img": np.zeros((40, 60, 3), np.uint8), "gt_bboxes": np.array([[50, 5, 70, 45]], np.float32)}

    out = Resize(scale_factor=0.5)(results())
    assert out["img"].shape == (20, 30, 3)
    assert out["gt_bboxes"].tolist() == [[25, 2.5, 30, 20]]  # 35 and 22.5 clipped to the border
    unclipped = Resize(scale_factor=0.5, clip_object_border=False)(results())
    assert unclipped["gt_bboxes"].tolist() == [[25, 2.5, 35, 22.5]]


def test_resize_keeps_the_picture():
    """Shrinking by 2 with bilinear filtering is close to 2x2 block averages."""
    img = LoadImageFromFile()(scene(0))["img"]
    small = Resize(scale_factor=0.5)({"img": img})["img"].astype(float)
    blocks = img.reshape(48, 2, 48, 2, 3).mean(axis=(1, 3))
    assert np.abs(small - blocks).mean() < 4


def test_resize_bad_arguments():
    with pytest.raises(ConfigValueError, match="exactly one"):
        Resize()
    with pytest.raises(ConfigValueError, match="exactly one"):
        Resize(scale=32, scale_factor=0.5)
    with pytest.raises(ConfigTypeError, match="scale"):
        Resize(scale=(1, 2, 3))
    with pytest.raises(ConfigValueError, match="positive"):
        Resize(scale=(0, 10))


# ------------------------------------------------------------------ flip


@pytest.mark.parametrize("direction", ["horizontal", "vertical", "diagonal"])
def test_flip_mirrors_image_and_boxes(direction):
    results = loaded(0)
    img, boxes = results["img"].copy(), results["gt_bboxes"].copy()
    h, w = img.shape[:2]
    out = RandomFlip(prob=1.0, direction=direction)(results)
    assert out["flip"] is True and out["flip_direction"] == direction
    expected_img = {"horizontal": img[:, ::-1], "vertical": img[::-1], "diagonal": img[::-1, ::-1]}
    assert np.array_equal(out["img"], expected_img[direction])
    x1, y1, x2, y2 = boxes.T
    if direction in ("horizontal", "diagonal"):
        x1, x2 = w - x2, w - x1
    if direction in ("vertical", "diagonal"):
        y1, y2 = h - y2, h - y1
    assert np.allclose(out["gt_bboxes"], np.stack([x1, y1, x2, y2], axis=1))


def test_flipped_boxes_still_frame_their_objects():
    results = loaded(0)
    img = results["img"].copy()
    original = results["gt_bboxes"].astype(int)
    out = RandomFlip(prob=1.0)(results)
    flipped = out["gt_bboxes"].astype(int)
    for (x1, y1, x2, y2), (fx1, fy1, fx2, fy2) in zip(original, flipped, strict=True):
        assert (fy1, fy2) == (y1, y2)
        assert np.array_equal(out["img"][fy1:fy2, fx1:fx2], img[y1:y2, x1:x2][:, ::-1])


def test_flip_probability_zero_and_seeded_draws():
    results = loaded(0)
    img = results["img"].copy()
    out = RandomFlip(prob=0.0)(results)
    assert out["flip"] is False and out["flip_direction"] is None
    assert np.array_equal(out["img"], img)
    draws = [RandomFlip(prob=0.5, seed=3).choose_direction() for _ in range(3)]
    assert len(set(draws)) == 1  # the same seed draws the same
    flip = RandomFlip(prob=0.5, seed=0)
    count = sum(flip.choose_direction() is not None for _ in range(400))
    assert 150 < count < 250
    shared = RandomFlip(prob=0.9, direction=["horizontal", "vertical"], seed=0)
    seen = [shared.choose_direction() for _ in range(300)]
    assert 100 < seen.count("horizontal") < 170 and 100 < seen.count("vertical") < 170


def test_flip_bad_arguments():
    with pytest.raises(ConfigValueError, match="direction"):
        RandomFlip(prob=0.5, direction="sideways")
    with pytest.raises(ConfigValueError, match="sum"):
        RandomFlip(prob=[0.8, 0.5], direction=["horizontal", "vertical"])
    with pytest.raises(ConfigTypeError, match="one number per direction"):
        RandomFlip(prob=[0.5], direction=["horizontal", "vertical"])


# ------------------------------------------------------------------ pack


def test_pack_det_inputs():
    results = Resize(scale=(64, 64), keep_ratio=True)(loaded(1))
    results["gt_ignore_flags"][-1] = True
    results["img_id"] = 2
    packed = PackDetInputs()(results)
    inputs, samples = packed["inputs"], packed["data_samples"]
    assert isinstance(inputs, torch.Tensor) and inputs.shape == (3, 48, 64)
    assert inputs.dtype == torch.uint8
    assert torch.equal(inputs.permute(1, 2, 0), torch.from_numpy(results["img"]))
    count = len(results["gt_bboxes"])
    assert samples["gt_instances"]["bboxes"].shape == (count - 1, 4)
    assert samples["gt_instances"]["labels"].dtype == torch.int64
    assert samples["ignored_instances"]["bboxes"].shape == (1, 4)
    meta = samples["metainfo"]
    assert meta["img_shape"] == (48, 64) and meta["ori_shape"] == (72, 96) and meta["img_id"] == 2


def test_pack_grayscale_adds_the_channel():
    packed = PackDetInputs()({"img": np.zeros((5, 7), np.uint8)})
    assert packed["inputs"].shape == (1, 5, 7)
    assert "gt_instances" not in packed["data_samples"]


# ------------------------------------------------------------------ compose


PIPELINE = [
    {"type": "mmdet.LoadImageFromFile"},
    {"type": "mmdet.LoadAnnotations"},
    {"type": "mmdet.Resize", "scale": [32, 32], "keep_ratio": True},
    {"type": "mmdet.RandomFlip", "prob": 0.0},
    {"type": "mmdet.PackDetInputs"},
]


@pytest.mark.parametrize("as_omegaconf", [False, True])
def test_compose_builds_through_the_registry(as_omegaconf):
    config = OmegaConf.create(PIPELINE) if as_omegaconf else [dict(item) for item in PIPELINE]
    before = OmegaConf.to_container(config) if as_omegaconf else [dict(i) for i in config]
    pipeline = Compose(config)
    assert [type(step).__name__ for step in pipeline.transforms] == [
        "LoadImageFromFile",
        "LoadAnnotations",
        "Resize",
        "RandomFlip",
        "PackDetInputs",
    ]
    out = pipeline(scene(0))
    assert out["inputs"].shape == (3, 32, 32)
    assert (OmegaConf.to_container(config) if as_omegaconf else config) == before


def test_compose_is_registered_in_mmdet_and_stops_on_none(tmp_path):
    pipeline = TRANSFORMS.build(
        {
            "type": "mmdet.Compose",
            "transforms": [
                {"type": "mmdet.LoadImageFromFile", "ignore_empty": True},
                {"type": "mmdet.PackDetInputs"},
            ],
        }
    )
    assert pipeline({"img_path": str(tmp_path / "missing.png")}) is None
    assert len(Compose(None)) == 0
    assert Compose([lambda results: {**results, "seen": True}])({})["seen"] is True


def test_compose_errors_name_the_config_path():
    config = to_config_tree(
        {"pipeline": [{"type": "mmdet.LoadImageFromFile"}, {"type": "mmdet.Rezise", "scale": 32}]}, "dataset"
    )
    with pytest.raises(UnknownTypeError) as info:
        Compose(config["pipeline"])
    assert "dataset.pipeline[1].type" in str(info.value) and "Resize" in str(info.value)
    bad_args = to_config_tree({"pipeline": [{"type": "mmdet.Resize"}]}, "dataset")
    with pytest.raises(ConfigValueError, match=r"dataset\.pipeline\[0\]"):
        Compose(bad_args["pipeline"])
    with pytest.raises(ConfigTypeError, match=r"dataset\.pipeline\[1\]"):
        Compose([to_config_tree({"type": "mmdet.PackDetInputs"}, "dataset.pipeline[0]"), 42])
    with pytest.raises(ConfigTypeError, match="list of transform configs"):
        Compose({"type": "mmdet.Resize"})


def test_compose_notes_the_failing_step():
    pipeline = Compose([{"type": "mmdet.Resize", "scale": 8}])
    with pytest.raises(KeyError) as info:
        pipeline({})
    assert any("pipeline step 0: Resize" in note for note in info.value.__notes__)
