"""The compose hook: Hydra's merge of the defaults list, with ``_delete_`` replacing nodes.

Hydra offers no hook into composition, so the ``compose`` patch replaces the private method that
merges the defaults list (``ConfigLoaderImpl._compose_config_from_defaults_list``) with
:func:`compose_with_deletions`: the same loop (copied from Hydra 1.3; ``tests/test_hydra_patches.py``
pins the fingerprint of the original), calling :func:`hydrareg.merge.merge_with_deletions` for each
file, and remembering the merge per process (:class:`~hydrareg.hydra.cache.configurations.MergeLayer`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from omegaconf import DictConfig, OmegaConf, flag_override
from omegaconf.errors import OmegaConfBaseException

from ..merge import merge_with_deletions
from .cache import CACHE

__all__ = ["compose_with_deletions", "make_compose_hook"]

_REMOVE_DEFAULTS_FLAG = "HYDRA_REMOVE_TOP_LEVEL_DEFAULTS"


def make_compose_hook(original: Callable[..., Any]) -> Callable[..., Any]:
    """The replacement of ``_compose_config_from_defaults_list`` (the original is not called)."""
    return compose_with_deletions


def compose_with_deletions(self: Any, defaults: list[Any], repo: Any) -> DictConfig:
    """Merge the defaults list in order, as Hydra does, with ``_delete_`` replacing nodes."""
    key = CACHE.merges.key(defaults, repo)
    cached = None if key is None else CACHE.merges.get(key)
    if cached is not None:
        return cached
    cfg = OmegaConf.create()
    with flag_override(cfg, "no_deepcopy_set_nodes", True):
        for default in defaults:
            loaded = self._load_single_config(default=default, repo=repo)
            _merge(cfg, loaded.config, default.config_path)
    _drop_defaults_lists(cfg)
    if key is not None:
        CACHE.merges.put(key, cfg)
    return cfg


def _merge(cfg: DictConfig, incoming: DictConfig, config_path: str) -> None:
    from hydra.errors import ConfigCompositionException

    try:
        merge_with_deletions(cfg, incoming, source=config_path)
    except OmegaConfBaseException as exc:
        raise ConfigCompositionException(
            f"In '{config_path}': {type(exc).__name__} raised while composing config:\n{exc}"
        ).with_traceback(sys.exc_info()[2]) from exc


def _drop_defaults_lists(node: Any) -> None:
    """Remove the ``defaults`` lists that loaded files carried into the result (Hydra's last step)."""
    if not isinstance(node, DictConfig) or node._is_missing() or node._is_none():
        return
    with flag_override(node, ["readonly", "struct"], False):
        if node._get_flag(_REMOVE_DEFAULTS_FLAG):
            node._set_flag(_REMOVE_DEFAULTS_FLAG, None)
            node.pop("defaults", None)
    for _key, value in node.items_ex(resolve=False):
        _drop_defaults_lists(value)
