"""The ``train_det`` task: train ``cfg.model`` (a detector) on ``cfg.dataset`` for a few epochs.

It shows MMDetection's YOLOX recipe end to end on the demo scenes: the Mosaic pipeline of
``dataset=det_shapes_mosaic`` (a ``MultiImageMixDataset`` built through the registry) feeds the
YOLOX detector, the optimizer comes from ``OPTIMIZERS``. It reports the loss of the first and the
last epoch, so a run says whether the detector learns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from hydrareg import instantiate
from hydrareg.errors import ConfigKeyError
from hydrareg.registry import DATASETS

from .arguments import require_positive_ints
from .registry import TASKS

log = logging.getLogger(__name__)


@TASKS.register_module(name="train_det")
def train_det(
    cfg: DictConfig,
    output_dir: Path,
    optim: Mapping[str, Any],
    epochs: int = 10,
    batch_size: int = 5,
    seed: int = 0,
    progress: bool = True,
    num_threads: int | None = 1,
) -> dict[str, Any]:
    """Train the detector; returns the first and last epoch's loss, samples and epochs."""
    import torch
    from torch.utils.data import DataLoader

    from hydrareg_zoo.engine import Runner, torch_threads

    require_positive_ints(epochs=epochs, batch_size=batch_size)
    for key in ("model", "dataset"):
        if cfg.get(key) is None:
            raise ConfigKeyError(f"the train_det task needs a {key!r} config", config_path=key)
    with torch_threads(num_threads):
        torch.manual_seed(seed)
        model = instantiate(cfg.model)
        dataset = instantiate(cfg.dataset, registry=DATASETS)
        loader = DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=True,
            collate_fn=collate_detection,
            generator=torch.Generator().manual_seed(seed),
        )
        runner = Runner(
            model, loader, optim, max_epochs=epochs, compute_loss=_detection_loss, progress=progress
        )
        history = runner.train()
    losses = [round(record["loss"], 4) for record in history]
    log.info("train_det: loss %s (first epoch) -> %s (last)", losses[0], losses[-1])
    return {"first_loss": losses[0], "last_loss": losses[-1], "losses": losses, "samples": len(dataset)}


def _detection_loss(model: Any, batch: tuple[Any, list[Any], list[Any]]) -> Mapping[str, Any]:
    return model.loss(*batch)


def collate_detection(samples: list[dict[str, Any]]) -> tuple[Any, list[Any], list[Any]]:
    """Packed samples -> (images in [0, 1] as one batch, boxes per image, labels per image)."""
    import torch

    images = torch.stack([sample["inputs"].float().div(255.0) for sample in samples])
    instances = [sample["data_samples"].get("gt_instances", {}) for sample in samples]
    boxes = [item.get("bboxes", torch.zeros(0, 4)) for item in instances]
    labels = [item.get("labels", torch.zeros(0, dtype=torch.long)) for item in instances]
    return images, boxes, labels
