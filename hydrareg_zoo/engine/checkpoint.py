"""Checkpoints as MMEngine writes them: ``{'state_dict': ..., 'meta': ...}`` saved with torch."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = ["load_checkpoint", "save_checkpoint"]


def save_checkpoint(model: nn.Module, path: str | Path, meta: Mapping[str, Any] | None = None) -> Path:
    """Save ``model``'s state dict and ``meta`` (plain JSON-like values) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    torch.save({"state_dict": state, "meta": dict(meta or {})}, path)
    return path


def load_checkpoint(
    model: nn.Module, path: str | Path, prefix: str | None = None, strict: bool = True
) -> dict[str, Any]:
    """Load a checkpoint's weights into ``model`` (only keys under ``prefix``, stripped); returns meta.

    Loads with ``weights_only=True``: a checkpoint holds tensors and plain values, never code.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file at {path}")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    state = checkpoint.get("state_dict", checkpoint)
    if prefix:
        state = {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}
        if not state:
            raise KeyError(f"{path} has no weights under the prefix {prefix!r}")
    model.load_state_dict(state, strict=strict)
    return dict(checkpoint.get("meta", {}))
