"""``BaseModule``: an ``nn.Module`` whose ``init_cfg`` says how ``init_weights()`` sets weights."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from torch import nn

from hydrareg.configdict import config_path_of
from hydrareg.errors import ConfigTypeError
from hydrareg.registry import WEIGHT_INITIALIZERS

from . import weight_init
from ._cfg import with_config_path

__all__ = ["BaseModule", "InitCfg"]

InitCfg = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


class BaseModule(nn.Module):
    """MMEngine's ``BaseModule``: weights are initialised on request, from ``init_cfg``.

    ``init_weights()`` applies this module's initialisers, then lets every submodule initialise
    itself, then loads any ``Pretrained`` checkpoint last, so loaded weights win. Construction
    never initialises from ``init_cfg`` (a runner or task calls ``init_weights()`` once the
    model is built).
    """

    def __init__(self, init_cfg: InitCfg = None) -> None:
        super().__init__()
        self.init_cfg = copy.deepcopy(init_cfg)
        self._is_init = False

    @property
    def is_init(self) -> bool:
        return self._is_init

    def init_weights(self) -> None:
        """Initialise from ``init_cfg`` and recurse into submodules (Pretrained applied last)."""
        initializers = [_build_initializer(cfg) for cfg in _init_cfg_list(self.init_cfg)]
        pretrained = [item for item in initializers if isinstance(item[1], weight_init.Pretrained)]
        for path, initializer in initializers:
            if not isinstance(initializer, weight_init.Pretrained):
                _apply(initializer, self, path)
        _init_children(self)
        for path, initializer in pretrained:
            _apply(initializer, self, path)
        self._is_init = True


def _init_cfg_list(init_cfg: InitCfg) -> list[Mapping[str, Any]]:
    if init_cfg is None:
        return []
    if isinstance(init_cfg, Mapping):
        return [init_cfg]
    if isinstance(init_cfg, Sequence) and not isinstance(init_cfg, str):
        return list(init_cfg)
    raise ConfigTypeError(f"init_cfg must be a dict or a list of dicts, got {type(init_cfg).__name__}")


def _init_children(module: nn.Module) -> None:
    """Call ``init_weights`` on the nearest descendants that have one (through plain containers)."""
    for child in module.children():
        if callable(getattr(child, "init_weights", None)):
            child.init_weights()
        else:
            _init_children(child)


def _build_initializer(cfg: Mapping[str, Any]) -> tuple[str | None, Callable[[nn.Module], None]]:
    path = config_path_of(cfg)
    return path, with_config_path(path, lambda: WEIGHT_INITIALIZERS.build(cfg))


def _apply(initializer: Callable[[nn.Module], None], module: nn.Module, path: str | None) -> None:
    with_config_path(path, lambda: initializer(module))
