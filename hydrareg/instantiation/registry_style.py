"""MMEngine-style builds: a ``type`` node and what lies below it, through the registry tree.

One walk over one resolved copy of the node (every mapping a :class:`~hydrareg.configdict.ConfigDict`
that knows its config path):

- a node with ``type`` is built through the registry (``registry.build``, so a registry's custom
  ``build_func`` applies), MMEngine style: not recursive, the constructor receives nested configs
  as :class:`~hydrareg.configdict.ConfigDict` and builds them itself; ``_scope_`` switches the
  default scope for the node and everything built inside it; ``_recursive_: true`` builds the
  children first, and ``_partial_: true`` returns a ``functools.partial``;
- a node with ``_target_`` met by such a walk is built exactly as Hydra builds it
  (:mod:`.hydra_style`);
- dicts and lists without either are data: their children are walked and the data returned.

The input is never modified.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from omegaconf import DictConfig, ListConfig
from omegaconf.errors import OmegaConfBaseException

from .. import config_checks, keys
from ..configdict import ConfigDict, config_path_of, join_path, to_config_tree
from ..errors import ConfigResolutionError, ConfigTypeError, find_hydrareg_error
from ..registry import Registry, resolve_type, use_scope

__all__ = ["RegistryStyleBuilder", "build_type_root", "registry_tree", "scope_of"]


def build_type_root(cfg: Any, args: Sequence[Any], kwargs: dict[str, Any], registry: Registry) -> Any:
    """Build the ``type`` node ``cfg``; ``kwargs`` become part of it (plain dicts merge into dicts,
    other values replace the key and are passed as they are: ``params=model.parameters()``)."""
    if args:
        raise ConfigTypeError(
            f"positional arguments are for {keys.TARGET} nodes; a {keys.TYPE} node takes keyword arguments",
            config_path=config_path_of(cfg),
        )
    dropped: list[str] = []
    tree = registry_tree(cfg, dropped)
    if dropped:
        from .hydra_style import warn_delete_left

        warn_delete_left(dropped)
    extra = {}
    for key, value in kwargs.items():
        if key in keys.HYDRA_FLAGS:
            tree[key] = value
        elif isinstance(value, dict) and isinstance(tree.get(key), dict):
            tree[key] = _merged(tree[key], value, join_path(config_path_of(tree), key))
        else:
            extra[key] = value
    return RegistryStyleBuilder(registry).build(tree, None, extra)


def _merged(node: ConfigDict, update: Mapping[str, Any], path: str) -> ConfigDict:
    """``node`` with ``update`` merged in: dicts into dicts, anything else replacing (a new ConfigDict)."""
    merged = ConfigDict.with_path(node, path)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value, join_path(path, key))
        else:
            merged[key] = to_config_tree(value, join_path(path, key))
    return merged


def registry_tree(cfg: Any, dropped: list[str], path: str | None = None) -> Any:
    """The config copy a registry-style build walks: resolved, every mapping a ConfigDict that knows
    its path; leftover ``_delete_`` keys are left out and their paths appended to ``dropped``."""
    if not isinstance(cfg, (dict, list, tuple, DictConfig, ListConfig)):
        raise ConfigTypeError(
            f"cannot instantiate a {type(cfg).__name__}: pass a dict, list, DictConfig or ListConfig"
        )
    try:
        path = config_path_of(cfg) if path is None else path
        return to_config_tree(cfg, path or "", frozenset({keys.DELETE}), dropped)
    except OmegaConfBaseException as exc:
        inner = find_hydrareg_error(exc)
        if inner is not None:
            raise inner from exc
        raise ConfigResolutionError(
            f"cannot resolve the config: {_first_line(exc)}",
            config_path=getattr(exc, "full_key", None) or path,
        ) from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class RegistryStyleBuilder:
    """One registry-style walk: the registry, and the walk over the resolved tree."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def build(self, node: Any, recursive: bool | None, extra: dict[str, Any] | None = None) -> Any:
        """Build ``node``; ``recursive`` is the inherited ``_recursive_`` (None: the node's default)."""
        if isinstance(node, ConfigDict):
            if keys.TARGET in node:
                return self._build_target(node, extra)
            if keys.TYPE in node:
                return self._build_type(node, recursive, extra)
            return self._build_data(node, recursive, extra)
        if isinstance(node, list):
            return [self.build(item, recursive) for item in node]
        if isinstance(node, tuple):
            return tuple(self.build(item, recursive) for item in node)
        return node

    def _build_type(self, node: ConfigDict, recursive: bool | None, extra: dict | None) -> Any:
        path = config_path_of(node)
        recursive = _flag(node, keys.RECURSIVE, recursive, False)
        partial = _flag(node, keys.PARTIAL, None, False)
        if keys.ARGS in node:
            raise ConfigTypeError(
                f"{keys.ARGS} is for {keys.TARGET} nodes; a {keys.TYPE} node takes keyword arguments",
                config_path=join_path(path, keys.ARGS),
            )
        with scope_of(node, self.registry):  # the switch for this node: `_scope_` is not passed on
            args = ConfigDict.with_path(
                {
                    key: self.build(value, True) if recursive else value
                    for key, value in node.items()
                    if key not in keys.HYDRA_FLAGS and key != keys.SCOPE
                },
                path,
            )
            if extra:
                args.update(extra)
            if partial:
                kwargs = {key: value for key, value in args.items() if key not in keys.BUILD_KEYS}
                return functools.partial(resolve_type(args[keys.TYPE], self.registry, path), **kwargs)
            return self.registry.build(args)

    def _build_target(self, node: ConfigDict, extra: dict | None) -> Any:
        """A ``_target_`` node below a ``type`` node: Hydra's semantics, on an OmegaConf copy."""
        from .hydra_style import build_hydra_root

        return build_hydra_root(node, (), extra or {}, self.registry, path=config_path_of(node))

    def _build_data(self, node: ConfigDict, recursive: bool | None, extra: dict | None) -> ConfigDict:
        with scope_of(node, self.registry):
            built = ConfigDict.with_path(
                {key: self.build(value, recursive) for key, value in node.items() if key != keys.SCOPE},
                config_path_of(node),
            )
        if extra:
            built.update(extra)
        return built


def scope_of(node: Any, registry: Registry) -> use_scope:
    """The node's ``_scope_`` is the default scope inside the ``with`` block (no-op without one);
    an empty or non-string name is an error naming ``<path>._scope_``, an unknown one warns once."""
    scope = node.get(keys.SCOPE)
    if scope is not None:
        config_checks.check_scope_name(scope, join_path(config_path_of(node), keys.SCOPE))
    return use_scope(scope, registry, config_path_of(node))


def _flag(node: ConfigDict, key: str, inherited: bool | None, default: bool) -> bool:
    value = node.get(key, inherited if inherited is not None else default)
    if not isinstance(value, bool):
        raise ConfigTypeError(
            f"{key} must be true or false, but got {value!r}",
            config_path=join_path(config_path_of(node), key),
        )
    return value
