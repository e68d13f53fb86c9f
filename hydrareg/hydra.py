"""Hydra integration: ``_delete_`` during composition, and faster saving of each job's config.

(The multirun callback lives in :mod:`hydrareg.callbacks`, so that Hydra's plugin scan, which
imports this module in every process, does not pay for it.)

Hydra offers no hook into composition, so :func:`install_composition_hook` replaces the one
private method that merges the defaults list (``ConfigLoaderImpl._compose_config_from_defaults_list``,
the same in Hydra 1.3 and 1.4) with a version that calls :func:`hydrareg.merge.merge_with_deletions`.
It is installed from ``hydra_plugins/hydrareg_plugin``, which Hydra imports in every process it
composes in (multirun workers included), and installing twice is a no-op.
"""

from __future__ import annotations

import functools
import inspect
import sys
import warnings
from typing import Any

from omegaconf import DictConfig, OmegaConf, flag_override
from omegaconf.errors import OmegaConfBaseException

from .config_cache import CACHE
from .merge import merge_with_deletions

__all__ = [
    "composition_hook_installed",
    "config_to_yaml",
    "install_composition_hook",
    "install_fast_config_saving",
]

_MARK = "__hydrareg_composition_hook__"
_REMOVE_DEFAULTS_FLAG = "HYDRA_REMOVE_TOP_LEVEL_DEFAULTS"


def install_composition_hook() -> bool:
    """Make Hydra honour ``_delete_`` while composing; True once installed (idempotent)."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    current = ConfigLoaderImpl._compose_config_from_defaults_list
    if getattr(current, _MARK, False):
        return True
    if list(inspect.signature(current).parameters) != ["self", "defaults", "repo"]:
        warnings.warn(
            "this Hydra version composes configs differently; hydrareg's _delete_ is not active",
            RuntimeWarning,
            stacklevel=2,
        )
        return False
    ConfigLoaderImpl._compose_config_from_defaults_list = _compose_with_deletions
    return True


def install_fast_config_saving() -> bool:
    """Write each job's ``.hydra/*.yaml`` with libyaml's emitter: the same text, about twice as fast.

    Hydra saves three YAML files per job with OmegaConf's pure-Python dumper; with many jobs that
    is a visible part of a sweep. The replacement uses OmegaConf's own string representer on
    PyYAML's C emitter (the output is byte-identical, see the tests) and is skipped when PyYAML
    was built without libyaml. Installing twice is a no-op.
    """
    import yaml
    from hydra.core import utils as hydra_utils

    if not getattr(yaml, "__with_libyaml__", False):
        return False
    if getattr(hydra_utils._save_config, _MARK, False):
        return True
    hydra_utils._save_config = _save_config
    return True


def config_to_yaml(cfg: DictConfig) -> str:
    """``OmegaConf.to_yaml(cfg)``, emitted by libyaml (same text)."""
    import yaml

    container = OmegaConf.to_container(cfg, resolve=False, enum_to_str=True)
    return yaml.dump(
        container, default_flow_style=False, allow_unicode=True, sort_keys=False, Dumper=_yaml_dumper()
    )


@functools.cache
def _yaml_dumper() -> type:
    import yaml
    from omegaconf._utils import OmegaConfDumper

    class Dumper(yaml.CDumper):  # type: ignore[misc,name-defined]
        """libyaml's emitter with OmegaConf's quoting of strings that look like other types."""

    Dumper.add_representer(str, OmegaConfDumper.str_representer)
    return Dumper


def _save_config(cfg: DictConfig, filename: str, output_dir: Any) -> None:
    """Hydra's ``_save_config`` (same arguments, same file), with :func:`config_to_yaml`."""
    from pathlib import Path

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    with open(output_dir / filename, "w", encoding="utf-8") as file:
        file.write(config_to_yaml(cfg))


setattr(_save_config, _MARK, True)


def composition_hook_installed() -> bool:
    loader = sys.modules.get("hydra._internal.config_loader_impl")
    method = getattr(getattr(loader, "ConfigLoaderImpl", None), "_compose_config_from_defaults_list", None)
    return bool(getattr(method, _MARK, False))


def _compose_with_deletions(self: Any, defaults: list[Any], repo: Any) -> DictConfig:
    """Merge the defaults list in order, as Hydra does, with ``_delete_`` replacing nodes."""
    from hydra.errors import ConfigCompositionException

    key = CACHE.composition_key(defaults, repo)
    cached = None if key is None else CACHE.get_composed(key)
    if cached is not None:
        return cached
    cfg = OmegaConf.create()
    with flag_override(cfg, "no_deepcopy_set_nodes", True):
        for default in defaults:
            loaded = self._load_single_config(default=default, repo=repo)
            try:
                merge_with_deletions(cfg, loaded.config, source=default.config_path)
            except OmegaConfBaseException as exc:
                raise ConfigCompositionException(
                    f"In '{default.config_path}': {type(exc).__name__} raised while composing config:\n{exc}"
                ).with_traceback(sys.exc_info()[2]) from exc
    _drop_defaults_lists(cfg)
    if key is not None:
        CACHE.put_composed(key, cfg)
    return cfg


setattr(_compose_with_deletions, _MARK, True)


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
