"""``hydrareg.instantiate``: build objects from a config through the registry tree.

One walk over one resolved copy of the config:

- a node with ``type`` is built through the registry (``registry.build``, so a registry's custom
  ``build_func`` applies), MMEngine style: not recursive, the constructor receives nested configs
  as :class:`~hydrareg.configdict.ConfigDict` and builds them itself; ``_scope_`` switches the
  default scope for the node and everything built inside it; ``_recursive_: true`` builds the
  children first, Hydra style, and ``_partial_: true`` returns a ``functools.partial``;
- a node with ``_target_`` keeps Hydra's meaning (``_args_``, ``_partial_``, ``_recursive_``
  (default true), ``_convert_``), so both styles mix in one tree;
- dicts and lists without either are data: their children are walked and the data returned.

Before building, the config root's ``custom_imports`` are imported and its ``default_scope`` becomes
the default scope for the call (as MMEngine's Runner does). The input is never modified.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from . import keys
from .configdict import ConfigDict, config_path_of, join_path, to_config_tree, to_plain
from .errors import ConfigResolutionError, ConfigTypeError, UnknownTargetError, find_hydrareg_error
from .registry import Registry
from .registry.build_functions import call_with_config_path, resolve_type
from .registry.default_scope import reset_context_scope, set_context_scope
from .registry.registry import import_dotted_object
from .resolvers import import_custom_modules

__all__ = ["instantiate"]

_CONVERT_MODES = ("none", "partial", "object", "all")


def instantiate(cfg: Any, /, registry: Registry | None = None, **overrides: Any) -> Any:
    """Build what ``cfg`` describes (a dict, DictConfig, ListConfig or list) through ``registry``.

    ``overrides`` replace keys of the top node and are passed to it as they are (use them for
    runtime objects: ``instantiate(cfg.optim, registry=OPTIMIZERS, params=model.parameters())``).
    ``registry`` defaults to the root ``MODELS``.
    """
    if registry is None:
        from .registry import MODELS

        registry = MODELS
    if not isinstance(registry, Registry):
        raise ConfigTypeError(f"registry must be a hydrareg Registry, but got {type(registry)}")
    if cfg is None:
        return None
    import_custom_modules(cfg)
    scope = _config_default_scope(cfg)
    tree = _resolved_tree(cfg)
    if overrides and not isinstance(tree, ConfigDict):
        raise ConfigTypeError(
            f"keyword overrides need a mapping config, but got {type(cfg).__name__}",
            config_path=config_path_of(cfg),
        )
    token = None if scope is None else set_context_scope(scope)
    try:
        return _Builder(registry).build(tree, None, overrides)
    finally:
        if token is not None:
            reset_context_scope(token)


def _config_default_scope(cfg: Any) -> str | None:
    """The ``default_scope`` at the root of the config ``cfg`` belongs to, if any."""
    if isinstance(cfg, (DictConfig, ListConfig)):
        root = cfg._get_root()
        scope = root.get(keys.DEFAULT_SCOPE) if isinstance(root, DictConfig) else None
    elif isinstance(cfg, dict):
        scope = cfg.get(keys.DEFAULT_SCOPE)
    else:
        return None
    if scope is not None and not isinstance(scope, str):
        raise ConfigTypeError(
            f"{keys.DEFAULT_SCOPE} must be a scope name, but got {scope!r}",
            config_path=keys.DEFAULT_SCOPE,
        )
    return scope


def _resolved_tree(cfg: Any) -> Any:
    """A resolved ConfigDict/list copy of ``cfg``; leftover ``_delete_`` keys dropped with a warning."""
    if not isinstance(cfg, (dict, list, tuple, DictConfig, ListConfig)):
        raise ConfigTypeError(
            f"cannot instantiate a {type(cfg).__name__}: pass a dict, list, DictConfig or ListConfig"
        )
    dropped: list[str] = []
    try:
        tree = to_config_tree(cfg, config_path_of(cfg) or "", frozenset({keys.DELETE}), dropped)
    except OmegaConfBaseException as exc:
        inner = find_hydrareg_error(exc)
        if inner is not None:
            raise inner from exc
        raise ConfigResolutionError(
            f"cannot resolve the config: {_first_line(exc)}",
            config_path=getattr(exc, "full_key", None) or config_path_of(cfg),
        ) from exc
    if dropped:
        warnings.warn(
            f"{keys.DELETE} reached instantiate at {', '.join(dropped)} and was ignored: this config "
            "was not composed with hydrareg's composition hook, so earlier values were merged, not "
            "replaced",
            UserWarning,
            stacklevel=3,
        )
    return tree


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class _Builder:
    """One instantiate call: the registry, and the walk over the resolved tree."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def build(
        self,
        node: Any,
        recursive: bool | None,
        extra: dict[str, Any] | None = None,
        convert: str | None = None,
    ) -> Any:
        """Build ``node``; ``recursive`` is the inherited ``_recursive_`` (None: the node's default)."""
        if isinstance(node, ConfigDict):
            if keys.TARGET in node:
                return self._build_target(node, recursive, extra, convert)
            if keys.TYPE in node:
                return self._build_type(node, recursive, extra)
            return self._build_data(node, recursive, extra, convert)
        if isinstance(node, list):
            return [self.build(item, recursive, None, convert) for item in node]
        if isinstance(node, tuple):
            return tuple(self.build(item, recursive, None, convert) for item in node)
        return node

    # -------------------------------------------------------------- MMEngine-style `type` nodes

    def _build_type(self, node: ConfigDict, recursive: bool | None, extra: dict | None) -> Any:
        path = config_path_of(node)
        recursive = _flag(node, keys.RECURSIVE, recursive, False)
        partial = _flag(node, keys.PARTIAL, None, False)
        if keys.ARGS in node:
            raise ConfigTypeError(
                f"{keys.ARGS} is for {keys.TARGET} nodes; a {keys.TYPE} node takes keyword arguments",
                config_path=join_path(path, keys.ARGS),
            )
        with _scope_of(node):
            args = ConfigDict.with_path(
                {
                    key: self.build(value, True) if recursive else value
                    for key, value in node.items()
                    if key not in keys.HYDRA_FLAGS
                },
                path,
            )
            if extra:
                args.update(extra)
            if partial:
                kwargs = {key: value for key, value in args.items() if key not in keys.BUILD_KEYS}
                return functools.partial(resolve_type(args[keys.TYPE], self.registry, path), **kwargs)
            return self.registry.build(args)

    # -------------------------------------------------------------- Hydra-style `_target_` nodes

    def _build_target(
        self, node: ConfigDict, recursive: bool | None, extra: dict | None, convert: str | None
    ) -> Any:
        path = config_path_of(node)
        recursive = _flag(node, keys.RECURSIVE, recursive, True)
        partial = _flag(node, keys.PARTIAL, None, False)
        convert = _convert_mode(node, convert)
        target = _locate(node[keys.TARGET], path, self.registry)
        positional = node.get(keys.ARGS, [])
        if not isinstance(positional, (list, tuple)):
            raise ConfigTypeError(
                f"{keys.ARGS} must be a list, but got {type(positional).__name__}",
                config_path=join_path(path, keys.ARGS),
            )
        with _scope_of(node):
            kwargs = {key: value for key, value in node.items() if key not in keys.BUILD_KEYS}
            if recursive:
                positional = [self.build(value, True, None, convert) for value in positional]
                kwargs = {key: self.build(value, True, None, convert) for key, value in kwargs.items()}
            positional = [_converted(value, convert) for value in positional]
            kwargs = {key: _converted(value, convert) for key, value in kwargs.items()}
            if extra:
                kwargs.update(extra)
            if partial:
                return functools.partial(target, *positional, **kwargs)
            return call_with_config_path(target, kwargs, path, positional)

    # -------------------------------------------------------------- data

    def _build_data(
        self, node: ConfigDict, recursive: bool | None, extra: dict | None, convert: str | None
    ) -> ConfigDict:
        with _scope_of(node):
            built = ConfigDict.with_path(
                {
                    key: self.build(value, recursive, None, convert)
                    for key, value in node.items()
                    if key != keys.SCOPE
                },
                config_path_of(node),
            )
        if extra:
            built.update(extra)
        return built


