"""MMDetection's Mosaic recipe in the demo mmdet: Mosaic, RandomAffine, MultiImageMixDataset.

The geometry is checked against the pixels: the shipped scenes draw bright shapes (every channel
>= 140) on a dark background (<= 112), and the pad value is 114, so the bright pixels of an output
image are the objects, wherever the transforms moved them.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from omegaconf import OmegaConf
from patch_modes import compose_app
from PIL import Image

from hydrareg import instantiate
from hydrareg.errors import ConfigValueError
from hydrareg.registry import DATASETS
from hydrareg_zoo.mmdet.datasets import MultiImageMixDataset, ShapesDataset
from hydrareg_zoo.mmdet.transforms import Mosaic, RandomAffine
from hydrareg_zoo.mmdet.transforms.mix import CORNERS, tile_placement
from hydrareg_zoo.tasks import TASKS

BRIGHT = 120  # above the background (<= 112) and the pad (114); the shapes are >= 140
LOADING = [{"type": "LoadImageFromFile"}, {"type": "LoadAnnotations"}]


def loaded_scenes() -> ShapesDataset:
    return DATASETS.build({"type": "ShapesDataset", "_scope_": "mmdet", "pipeline": copy.deepcopy(LOADING)})


def bright(img: np.ndarray) -> np.ndarray:
    return img.max(axis=2) >= BRIGHT  # max: blurred edges of a shape still count


def tight_box_inside(mask: np.ndarray, box: np.ndarray, margin: int = 1) -> tuple[int, int, int, int] | None:
    """The box (pixel edges) of the bright pixels within ``box`` grown by ``margin``."""
    h, w = mask.shape
    x1, y1 = max(int(np.floor(box[0])) - margin, 0), max(int(np.floor(box[1])) - margin, 0)
    x2, y2 = min(int(np.ceil(box[2])) + margin, w), min(int(np.ceil(box[3])) + margin, h)
    ys, xs = np.nonzero(mask[y1:y2, x1:x2])
    if len(xs) == 0:
        return None
    return x1 + xs.min(), y1 + ys.min(), x1 + xs.max() + 1, y1 + ys.max() + 1


def assert_boxes_fit_objects(results: dict, tolerance: float = 2.0) -> None:
    """Every box frames bright pixels tightly (within ``tolerance`` px on each side)."""
    mask = bright(results["img"])
    h, w = mask.shape
    assert len(results["gt_bboxes"]) == len(results["gt_bboxes_labels"]) == len(results["gt_ignore_flags"])
    for box in results["gt_bboxes"]:
        found = tight_box_inside(mask, box)
        assert found is not None, f"no object under box {box}"
        if box[0] <= 0 or box[1] <= 0 or box[2] >= w or box[3] >= h:
            # clipped at the edge: the box of the whole shape, cut; the visible part lies inside it
            assert (
                found[0] >= box[0] - 1
                and found[1] >= box[1] - 1
                and found[2] <= box[2] + 1
                and found[3] <= box[3] + 1
            )
            continue
        assert np.allclose(found, box, atol=tolerance), f"box {box} vs object pixels {found}"


def mosaic_input(dataset: ShapesDataset, indices: list[int]) -> dict:
    results = dataset[indices[0]]
    results["mix_results"] = [dataset[i] for i in indices[1:]]
    return results


# ---------------------------------------------------------------------------- Mosaic


@pytest.mark.parametrize("centre", [(64, 64), (32, 80), (96, 40), (1, 127)])
@pytest.mark.parametrize("corner", CORNERS)
def test_tiles_touch_the_centre_and_stay_on_the_canvas(corner, centre):
    paste, crop = tile_placement(corner, centre, (70, 90), (128, 128))  # tile (h, w), canvas (h, w)
    assert paste[2] - paste[0] == crop[2] - crop[0] and paste[3] - paste[1] == crop[3] - crop[1]
    assert 0 <= paste[0] <= paste[2] <= 128 and 0 <= paste[1] <= paste[3] <= 128
    assert 0 <= crop[0] <= crop[2] <= 90 and 0 <= crop[1] <= crop[3] <= 70
    x = paste[2] if corner.endswith("left") else paste[0]
    y = paste[3] if corner.startswith("top") else paste[1]
    assert (x, y) == centre
    # the part kept is the part next to the centre: the tile is cut only at the canvas edges
    assert (crop[2] == 90) if corner.endswith("left") else (crop[0] == 0)
    assert (crop[3] == 70) if corner.startswith("top") else (crop[1] == 0)


@pytest.mark.parametrize("seed", range(6))
def test_mosaic_boxes_frame_the_objects_of_the_four_scenes(seed):
    dataset = loaded_scenes()
    mosaic = Mosaic(img_scale=(64, 64), seed=seed)
    indices = [seed % 10, *mosaic.get_indexes(dataset)]
    out = mosaic(mosaic_input(dataset, indices))
    assert out["img"].shape == (128, 128, 3) and out["img_shape"] == (128, 128)
    assert_boxes_fit_objects(out)
    # and no object is left without a box: bright pixels lie in some box
    covered = np.zeros(out["img"].shape[:2], dtype=bool)
    for x1, y1, x2, y2 in out["gt_bboxes"]:
        covered[max(int(y1) - 1, 0) : int(np.ceil(y2)) + 1, max(int(x1) - 1, 0) : int(np.ceil(x2)) + 1] = True
    assert not (bright(out["img"]) & ~covered).any()


def synthetic(boxes: list[list[float]], labels: list[int]) -> dict:
    img = np.full((64, 64, 3), 50, dtype=np.uint8)
    return {
        "img": img,
        "gt_bboxes": np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
        "gt_bboxes_labels": np.asarray(labels, dtype=np.int64),
        "gt_ignore_flags": np.zeros(len(labels), dtype=bool),
    }


def test_mosaic_clips_boxes_cut_by_the_canvas_and_drops_those_cut_off():
    # centre (32, 32): the top-left tile loses its left and top halves
    first = synthetic([[2, 2, 10, 10], [28, 28, 40, 40], [40, 40, 60, 50]], [0, 1, 2])
    # each tile keeps the quarter of its 64x64 image next to the centre
    rest = [synthetic([box], [k]) for box, k in (([5, 40, 9, 44], 3), ([40, 5, 44, 9], 4), ([5, 5, 9, 9], 5))]
    mosaic = Mosaic(img_scale=(64, 64), center_ratio_range=(0.5, 0.5), seed=0)
    out = mosaic({**first, "mix_results": rest})
    labels = out["gt_bboxes_labels"].tolist()
    assert labels == [1, 2, 3, 4, 5]  # label 0 lay in the part cut off
    boxes = out["gt_bboxes"].tolist()
    assert boxes[0] == [0, 0, 8, 8]  # (28, 28, 40, 40) moved by -32, clipped at the canvas edge
    assert boxes[1] == [8, 8, 28, 18]
    assert boxes[2] == [37, 8, 41, 12]  # top right: x + 32, y - 32
    assert boxes[3] == [8, 37, 12, 41] and boxes[4] == [37, 37, 41, 41]
    assert out["gt_ignore_flags"].shape == (5,)


def test_mosaic_without_clipping_keeps_boxes_that_leave_the_canvas_unclipped():
    first = synthetic([[28, 28, 40, 40]], [1])
    rest = [synthetic([], []) for _ in range(3)]
    out = Mosaic(img_scale=(64, 64), center_ratio_range=(0.5, 0.5), bbox_clip_border=False)(
        {**first, "mix_results": rest}
    )
    assert out["gt_bboxes"].tolist() == [[-4, -4, 8, 8]]


def test_mosaic_prob_zero_passes_the_sample_through():
    sample = synthetic([[1, 1, 5, 5]], [0])
    out = Mosaic(prob=0.0)(copy.deepcopy(sample))
    assert out["img"].shape == (64, 64, 3) and out["gt_bboxes"].tolist() == [[1, 1, 5, 5]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prob": 1.5}, "prob"),
        ({"img_scale": (64, 0)}, "img_scale"),
        ({"center_ratio_range": (1.5, 0.5)}, "center_ratio_range"),
    ],
)
def test_mosaic_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ConfigValueError, match=message):
        Mosaic(**kwargs)


def test_mosaic_needs_three_extra_samples():
    with pytest.raises(ValueError, match="3 mix_results"):
        Mosaic()({**synthetic([], []), "mix_results": []})


# ---------------------------------------------------------------------------- RandomAffine


@pytest.mark.parametrize("seed", range(6))
def test_affine_without_rotation_or_shear_moves_boxes_with_their_objects(seed):
    dataset = loaded_scenes()
    mosaic = Mosaic(img_scale=(64, 64), seed=seed)
    mixed = mosaic(mosaic_input(dataset, [seed, *mosaic.get_indexes(dataset)]))
    affine = RandomAffine(
        max_rotate_degree=0, max_shear_degree=0, scaling_ratio_range=(0.5, 1.5), border=(-32, -32), seed=seed
    )
    out = affine(mixed)
    assert out["img"].shape == (64, 64, 3) and out["img_shape"] == (64, 64)
    assert_boxes_fit_objects(out, tolerance=2.5)


@pytest.mark.parametrize("seed", range(4))
def test_rotated_boxes_contain_their_objects(seed):
    dataset = loaded_scenes()
    results = dataset[0]
    out = RandomAffine(max_rotate_degree=30, max_shear_degree=5, seed=seed)(results)
    mask = bright(out["img"])
    for box in out["gt_bboxes"]:
        assert tight_box_inside(mask, box, margin=0) is not None
    covered = np.zeros(mask.shape, dtype=bool)
    for x1, y1, x2, y2 in out["gt_bboxes"]:
        covered[max(int(y1) - 2, 0) : int(np.ceil(y2)) + 2, max(int(x1) - 2, 0) : int(np.ceil(x2)) + 2] = True
    inside = np.zeros(mask.shape, dtype=bool)
    inside[3:-3, 3:-3] = True  # slivers of objects cut at the border may lose their box
    assert not (mask & ~covered & inside).any()


def test_affine_drops_degenerate_and_mostly_cut_off_boxes():
    results = synthetic([[10, 10, 30, 30], [0, 0, 64, 1.5], [60, 60, 64, 64]], [0, 1, 2])
    affine = RandomAffine(
        max_rotate_degree=0,
        max_translate_ratio=0.0,
        scaling_ratio_range=(1, 1),
        max_shear_degree=0,
        border=(-8, -8),
    )
    out = affine(results)
    # output 48x48 centred: the first box moves by -8; the thin one is under min_bbox_size; the
    # corner one lies outside the output
    assert out["gt_bboxes"].tolist() == [[2, 2, 22, 22]] and out["gt_bboxes_labels"].tolist() == [0]


def test_affine_border_that_leaves_no_image_is_an_error():
    with pytest.raises(ValueError, match="border"):
        RandomAffine(border=(-40, 0))(synthetic([], []))


# ---------------------------------------------------------------------------- MultiImageMixDataset


class Samples:
    """A dataset of numbered samples whose pipeline drops the ones in ``dropped``."""

    def __init__(self, count: int, dropped=()):
        self.count, self.dropped, self.fetched = count, set(dropped), []

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        self.fetched.append(index)
        return None if index in self.dropped else {"index": index}


class Mix:
    """A mixing step that answers ``get_indexes`` from ``answers`` in turn and records its input."""

    def __init__(self, *answers):
        self.answers = list(answers)

    def get_indexes(self, dataset):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def __call__(self, results):
        results["mixed"] = [sample["index"] for sample in results["mix_results"]]
        return results


def test_wrapper_feeds_the_indices_the_step_asks_for_and_removes_them_after():
    wrapper = MultiImageMixDataset(Samples(5), [Mix([1, 2, 3])])
    out = wrapper[0]
    assert out == {"index": 0, "mixed": [1, 2, 3]}  # mix_results gone


def test_wrapper_refetches_extra_samples_the_inner_pipeline_dropped():
    inner = Samples(5, dropped={4})
    wrapper = MultiImageMixDataset(inner, [Mix([4, 1], [2, 3])])
    assert wrapper[0]["mixed"] == [2, 3]


def test_wrapper_gives_up_after_max_refetch():
    wrapper = MultiImageMixDataset(Samples(5, dropped={4}), [Mix(4)], max_refetch=3)
    with pytest.raises(RuntimeError, match="3 times"):
        wrapper[0]


def test_skip_type_keys_skips_steps_by_class_name_and_can_change():
    wrapper = MultiImageMixDataset(Samples(5), [Mix([1])], skip_type_keys=["Mix"])
    assert wrapper[0] == {"index": 0}
    wrapper.update_skip_type_keys(None)
    assert wrapper[0]["mixed"] == [1]


@pytest.mark.parametrize(
    ("kwargs", "error"), [({"max_refetch": 0}, "max_refetch"), ({"skip_type_keys": [3]}, "skip_type_keys")]
)
def test_wrapper_rejects_bad_arguments(kwargs, error):
    with pytest.raises(ConfigValueError, match=error):
        MultiImageMixDataset(Samples(2), [], **kwargs)


# ---------------------------------------------------------------------------- the config


def test_the_mosaic_option_replaces_the_dataset_and_shares_img_scale():
    cfg = compose_app("task=pipeline", "dataset=det_shapes_mosaic")
    dataset = OmegaConf.to_container(cfg.dataset, resolve=True)
    assert set(dataset) == {"_scope_", "type", "dataset", "pipeline"}  # _delete_ dropped det_shapes' keys
    assert dataset["type"] == "MultiImageMixDataset"
    assert [step["type"] for step in dataset["dataset"]["pipeline"]] == [
        "LoadImageFromFile",
        "LoadAnnotations",
    ]
    assert [step["type"] for step in dataset["pipeline"]] == [
        "Mosaic",
        "RandomAffine",
        "RandomFlip",
        "PackDetInputs",
    ]
    assert dataset["pipeline"][1]["border"] == [-32, -32]
    other = compose_app("task=pipeline", "dataset=det_shapes_mosaic", "dataset.pipeline.0.img_scale=[96,48]")
    assert OmegaConf.to_container(other.dataset.pipeline[1].border, resolve=True) == [-48, -24]


def test_the_pipeline_task_outputs_img_scale_samples_and_both_previews(tmp_path):
    cfg = compose_app("task=pipeline", "dataset=det_shapes_mosaic")
    figures = instantiate(cfg.task, registry=TASKS, cfg=cfg, output_dir=tmp_path)
    assert figures["dataset"] == "MultiImageMixDataset"
    assert figures["input_shapes"] == {"3x64x64": 10} and figures["dropped"] == 0
    for key in ("preview", "mix_preview"):
        with Image.open(figures[key]) as image:
            assert image.width > 128
    json.dumps(figures)


def test_the_wrapped_dataset_is_built_through_the_registry_from_its_config():
    cfg = compose_app("task=pipeline", "dataset=det_shapes_mosaic")
    dataset = instantiate(cfg.dataset, registry=DATASETS)
    assert isinstance(dataset, MultiImageMixDataset) and isinstance(dataset.dataset, ShapesDataset)
    assert len(dataset) == len(dataset.dataset) == 10
    sample = dataset[3]
    assert tuple(sample["inputs"].shape) == (3, 64, 64)
    boxes = sample["data_samples"]["gt_instances"]["bboxes"]
    assert ((boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])).all()
    assert (boxes >= 0).all() and (boxes <= 64).all()
