"""mmtrack: ByteTracker association on synthetic detections, the synthetic video, the metrics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir

from hydrareg import instantiate
from hydrareg.errors import ConfigValueError
from hydrareg.registry import MODELS
from hydrareg_zoo.engine import torch_threads
from hydrareg_zoo.mmtrack.boxes import bbox_iou, greedy_match
from hydrareg_zoo.mmtrack.datasets import make_video
from hydrareg_zoo.mmtrack.evaluation import track_metrics
from hydrareg_zoo.mmtrack.models import ByteTrack, ByteTracker
from hydrareg_zoo.tasks import TASKS


def moving_boxes(num_frames: int, starts, velocities, side: float = 10.0):
    """Per frame, an [N, 4] array of boxes moving at constant velocity."""
    starts, velocities = np.asarray(starts, float), np.asarray(velocities, float)
    return [
        np.concatenate([starts + f * velocities, starts + f * velocities + side], axis=1)
        for f in range(num_frames)
    ]


def run(tracker: ByteTracker, frames_boxes, frames_scores=None):
    outs = []
    for frame_id, boxes in enumerate(frames_boxes):
        scores = np.full(len(boxes), 0.9) if frames_scores is None else frames_scores[frame_id]
        outs.append(tracker.update(boxes, scores, None, frame_id))
    return outs


def ids_per_object(outs, frames_boxes):
    """For each object index, the set of track ids whose box equals it (identity check)."""
    seen: dict[int, set[int]] = {}
    for out, boxes in zip(outs, frames_boxes, strict=True):
        for track_id, box in zip(out["ids"], out["bboxes"], strict=True):
            k = int(np.argmax(bbox_iou(box[None], boxes)[0]))
            seen.setdefault(k, set()).add(int(track_id))
    return seen


# ------------------------------------------------------------------ helpers


def test_iou_and_greedy_match_by_hand():
    a = np.array([[0, 0, 10, 10], [20, 20, 30, 30]])
    b = np.array([[5, 0, 15, 10], [0, 0, 10, 10], [100, 100, 101, 101]])
    iou = bbox_iou(a, b)
    assert iou.shape == (2, 3)
    assert iou[0].tolist() == pytest.approx([50 / 150, 1.0, 0.0])
    assert iou[1].tolist() == [0.0, 0.0, 0.0]
    assert greedy_match(iou, 0.1) == [(0, 1)]
    scores = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert greedy_match(scores, 0.5) == [(0, 0)]  # best first; row 1's only option is taken
    assert greedy_match(np.zeros((0, 3)), 0.1) == []


# ------------------------------------------------------------------ association


def test_well_separated_moving_boxes_keep_their_ids():
    frames = moving_boxes(20, starts=[[2, 2], [40, 5], [5, 45]], velocities=[[2, 0.5], [-1, 1.5], [1.5, -1]])
    outs = run(ByteTracker(), frames)
    assert all(len(out["ids"]) == 3 for out in outs)  # confirmed from frame 0 on
    seen = ids_per_object(outs, frames)
    assert sorted(seen) == [0, 1, 2] and all(len(ids) == 1 for ids in seen.values())
    assert len(set().union(*seen.values())) == 3


def test_low_score_detections_keep_a_track_alive():
    """ByteTrack's second stage: a dimmed detection (0.1 <= score < 0.6) continues its track."""
    frames = moving_boxes(10, starts=[[5, 5]], velocities=[[2, 1]])
    scores = [np.array([0.9 if f not in (4, 5, 6) else 0.3]) for f in range(10)]
    outs = run(ByteTracker(), frames, scores)
    assert [out["ids"].tolist() for out in outs] == [[0]] * 10
    assert outs[5]["scores"][0] == pytest.approx(0.3)


def test_low_score_detections_never_start_tracks():
    frames = moving_boxes(6, starts=[[5, 5]], velocities=[[1, 0]])
    outs = run(ByteTracker(), frames, [np.array([0.3])] * 6)
    assert all(len(out["ids"]) == 0 for out in outs)


def test_constant_velocity_bridges_a_gap():
    """Missed for three frames while moving 4 px/frame on a 10 px box: the prediction re-finds it."""
    frames = moving_boxes(12, starts=[[2, 20]], velocities=[[4, 0]])
    gapped = [boxes if f not in (4, 5, 6) else boxes[:0] for f, boxes in enumerate(frames)]
    outs = run(ByteTracker(), gapped)
    assert [len(out["ids"]) for out in outs] == [1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1]
    assert {int(i) for out in outs for i in out["ids"]} == {0}
    # without motion the last box (x 14..24) and the new one (x 30..40) do not even overlap
    assert bbox_iou(frames[3], frames[7])[0, 0] == 0


def test_new_objects_are_tentative_then_confirmed():
    frames = moving_boxes(8, starts=[[2, 2], [40, 40]], velocities=[[1, 0], [0, -1]])
    late = [boxes if f >= 2 else boxes[:1] for f, boxes in enumerate(frames)]  # object 1 from f2
    outs = run(ByteTracker(num_tentatives=3), late)
    counts = [len(out["ids"]) for out in outs]
    assert counts == [1, 1, 1, 1, 2, 2, 2, 2]  # seen at 2, 3, 4: confirmed (and shown) at 4
    assert outs[4]["ids"].tolist() == [0, 1]


