"""The ``train`` task: train ``cfg.model`` (a classifier) on ``cfg.dataset``, report test accuracy.

The model and the two dataset splits are built with ``hydrareg.instantiate``; the optimizer
(``cfg.optim``), scheduler (``cfg.schedule``) and ``custom_hooks`` through the registries by
:class:`hydrareg_zoo.engine.Runner`. The trained weights are saved as ``checkpoint.pth``
(``{'state_dict', 'meta'}``), which a detector's backbone can load with
``init_cfg: {type: Pretrained, checkpoint: <path>, prefix: backbone.}``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

from hydrareg import instantiate
from hydrareg.errors import ConfigKeyError, ConfigValueError
from hydrareg.registry import DATASETS, MODELS

from .arguments import require_positive_ints
from .registry import TASKS

if TYPE_CHECKING:  # distributed.py imports the engine, and torch: a TASKS lookup imports this module
    from .distributed import Rank

log = logging.getLogger(__name__)


@TASKS.register_module(name="train")
def train(
    cfg: DictConfig,
    output_dir: Path,
    epochs: int = 5,
    batch_size: int = 32,
    seed: int = 0,
    custom_hooks: Sequence[Any] = (),
    progress: bool = True,
    checkpoint: str = "checkpoint.pth",
    clip_grad_norm: float | None = None,
    num_threads: int | None = 1,
) -> dict[str, Any]:
    """Train, evaluate, save; returns accuracy, loss, epochs, checkpoint, seconds and params."""
    from hydrareg_zoo.engine import torch_threads

    from .distributed import distributed_training

    require_positive_ints(epochs=epochs, batch_size=batch_size)

    with torch_threads(num_threads), distributed_training() as rank:  # several ranks under torchrun
        return _train(
            cfg,
            Path(output_dir),
            epochs,
            batch_size,
            seed,
            custom_hooks,
            progress,
            checkpoint,
            clip_grad_norm,
            rank,
        )


def _train(
    cfg: DictConfig,
    output_dir: Path,
    epochs: int,
    batch_size: int,
    seed: int,
    custom_hooks: Sequence[Any],
    progress: bool,
    checkpoint: str,
    clip_grad_norm: float | None,
    rank: Rank,
) -> dict[str, Any]:
    import torch
    from torch.utils.data import DataLoader

    from hydrareg_zoo.engine import Runner, save_checkpoint

    from .distributed import training_loader

    start = time.perf_counter()
    for key in ("model", "dataset", "optim"):
        if cfg.get(key) is None:
            raise ConfigKeyError(f"the train task needs a {key!r} config", config_path=key)
    torch.manual_seed(seed)
    model = instantiate(cfg.model, registry=MODELS)
    if hasattr(model, "init_weights"):
        model.init_weights()
    train_set = instantiate(cfg.dataset, registry=DATASETS, split="train")
    test_set = instantiate(cfg.dataset, registry=DATASETS, split="test")
    train_loader, rank_hooks = training_loader(train_set, batch_size, seed, rank)
    test_loader = DataLoader(test_set, batch_size=256)
    check_classifier(model, test_set, cfg)
    runner = Runner(
        model,
        train_loader,
        cfg.optim,
        max_epochs=epochs,
        param_scheduler=cfg.get("schedule"),
        custom_hooks=[*custom_hooks, *rank_hooks],
        test_dataloader=test_loader,
        clip_grad_norm=clip_grad_norm,
        progress=progress and rank.rank == 0,
    )
    history = runner.train()
    final = history[-1]
    meta = {
        "epoch": epochs,
        "accuracy": final["accuracy"],
        "classes": list(getattr(train_set, "metainfo", {}).get("classes", ())),
        "model": OmegaConf.to_container(cfg.model, resolve=True),
    }
    path = output_dir / checkpoint
    if rank.rank == 0:  # the other ranks hold the same model
        save_checkpoint(model, path, meta)
        (output_dir / "history.json").write_text(json.dumps(history, indent=1) + "\n")
    figures = {
        "accuracy": round(final["accuracy"], 4),
        "loss": round(final["loss"], 4),
        "epochs": epochs,
        "checkpoint": str(path),
        "seconds": round(time.perf_counter() - start, 2),
        "params": sum(p.numel() for p in model.parameters()),
    }
    log.info(
        "trained: accuracy %.4f, loss %.4f; checkpoint saved to %s", final["accuracy"], final["loss"], path
    )
    return figures


def check_classifier(model: Any, dataset: Any, cfg: DictConfig) -> None:
    """A clear error when ``cfg.model`` is no classifier for this dataset (a detector, say)."""
    import torch

    classes = len(getattr(dataset, "metainfo", {}).get("classes", ())) or None
    kind = OmegaConf.select(cfg, "model.type", default=type(model).__name__)
    if not all(callable(getattr(model, name, None)) for name in ("loss", "predict")):
        raise ConfigValueError(
            f"the train task trains classifiers (loss(inputs, labels), predict(inputs)); "
            f"{kind} is not one: try model=image_classifier",
            config_path="model",
        )
    inputs, _ = dataset[0]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(inputs[None])
    model.train(was_training)
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
        raise ConfigValueError(
            f"the train task trains classifiers, but {kind} does not return [batch, classes] "
            f"logits: try model=image_classifier",
            config_path="model",
        )
    if classes is not None and logits.shape[1] != classes:
        raise ConfigValueError(
            f"{kind} predicts {logits.shape[1]} classes, the dataset has {classes}: "
            f"set model.head.num_classes={classes}",
            config_path="model.head.num_classes",
        )
