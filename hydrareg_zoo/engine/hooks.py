"""Training hooks: the base class, and the hook that unfreezes a backbone at a given epoch.

Hooks are built from ``custom_hooks`` configs through the root ``HOOKS`` registry (where
MMEngine keeps its own hooks too), so ``type: UnfreezeBackboneHook`` needs no scope.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from hydrareg.errors import ConfigTypeError, ConfigValueError
from hydrareg.registry import HOOKS

if TYPE_CHECKING:
    from torch import nn

    from .runner import Runner

__all__ = ["Hook", "UnfreezeBackboneHook", "unfreeze_backbone"]


class Hook:
    """Does nothing at each moment of training; subclasses override the moments they need.

    The names are MMEngine's; ``runner.epoch`` is the 0-based epoch about to run or just run.
    """

    def before_train(self, runner: Runner) -> None:
        """Once, after the optimizer and scheduler exist and before the first epoch."""

    def before_train_epoch(self, runner: Runner) -> None:
        """At the start of each epoch, before the model is put in training mode."""

    def before_train_iter(self, runner: Runner, batch_idx: int, data_batch: Any) -> None:
        """Before each optimisation step."""

    def after_train_iter(
        self, runner: Runner, batch_idx: int, data_batch: Any, outputs: dict[str, Any]
    ) -> None:
        """After each optimisation step; ``outputs`` holds the step's losses."""

    def after_train_epoch(self, runner: Runner) -> None:
        """At the end of each epoch, after the scheduler step and the evaluation."""

    def after_train(self, runner: Runner) -> None:
        """Once, after the last epoch."""


@HOOKS.register_module()
class UnfreezeBackboneHook(Hook):
    """Make the whole backbone trainable when epoch ``unfreeze_epoch`` (0-based) starts.

    The backbone (``model.backbone``) was built with ``frozen_stages`` >= 0, which its
    ``_freeze_stages()`` enforces (requires_grad off, norm layers in eval mode). This sets
    ``frozen_stages = -1``, turns requires_grad back on and restores training mode; the
    optimizer already holds every parameter, so they start updating at once.
    """

    def __init__(self, unfreeze_epoch: int = 1) -> None:
        if not isinstance(unfreeze_epoch, int) or isinstance(unfreeze_epoch, bool):
            raise ConfigTypeError(f"unfreeze_epoch must be an int, got {unfreeze_epoch!r}")
        if unfreeze_epoch < 0:
            raise ConfigValueError(f"unfreeze_epoch must be >= 0, got {unfreeze_epoch}")
        self.unfreeze_epoch = unfreeze_epoch
        self.unfrozen: int | None = None  # how many parameters it made trainable, once fired

    def before_train(self, runner: Runner) -> None:
        _backbone_of(runner.model)
        if self.unfreeze_epoch >= runner.max_epochs:
            warnings.warn(
                f"UnfreezeBackboneHook(unfreeze_epoch={self.unfreeze_epoch}) never fires in "
                f"{runner.max_epochs} epochs",
                UserWarning,
                stacklevel=2,
            )

    def before_train_epoch(self, runner: Runner) -> None:
        if runner.epoch != self.unfreeze_epoch:
            return
        self.unfrozen = unfreeze_backbone(_backbone_of(runner.model))
        if self.unfrozen:
            runner.log(f"epoch {runner.epoch + 1}: backbone unfrozen ({self.unfrozen:,} parameters)")
        else:  # frozen_stages=-1: say so, rather than "unfrozen (0 parameters)"
            runner.log(f"epoch {runner.epoch + 1}: nothing to unfreeze (no backbone stage was frozen)")

    def __repr__(self) -> str:
        return f"UnfreezeBackboneHook(unfreeze_epoch={self.unfreeze_epoch})"


def unfreeze_backbone(backbone: nn.Module) -> int:
    """Undo ``frozen_stages``; returns how many parameters were frozen and now train."""
    if hasattr(backbone, "frozen_stages"):
        backbone.frozen_stages = -1
    count = 0
    for param in backbone.parameters():
        if not param.requires_grad:
            param.requires_grad_(True)
            count += param.numel()
    backbone.train(backbone.training)  # re-applies norm_eval; no stage is frozen any more
    return count


def _backbone_of(model: nn.Module) -> nn.Module:
    backbone = getattr(model, "backbone", None)
    if backbone is None:
        raise ConfigValueError(
            f"UnfreezeBackboneHook needs a model with a .backbone, but {type(model).__name__} has none"
        )
    return backbone