def test_a_one_frame_blip_dies_tentative():
    frames = moving_boxes(6, starts=[[2, 2]], velocities=[[1, 0]])
    blip = [np.concatenate([b, [[40, 40, 50, 50]]]) if f == 2 else b for f, b in enumerate(frames)]
    tracker = ByteTracker()
    outs = run(tracker, blip)
    assert all(out["ids"].tolist() == [0] for out in outs)
    assert [t.id for t in tracker.tracks] == [0]


def test_lost_tracks_are_dropped_after_num_frames_retain():
    frames = moving_boxes(12, starts=[[20, 20]], velocities=[[0, 0]])
    gone = [boxes if f < 3 or f >= 9 else boxes[:0] for f, boxes in enumerate(frames)]
    kept = run(ByteTracker(num_frames_retain=10), gone)
    assert kept[9]["ids"].tolist() == [0]
    dropped = run(ByteTracker(num_frames_retain=3), gone)
    assert len(dropped[9]["ids"]) == 0  # a new, tentative track instead
    assert dropped[11]["ids"].tolist() == [1]


def test_frame_zero_resets_and_bad_arguments():
    tracker = ByteTracker()
    frames = moving_boxes(3, starts=[[2, 2]], velocities=[[1, 0]])
    run(tracker, frames)
    assert run(tracker, frames)[0]["ids"].tolist() == [0]  # ids start again for a new video
    with pytest.raises(ValueError, match="2 boxes, 1 scores"):
        tracker.update(np.zeros((2, 4)), np.ones(1), None, 1)
    with pytest.raises(ConfigValueError, match="low must be <= high"):
        ByteTracker(obj_score_thrs={"high": 0.2, "low": 0.5})
    with pytest.raises(ConfigValueError, match="tentative"):
        ByteTracker(match_iou_thrs={"high": 0.1, "low": 0.5})


def test_tracker_is_built_through_mmtrack_models():
    tracker = MODELS.build({"type": "mmtrack.ByteTracker", "init_track_thr": 0.8})
    assert isinstance(tracker, ByteTracker) and tracker.init_track_thr == 0.8


# ------------------------------------------------------------------ synthetic video and metrics


def test_synthetic_video_is_deterministic_and_truthful():
    video = make_video(num_frames=12, size=64, num_objects=3, seed=5)
    again = make_video(num_frames=12, size=64, num_objects=3, seed=5)
    assert np.array_equal(video.frames, again.frames)
    assert video.frames.shape == (12, 64, 64, 3) and video.frames.dtype == np.uint8
    assert not np.array_equal(video.frames, make_video(num_frames=12, seed=6).frames)
    moved = 0
    for frame, boxes, ids in zip(video.frames, video.boxes, video.ids, strict=True):
        assert boxes.shape == (len(ids), 4)
        assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= 64).all()
        for x0, y0, x1, y1 in boxes.astype(int):
            patch = frame[y0:y1, x0:x1].reshape(-1, 3).astype(int)
            # mostly one bright colour (the object), unlike the dark noisy background
            assert np.median(patch.sum(axis=1)) >= 450
    for k in range(3):
        first = [b[list(i).index(k)] for b, i in zip(video.boxes, video.ids, strict=True) if k in i]
        moved += not np.allclose(first[0], first[-1])
    assert moved == 3


def test_metrics_by_hand():
    gt_ids = [np.array([0, 1])] * 4
    gt_boxes = [np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float)] * 4
    # object 0 keeps id 7; object 1 is id 8, then 9 (a switch), then missed, then 9 again
    pred_ids = [np.array([7, 8]), np.array([7, 9]), np.array([7]), np.array([7, 9, 5])]
    pred_boxes = [
        gt_boxes[0],
        gt_boxes[0],
        gt_boxes[0][:1],
        np.array([[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]], float),
    ]
    m = track_metrics(gt_ids, gt_boxes, pred_ids, pred_boxes)
    assert m["id_switches"] == 1
    assert m["recall"] == pytest.approx(7 / 8) and m["precision"] == pytest.approx(7 / 8)
    assert m["mota"] == pytest.approx(1 - (1 + 1 + 1) / 8)
    assert m["recovered"] == 0.5  # object 1's best id (9) covers 2 of its 4 frames
    assert m["gt_tracks"] == 2 and m["pred_tracks"] == 4
    with pytest.raises(ValueError, match="same frames"):
        track_metrics(gt_ids, gt_boxes, pred_ids[:2], pred_boxes[:2])


def test_tracker_on_the_video_with_perfect_detections():
    video = make_video(num_frames=20, num_objects=4, seed=0)
    outs = run(ByteTracker(), video.boxes)
    m = track_metrics(video.ids, video.boxes, [o["ids"] for o in outs], [o["bboxes"] for o in outs])
    assert m["id_switches"] == 0 and m["recovered"] == 1.0 and m["precision"] == 1.0


