"""The ``track`` task: train (or load) the tracker's detector, then track a synthetic video.

An untrained detector finds nothing, so unless ``checkpoint`` names a saved detector, the
detector is first trained briefly on frames of other videos from the same generator (other
seeds, 1-5 objects each). Then ``cfg.model`` (e.g. ``mmtrack.ByteTrack``) tracks the
evaluation video, and the tracks are scored against the ground truth: ID switches, the
fraction of ground-truth tracks recovered, MOTA, precision and recall.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from hydrareg import instantiate
from hydrareg.configdict import to_config_tree
from hydrareg.errors import ConfigValueError
from hydrareg.registry import MODELS

from .registry import TASKS

log = logging.getLogger(__name__)

VIDEO = {"num_frames": 20, "size": 64, "num_objects": 4, "seed": 0}
TRAIN = {
    "videos": 12,
    "max_objects": 5,
    "epochs": 8,
    "batch_size": 16,
    "optim": {"type": "AdamW", "lr": 0.004, "weight_decay": 0.0005},
    "clip_grad_norm": 10.0,
}


@TASKS.register_module(name="track")
def track(
    cfg: DictConfig,
    output_dir: Path,
    video: Mapping[str, Any] | None = None,
    train: Mapping[str, Any] | None = None,
    checkpoint: str | None = None,
    seed: int = 0,
    progress: bool = True,
    preview: bool = True,
    num_threads: int | None = None,
) -> dict[str, Any]:
    """Train or load the detector, track the video, return the tracking figures."""
    from hydrareg_zoo.engine import torch_threads

    with torch_threads(num_threads):
        return _track(cfg, Path(output_dir), video, train, checkpoint, seed, progress, preview)


def _track(
    cfg: DictConfig,
    output_dir: Path,
    video: Mapping[str, Any] | None,
    train: Mapping[str, Any] | None,
    checkpoint: str | None,
    seed: int,
    progress: bool,
    preview: bool,
) -> dict[str, Any]:
    import torch

    from hydrareg_zoo.mmtrack.datasets import make_video

    start = time.perf_counter()
    video_cfg = {**VIDEO, **_plain(video)}
    train_cfg = {**TRAIN, **_plain(train)}
    torch.manual_seed(seed)
    model = instantiate(cfg.model, registry=MODELS)
    _check_tracker(model, cfg)
    model.init_weights()
    if checkpoint:
        load_detector(model, checkpoint)
        figures: dict[str, Any] = {"detector_checkpoint": str(checkpoint)}
    else:
        figures = _train_and_save(model, output_dir, video_cfg, train_cfg, seed, progress)
    test_video = make_video(**video_cfg)
    t0 = time.perf_counter()
    outputs = model.track_video(frames_to_tensor(test_video.frames))
    figures["track_fps"] = round(len(test_video) / (time.perf_counter() - t0), 1)
    figures.update(_scores(test_video, outputs))
    figures["seconds"] = round(time.perf_counter() - start, 2)
    _write_tracks(output_dir / "tracks.json", outputs)
    if preview:
        figures["preview"] = str(
            save_preview(test_video.frames, outputs, output_dir / "tracking_preview.png")
        )
    log.info("tracking:\n%s", "\n".join(f"{key + ':':<20}{value}" for key, value in figures.items()))
    return figures


def _train_and_save(
    model: Any,
    output_dir: Path,
    video_cfg: Mapping[str, Any],
    train_cfg: Mapping[str, Any],
    seed: int,
    progress: bool,
) -> dict[str, Any]:
    """Train the detector, save it as detector.pth; the training figures."""
    from hydrareg_zoo.engine import save_checkpoint

    start = time.perf_counter()
    history = train_detector(model, video_cfg, train_cfg, seed, progress)
    seconds = time.perf_counter() - start
    meta = {"train": dict(train_cfg), "video": dict(video_cfg)}
    path = save_checkpoint(model.detector, output_dir / "detector.pth", meta)
    return {
        "train_seconds": round(seconds, 2),
        "train_loss": round(history[-1]["loss"], 4),
        "detector_checkpoint": str(path),
    }


def _scores(video: Any, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """The tracking metrics against the video's ground truth, floats rounded for the tables."""
    from hydrareg_zoo.mmtrack.evaluation import track_metrics

    metrics = track_metrics(
        video.ids, video.boxes, [o["ids"] for o in outputs], [o["bboxes"] for o in outputs]
    )
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}


