"""The ``pipeline`` task: run ``cfg.dataset``'s data pipeline over every sample and describe it."""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from hydrareg import instantiate
from hydrareg.errors import ConfigKeyError
from hydrareg.registry import DATASETS

from .registry import TASKS

log = logging.getLogger(__name__)


@TASKS.register_module(name="pipeline")
def pipeline(
    cfg: DictConfig,
    output_dir: Path,
    max_samples: int | None = None,
    preview: bool = True,
) -> dict[str, Any]:
    """Samples, boxes, box width, image shapes, flips; ``pipeline_preview.png`` with the boxes."""
    if cfg.get("dataset") is None:
        raise ConfigKeyError("the pipeline task needs a 'dataset' config", config_path="dataset")
    start = time.perf_counter()
    dataset = instantiate(cfg.dataset, registry=DATASETS)
    count = len(dataset) if max_samples is None else min(max_samples, len(dataset))
    samples = [dataset[index] for index in range(count)]
    kept = [sample for sample in samples if sample is not None]
    boxes = [s["data_samples"].get("gt_instances", {}).get("bboxes") for s in kept]
    widths = sorted({int(b.shape[1]) for b in boxes if b is not None})
    shapes = Counter("x".join(str(n) for n in s["inputs"].shape) for s in kept)
    flips = Counter(str(s["data_samples"]["metainfo"].get("flip_direction")) for s in kept)
    steps = [type(step).__name__ for step in getattr(dataset.pipeline, "transforms", ())]
    figures = {
        "dataset": type(dataset).__name__,
        "steps": " > ".join(steps),
        "samples": len(kept),
        "dropped": count - len(kept),
        "boxes": sum(len(b) for b in boxes if b is not None),
        "box_width": widths[0] if len(widths) == 1 else widths,
        "input_shapes": dict(sorted(shapes.items())),
        "flips": dict(sorted(flips.items())),
        "seconds": round(time.perf_counter() - start, 3),
    }
    if preview and kept:
        figures["preview"] = str(save_preview(kept, Path(output_dir) / "pipeline_preview.png"))
        mixed = mix_samples(dataset, count)
        if mixed:
            figures["mix_preview"] = str(save_preview(mixed, Path(output_dir) / "mix_preview.png"))
    log.info(
        "pipeline of %s:\n%s", figures["dataset"], "\n".join(f"{k + ':':<14}{v}" for k, v in figures.items())
    )
    return figures


def mix_samples(dataset: Any, count: int) -> list[dict[str, Any]]:
    """For a mixing dataset (Mosaic): samples as they leave the last mixing step, still packed.

    The steps between the last one with ``get_indexes`` and the final packing step are skipped
    for these samples, so the preview shows the mosaics themselves. Empty for other datasets.
    """
    steps = list(getattr(getattr(dataset, "pipeline", None), "transforms", ()))
    mixing = [index for index, step in enumerate(steps) if hasattr(step, "get_indexes")]
    if not mixing or not hasattr(dataset, "update_skip_type_keys"):
        return []
    before = dataset.skip_type_keys
    dataset.update_skip_type_keys([type(step).__name__ for step in steps[mixing[-1] + 1 : -1]])
    try:
        return [
            sample for sample in (dataset[index] for index in range(min(count, 10))) if sample is not None
        ]
    finally:
        dataset.update_skip_type_keys(before)


def save_preview(samples: list[dict[str, Any]], path: Path, zoom: int = 2) -> Path:
    """A grid of the packed images (up to 10) with their boxes drawn, rotated ones as polygons."""
    import numpy as np
    from PIL import Image, ImageDraw

    tiles = []
    for sample in samples[:10]:
        img = sample["inputs"].permute(1, 2, 0).numpy().astype(np.uint8)
        tile = Image.fromarray(img if img.shape[2] == 3 else img[..., 0]).convert("RGB")
        tile = tile.resize((tile.width * zoom, tile.height * zoom), Image.Resampling.NEAREST)
        draw = ImageDraw.Draw(tile)
        for box in sample["data_samples"].get("gt_instances", {}).get("bboxes", []):
            draw.polygon([(x * zoom, y * zoom) for x, y in corners(box.tolist())], outline=(255, 0, 0))
        tiles.append(tile)
    cell = max(max(t.width, t.height) for t in tiles) + 4
    columns = min(5, len(tiles))
    sheet = Image.new("RGB", (columns * cell, -(-len(tiles) // columns) * cell), (255, 255, 255))
    for index, tile in enumerate(tiles):
        sheet.paste(tile, ((index % columns) * cell + 2, (index // columns) * cell + 2))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path


def corners(box: list[float]) -> list[tuple[float, float]]:
    """The four corners of an xyxy box or a (cx, cy, w, h, angle) rotated box."""
    import math

    if len(box) == 4:
        x1, y1, x2, y2 = box
        return [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
    cx, cy, w, h, angle = box
    cos, sin = math.cos(angle), math.sin(angle)
    return [
        (cx + dx * cos - dy * sin, cy + dx * sin + dy * cos)
        for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2))
    ]
