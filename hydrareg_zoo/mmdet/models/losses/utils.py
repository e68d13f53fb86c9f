"""Reduction shared by mmdet's losses: ``mean`` may divide by an ``avg_factor`` (#positives)."""

from __future__ import annotations

from torch import Tensor

from hydrareg.errors import ConfigValueError

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(owner: str, reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ConfigValueError(f"{owner}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def weight_reduce(
    loss: Tensor, weight: Tensor | None, reduction: str, avg_factor: float | Tensor | None
) -> Tensor:
    """Apply element weights, then reduce; ``mean`` with ``avg_factor`` is ``sum / avg_factor``."""
    if weight is not None:
        loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if avg_factor is not None:
        return loss.sum() / avg_factor
    return loss.mean() if loss.numel() else loss.sum()