def train_detector(
    model: Any,
    video_cfg: Mapping[str, Any],
    train_cfg: Mapping[str, Any],
    seed: int,
    progress: bool,
) -> list[dict[str, Any]]:
    """Train ``model.detector`` on frames of ``train_cfg['videos']`` other synthetic videos."""
    import numpy as np
    import torch
    from torch.utils.data import DataLoader

    from hydrareg_zoo.engine import Runner
    from hydrareg_zoo.mmtrack.datasets import make_video

    rng = np.random.default_rng(seed + 1)
    frames, boxes, labels = [], [], []
    for k in range(int(train_cfg["videos"])):
        count = int(rng.integers(1, int(train_cfg["max_objects"]) + 1))
        clip = make_video(
            num_frames=video_cfg["num_frames"],
            size=video_cfg["size"],
            num_objects=count,
            seed=video_cfg["seed"] + 1000 + k,
        )
        frames.append(frames_to_tensor(clip.frames))
        boxes += [torch.from_numpy(b) for b in clip.boxes]
        labels += [torch.from_numpy(lab) for lab in clip.labels]
    images = torch.cat(frames)
    dataset = list(zip(images, boxes, labels, strict=True))
    loader = DataLoader(
        dataset,
        batch_size=int(train_cfg["batch_size"]),
        shuffle=True,
        collate_fn=_collate,
        generator=torch.Generator().manual_seed(seed),
    )
    runner = Runner(
        model,
        loader,
        train_cfg["optim"],
        max_epochs=int(train_cfg["epochs"]),
        param_scheduler={"type": "CosineAnnealingLR", "T_max": int(train_cfg["epochs"])},
        compute_loss=lambda net, batch: net.loss(*batch),
        clip_grad_norm=train_cfg.get("clip_grad_norm"),
        progress=progress,
    )
    return runner.train()


def _collate(batch: list[tuple[Any, Any, Any]]) -> tuple[Any, list[Any], list[Any]]:
    import torch

    images, boxes, labels = zip(*batch, strict=True)
    return torch.stack(images), list(boxes), list(labels)


def frames_to_tensor(frames: Any) -> Any:
    """[T, H, W, 3] uint8 frames -> Tensor[T, 3, H, W] float in [0, 1]."""
    import torch

    return torch.from_numpy(frames).permute(0, 3, 1, 2).float().div(255.0)


def load_detector(model: Any, path: str | Path) -> None:
    """Load a detector checkpoint (as this task saves it, or a whole tracker's: ``detector.*``)."""
    import torch

    from hydrareg_zoo.engine import load_checkpoint

    state = torch.load(path, map_location="cpu", weights_only=True)
    keys = state.get("state_dict", state)
    prefix = "detector." if keys and all(k.startswith("detector.") for k in keys) else None
    load_checkpoint(model.detector, path, prefix=prefix)


def _check_tracker(model: Any, cfg: DictConfig) -> None:
    if not (callable(getattr(model, "track_video", None)) and hasattr(model, "detector")):
        kind = OmegaConf.select(cfg, "model.type", default=type(model).__name__)
        raise ConfigValueError(
            f"the track task needs a tracking model with a detector, got {kind}: try model=bytetrack_yolox",
            config_path="model",
        )


def _plain(value: Any) -> dict[str, Any]:
    return {} if value is None else dict(to_config_tree(value, None).to_dict())


def _write_tracks(path: Path, outputs: list[dict[str, Any]]) -> None:
    frames = [
        [
            {"id": int(i), "bbox": [round(float(v), 2) for v in box], "score": round(float(s), 3)}
            for i, box, s in zip(out["ids"], out["bboxes"], out["scores"], strict=True)
        ]
        for out in outputs
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(frames) + "\n")


def save_preview(frames: Any, outputs: list[dict[str, Any]], path: Path, zoom: int = 3) -> Path:
    """Every fourth frame, enlarged, with each track's box and id in a colour of its own."""
    from PIL import Image, ImageDraw

    palette = [
        (255, 64, 64),
        (64, 255, 64),
        (64, 128, 255),
        (255, 255, 64),
        (255, 64, 255),
        (64, 255, 255),
        (255, 160, 64),
        (160, 64, 255),
    ]
    picked = list(range(0, len(frames), 4))
    size = frames.shape[1] * zoom
    sheet = Image.new("RGB", (len(picked) * (size + 4), size), (255, 255, 255))
    for slot, index in enumerate(picked):
        tile = Image.fromarray(frames[index]).resize((size, size), Image.Resampling.NEAREST)
        draw = ImageDraw.Draw(tile)
        out = outputs[index]
        for track_id, box in zip(out["ids"], out["bboxes"], strict=True):
            colour = palette[int(track_id) % len(palette)]
            draw.rectangle([float(v) * zoom for v in box], outline=colour)
            draw.text((float(box[0]) * zoom + 2, float(box[1]) * zoom + 1), str(track_id), fill=colour)
        draw.text((2, 2), f"frame {index}", fill=(255, 255, 255))
        sheet.paste(tile, (slot * (size + 4), 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path