# ------------------------------------------------------------------ the ByteTrack model and task

CONF = Path(__file__).resolve().parents[1] / "conf"


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """These tiny models run about as fast on one thread, and far faster on a busy machine."""
    with torch_threads(1):
        yield


def compose_app(*overrides: str):
    """conf/config.yaml composed as run.py would, with these command-line overrides."""
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def run_task(cfg, output_dir: Path):
    """What run.py does with a composed config (without Hydra's output dir)."""
    return instantiate(cfg.task, registry=TASKS, cfg=cfg, output_dir=output_dir)


def test_track_task_selects_the_tracker_model():
    cfg = compose_app("task=track")
    assert cfg.model.type == "ByteTrack" and cfg.model._scope_ == "mmtrack"
    assert cfg.model.detector._scope_ == "mmdet" and cfg.model.detector.type == "YOLOX"
    assert list(cfg.model.detector.neck.in_channels) == [16, 32, 64]
    prefixed = compose_app("task=track", "model=bytetrack_yolox_prefixed")
    assert prefixed.model.detector.backbone.type == "mmdet.CSPDarknet"
    assert list(prefixed.model.detector.neck.in_channels) == [16, 32, 64]


def test_scoped_and_prefixed_configs_build_the_same_model():
    models = []
    for name in ("bytetrack_yolox", "bytetrack_yolox_prefixed"):
        torch.manual_seed(0)
        model = instantiate(compose_app("task=track", f"model={name}").model, registry=MODELS)
        model.init_weights()
        models.append(model)
    scoped, prefixed = models
    assert isinstance(scoped, ByteTrack) and isinstance(scoped.tracker, ByteTracker)
    assert type(scoped.detector).__name__ == "YOLOX"
    assert [type(m) for m in scoped.modules()] == [type(m) for m in prefixed.modules()]
    state, other = scoped.state_dict(), prefixed.state_dict()
    assert list(state) == list(other)
    assert all(torch.equal(state[key], other[key]) for key in state)
    assert vars(scoped.tracker).keys() == vars(prefixed.tracker).keys()
    frames = torch.rand(2, 3, 64, 64)
    scoped.eval()
    prefixed.eval()
    with torch.no_grad():
        for a, b in zip(flatten(scoped(frames)), flatten(prefixed(frames)), strict=True):
            assert torch.equal(a, b)


def flatten(value):
    if isinstance(value, torch.Tensor):
        return [value]
    return [t for item in value for t in flatten(item)]


def test_bytetrack_tracks_frames_through_its_detector():
    torch.manual_seed(0)
    model = instantiate(compose_app("task=track").model, registry=MODELS)
    model.init_weights()
    video = make_video(num_frames=3, seed=0)
    frames = torch.from_numpy(video.frames).permute(0, 3, 1, 2).float() / 255
    outs = model.track_video(frames)
    assert len(outs) == 3
    for out in outs:
        assert set(out) == {"ids", "bboxes", "scores", "labels"}
        assert out["bboxes"].shape == (len(out["ids"]), 4)
    losses = model.loss(
        frames[:2],
        [torch.from_numpy(b) for b in video.boxes[:2]],
        [torch.from_numpy(lab) for lab in video.labels[:2]],
    )
    assert all(torch.isfinite(v).all() for v in losses.values() if isinstance(v, torch.Tensor))


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """`python run.py task=track`: ~10 s of detector training, then tracking the video."""
    output_dir = tmp_path_factory.mktemp("track")
    with torch_threads(1):
        return output_dir, run_task(compose_app("task=track", "task.progress=false"), output_dir)


def test_track_task_tracks_the_video_after_brief_training(trained_run):
    output_dir, figures = trained_run
    assert figures["gt_tracks"] == 4
    # measured (1 thread, seed 0): 1 switch, 4/4 recovered, MOTA 0.875, precision 0.93, recall
    # 0.96; other seeds 0-2 switches, 3-4 of 4 recovered. An untrained detector finds nothing.
    assert figures["id_switches"] <= 2
    assert figures["recovered"] >= 0.75 and figures["mota"] >= 0.6
    assert figures["recall"] >= 0.8 and figures["precision"] >= 0.7
    tracks = json.loads((output_dir / "tracks.json").read_text())
    assert len(tracks) == 20 and all({"id", "bbox", "score"} <= set(t) for f in tracks for t in f)
    assert (output_dir / "tracking_preview.png").is_file()


def test_track_task_reuses_a_saved_detector(trained_run, tmp_path):
    _, first = trained_run
    cfg = compose_app("task=track", f"task.checkpoint={first['detector_checkpoint']}", "task.preview=false")
    again = run_task(cfg, tmp_path)
    assert "train_seconds" not in again
    for key in ("id_switches", "recovered", "mota", "precision", "recall", "pred_tracks"):
        assert again[key] == first[key]


def test_track_task_needs_a_tracker(tmp_path):
    cfg = compose_app("task=track", "model=yolox")
    with pytest.raises(ConfigValueError) as info:
        run_task(cfg, tmp_path)
    assert "model=bytetrack_yolox" in str(info.value) and "config path: model" in str(info.value)
