"""A small epoch-based runner: optimizer and scheduler from the registries, hooks, progress, eval.

It plays the part of MMEngine's Runner for the demo tasks: the optimizer is built with
``OPTIMIZERS.build(cfg, default_args={'params': model.parameters()})``, the scheduler with
``PARAM_SCHEDULERS.build(cfg, default_args={'optimizer': optimizer})`` (stepped once per epoch,
or per iteration with ``by_epoch: false``) and ``custom_hooks`` through the root ``HOOKS``.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TextIO

import torch
from torch import Tensor, nn

from hydrareg.configdict import config_path_of, join_path, to_config_tree
from hydrareg.errors import ConfigTypeError, ConfigValueError
from hydrareg.registry import HOOKS, OPTIMIZERS, PARAM_SCHEDULERS

from .hooks import Hook

__all__ = ["Runner", "accuracy", "classification_loss", "parse_losses"]

log = logging.getLogger(__name__)

LossFn = Callable[[nn.Module, Any], Mapping[str, Any]]


def classification_loss(model: nn.Module, batch: Any) -> Mapping[str, Any]:
    """``model.loss(inputs, labels)`` for an ``(inputs, labels)`` batch."""
    inputs, labels = batch
    return model.loss(inputs, labels)


def parse_losses(losses: Mapping[str, Any]) -> tuple[Tensor, dict[str, float]]:
    """The total of every entry whose name contains ``loss`` (lists are summed), and each value."""
    total: Tensor | None = None
    values: dict[str, float] = {}
    for name, value in losses.items():
        if "loss" not in name:
            continue
        tensor = sum(value) if isinstance(value, (list, tuple)) else value
        values[name] = float(tensor.detach())
        total = tensor if total is None else total + tensor
    if total is None:
        raise ValueError(f"the model's loss() returned no entry named '*loss*': {sorted(losses)}")
    return total, values


@torch.no_grad()
def accuracy(model: nn.Module, loader: Iterable) -> float:
    """Top-1 accuracy of ``model.predict(inputs)`` over an ``(inputs, labels)`` loader."""
    was_training = model.training
    model.eval()
    correct = total = 0
    for inputs, labels in loader:
        predicted = model.predict(inputs)
        correct += int((predicted == labels).sum())
        total += len(labels)
    model.train(was_training)
    return correct / max(total, 1)


class Runner:
    """Train ``model`` for ``max_epochs`` over ``train_dataloader``; see the module docstring.

    ``history`` gets one dict per epoch (loss, each loss term, lr, trainable parameters,
    seconds, and test ``accuracy`` when a ``test_dataloader`` is given).
    """

    def __init__(
        self,
        model: nn.Module,
        train_dataloader: Iterable,
        optimizer: Mapping[str, Any],
        max_epochs: int,
        param_scheduler: Mapping[str, Any] | None = None,
        custom_hooks: Sequence[Mapping[str, Any] | Hook] = (),
        test_dataloader: Iterable | None = None,
        compute_loss: LossFn = classification_loss,
        clip_grad_norm: float | None = None,
        progress: bool = True,
        stream: TextIO | None = None,
    ) -> None:
        if not isinstance(max_epochs, int) or max_epochs < 1:
            raise ConfigValueError(f"max_epochs must be a positive int, got {max_epochs!r}")
        self.model = model
        self.train_dataloader = train_dataloader
        self.test_dataloader = test_dataloader
        self.max_epochs = max_epochs
        self.compute_loss = compute_loss
        self.clip_grad_norm = clip_grad_norm
        self.progress = progress
        self.stream = stream if stream is not None else sys.stderr
        self.epoch = 0
        self.iter = 0
        self.history: list[dict[str, Any]] = []
        self.messages: list[str] = []
        self.optimizer = OPTIMIZERS.build(optimizer, default_args={"params": model.parameters()})
        self.scheduler, self.scheduler_by_epoch = self._build_scheduler(param_scheduler)
        self.hooks = [_build_hook(hook, index) for index, hook in enumerate(custom_hooks)]

    def _build_scheduler(self, cfg: Mapping[str, Any] | None) -> tuple[Any, bool]:
        if cfg is None:
            return None, True
        cfg = to_config_tree(cfg, config_path_of(cfg))  # a copy: by_epoch is ours, not torch's
        by_epoch = cfg.pop("by_epoch", True)
        scheduler = PARAM_SCHEDULERS.build(cfg, default_args={"optimizer": self.optimizer})
        return scheduler, bool(by_epoch)

    # ------------------------------------------------------------------ running

    def log(self, message: str) -> None:
        """Log a line (console and the job's log file, through ``logging``); keep it in ``messages``."""
        self.messages.append(message)
        log.info(message)

    def call_hook(self, name: str, **kwargs: Any) -> None:
        for hook in self.hooks:
            getattr(hook, name)(self, **kwargs)

    def train(self) -> list[dict[str, Any]]:
        """Run all epochs; returns ``history``."""
        self.call_hook("before_train")
        for epoch in range(self.max_epochs):
            self.epoch = epoch
            self.call_hook("before_train_epoch")
            self.history.append(self._train_epoch())
            self.call_hook("after_train_epoch")
        self.call_hook("after_train")
        return self.history

    def _train_epoch(self) -> dict[str, Any]:
        start = time.perf_counter()
        self.model.train()
        lr = self.current_lr()
        trainable = sum(p.numel() for p in self.model.parameters() if p.requires_grad)
        bar = self._bar()
        sums: dict[str, float] = {}
        steps = 0
        for batch_idx, batch in enumerate(self.train_dataloader):
            self.call_hook("before_train_iter", batch_idx=batch_idx, data_batch=batch)
            outputs = self._step(batch)
            steps += 1
            for name, value in outputs.items():
                sums[name] = sums.get(name, 0.0) + value
            self.call_hook("after_train_iter", batch_idx=batch_idx, data_batch=batch, outputs=outputs)
            if bar is not None:
                bar.update()
                bar.set_postfix(loss=f"{sums['loss'] / steps:.4f}", refresh=False)
        if self.scheduler is not None and self.scheduler_by_epoch:
            self.scheduler.step()
        record: dict[str, Any] = {"epoch": self.epoch + 1, "lr": lr, "trainable_params": trainable}
        record.update({name: value / max(steps, 1) for name, value in sums.items()})
        if self.test_dataloader is not None:
            record["accuracy"] = accuracy(self.model, self.test_dataloader)
        record["seconds"] = time.perf_counter() - start
        if bar is not None:
            bar.close()
        self.log(self._epoch_line(record))
        return record

    def _epoch_line(self, record: Mapping[str, Any]) -> str:
        """``epoch 2/5: loss 0.4123, accuracy 0.9306, lr 0.05 (1.3 s)``"""
        shown = [name for name in record if "loss" in name] + ["accuracy", "lr"]
        figures = ", ".join(f"{name} {record[name]:.4g}" for name in shown if name in record)
        return f"epoch {self.epoch + 1}/{self.max_epochs}: {figures} ({record['seconds']:.1f} s)"

    def _step(self, batch: Any) -> dict[str, float]:
        losses = self.compute_loss(self.model, batch)
        total, values = parse_losses(losses)
        value = float(total.detach())
        if not math.isfinite(value):
            raise FloatingPointError(f"the loss is {value} at iteration {self.iter}: {values}")
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        if self.clip_grad_norm is not None:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
        self.optimizer.step()
        if self.scheduler is not None and not self.scheduler_by_epoch:
            self.scheduler.step()
        self.iter += 1
        return {"loss": value, **values}

    def _bar(self) -> Any:
        """A tqdm bar over the epoch's iterations on a terminal; none in logs or pipes (the epoch
        line is logged either way)."""
        if not self.progress:
            return None
        from tqdm import tqdm

        try:
            total = len(self.train_dataloader)  # type: ignore[arg-type]
        except TypeError:
            total = None
        desc = f"epoch {self.epoch + 1}/{self.max_epochs}"
        return tqdm(total=total, desc=desc, file=self.stream, leave=False, disable=None, dynamic_ncols=True)

    def current_lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])


def _build_hook(hook: Mapping[str, Any] | Hook, index: int) -> Hook:
    if isinstance(hook, Hook):
        return hook
    if isinstance(hook, Mapping):
        built = HOOKS.build(hook)
        if isinstance(built, Hook):
            return built
        what = f"a {type(built).__name__}"
    else:
        what = f"{type(hook).__name__} {hook!r}"
    path = config_path_of(hook)
    raise ConfigTypeError(
        f"custom_hooks[{index}] must be a hook config (built into a Hook), got {what}",
        config_path=path or join_path("custom_hooks", index),
    )