class _scope_of:
    """Context manager: the node's ``_scope_`` is the default scope inside (no-op without one)."""

    __slots__ = ("node", "token")

    def __init__(self, node: ConfigDict) -> None:
        self.node = node
        self.token = None

    def __enter__(self) -> None:
        scope = self.node.get(keys.SCOPE)
        if scope is None:
            return
        if not isinstance(scope, str):
            raise ConfigTypeError(
                f"{keys.SCOPE} must be a str, but got {type(scope).__name__}",
                config_path=join_path(config_path_of(self.node), keys.SCOPE),
            )
        self.token = set_context_scope(scope)

    def __exit__(self, *exc_info: Any) -> None:
        if self.token is not None:
            reset_context_scope(self.token)


def _flag(node: ConfigDict, key: str, inherited: bool | None, default: bool) -> bool:
    value = node.get(key, inherited if inherited is not None else default)
    if not isinstance(value, bool):
        raise ConfigTypeError(
            f"{key} must be true or false, but got {value!r}",
            config_path=join_path(config_path_of(node), key),
        )
    return value


def _convert_mode(node: ConfigDict, inherited: str | None) -> str:
    """The node's ``_convert_``, else the inherited one, else Hydra's default ``none``."""
    mode = node.get(keys.CONVERT, inherited or "none")
    mode = getattr(mode, "value", mode)  # Hydra's ConvertMode enum
    mode = str(mode).lower()
    if mode not in _CONVERT_MODES:
        raise ConfigTypeError(
            f"{keys.CONVERT} must be one of {', '.join(_CONVERT_MODES)}, but got {mode!r}",
            config_path=join_path(config_path_of(node), keys.CONVERT),
        )
    return mode


def _converted(value: Any, convert: str) -> Any:
    """Hydra's ``_convert_: none`` hands containers over as OmegaConf objects; others as dicts."""
    if convert == "none" and isinstance(value, (dict, list)):
        return OmegaConf.create(to_plain(value), flags={"allow_objects": True})
    return value


def _locate(target: Any, path: str | None, registry: Registry) -> Any:
    if callable(target):
        return target
    if isinstance(target, str) and "." in target:
        obj = import_dotted_object(target, registry)
        if obj is not None:
            return obj
    raise UnknownTargetError(
        f"Could not locate {keys.TARGET} {target!r}: it must be an importable dotted path "
        "to a class or function (pkg.module.Name)",
        config_path=join_path(path, keys.TARGET),
    )
