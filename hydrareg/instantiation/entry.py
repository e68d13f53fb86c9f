"""``hydrareg.instantiate``: one entry point for Hydra-style and MMEngine-style configs.

The root decides the walk: a ``type`` node (and no ``_target_``) is built through the registry,
MMEngine style (:mod:`.registry_style`); anything else (a ``_target_`` node, a data dict, a list,
a dataclass) is built as ``hydra.utils.instantiate`` builds it (:mod:`.hydra_style`), with any
``type`` node met on the way built through the registry. Before either, the config root's
``custom_imports`` are imported and its ``default_scope`` becomes the default scope for the call
(as MMEngine's Runner does). The input is never modified.
"""

from __future__ import annotations

import sys
from typing import Any

from omegaconf import DictConfig, ListConfig
from omegaconf.errors import OmegaConfBaseException

from .. import config_checks, keys
from ..configdict import ConfigDict, config_path_of
from ..errors import ConfigTypeError, HydraregError, find_hydrareg_error
from ..registry import Registry, use_scope
from ..registry.build_functions import plain_config
from ..resolvers import import_custom_modules
from .errors import TargetResolutionError, with_original_type
from .hydra_style import build_hydra_root, is_config, unsupported_config_error
from .registry_style import build_type_root

__all__ = ["instantiate"]


def instantiate(config: Any, *args: Any, registry: Registry | None = None, **kwargs: Any) -> Any:
    """Build what ``config`` describes: a dict, DictConfig, ListConfig, list or dataclass.

    As ``hydra.utils.instantiate`` for ``_target_`` nodes: ``args`` replace the root's ``_args_``,
    ``kwargs`` are merged into the root (``_recursive_``, ``_convert_``, ``_partial_`` included) and
    may hold runtime objects (``params=model.parameters()``). ``type`` nodes are built through
    ``registry`` (keyword-only; the root ``MODELS`` by default).
    """
    registry = _checked_registry(registry)
    if config is None:
        return None
    config = plain_config(config)  # an mmengine.Config: the dict it holds
    checked_input(config)
    import_custom_modules(config)
    with _default_scope_of(config):
        if _is_type_node(config):
            return build_type_root(config, args, kwargs, registry)
        try:
            path = config_path_of(config) if isinstance(config, ConfigDict) else None
            return build_hydra_root(config, args, kwargs, registry, path)
        except OmegaConfBaseException as exc:
            raise _resolution_error(exc) from exc


def checked_input(config: Any) -> None:
    """The one check of a config before anything is imported, copied or built (input policies go here)."""
    if not is_config(config):
        raise unsupported_config_error(config)
    config_checks.check_shape(config)


def _checked_registry(registry: Registry | None) -> Registry:
    if registry is None:
        from ..registry import MODELS

        return MODELS
    if isinstance(registry, Registry):
        return registry
    if "mmengine.registry" in sys.modules:  # MMEngine's registries are nodes of the same tree
        from ..registry.mmengine_bridge import as_registry

        return as_registry(registry)
    raise ConfigTypeError(f"registry must be a hydrareg or MMEngine Registry, but got {type(registry)}")


def _is_type_node(config: Any) -> bool:
    return isinstance(config, (dict, DictConfig)) and keys.TYPE in config and keys.TARGET not in config


def _config_default_scope(cfg: Any) -> str | None:
    """The ``default_scope`` at the root of the config ``cfg`` belongs to, if any."""
    if isinstance(cfg, (DictConfig, ListConfig)):
        root = cfg._get_root()
        scope = root.get(keys.DEFAULT_SCOPE) if isinstance(root, DictConfig) else None
    elif isinstance(cfg, dict):
        scope = cfg.get(keys.DEFAULT_SCOPE)
    else:
        return None
    if scope is not None:
        config_checks.check_scope_name(scope, keys.DEFAULT_SCOPE)
    return scope


def _default_scope_of(config: Any) -> use_scope:
    """The config's ``default_scope`` is the default scope inside (no-op without one); not validated
    against one registry: it applies to every tree the call builds from (an unknown one warns once)."""
    scope = _config_default_scope(config)
    if scope is not None:
        config_checks.warn_if_unknown_scope(scope, _checked_registry(None))
    return use_scope(scope, path=keys.DEFAULT_SCOPE)


def _resolution_error(exc: OmegaConfBaseException) -> HydraregError:
    """OmegaConf's error (a missing ``???``, a failed interpolation) as a hydrareg error of its type too."""
    inner = find_hydrareg_error(exc)
    if inner is not None:
        return inner
    path = getattr(exc, "full_key", None) or "<root>"  # OmegaConf names no key for a root list's items
    return with_original_type(TargetResolutionError, exc, str(exc), path)
