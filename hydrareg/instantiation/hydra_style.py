"""Hydra's ``instantiate`` semantics (1.3.8) for every node that is not a ``type`` node.

The walk follows Hydra's: the config becomes an OmegaConf copy (plain dicts and dataclasses
included, with ``allow_objects``), keyword arguments are merged into it, interpolations are resolved,
and then each node is built: ``_target_`` nodes are called (``_args_``, ``_partial_``,
``_recursive_``, ``_convert_``), data nodes and lists come back as OmegaConf containers (or plain
ones, as ``_convert_`` says). hydrareg adds two things: a ``type`` node met on the way is built
through the registry (MMEngine semantics, :mod:`.registry_style`), and ``_scope_`` switches the
default scope for a node and is never passed on.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from enum import Enum
from typing import Any, cast

from hydra.types import TargetConf
from omegaconf import DictConfig, ListConfig, OmegaConf, SCMode
from omegaconf.errors import OmegaConfBaseException

from .. import keys
from ..configdict import join_path, omegaconf_path
from ..errors import ConfigTypeError
from ..merge import leftover_deletes
from ..registry import Registry
from .errors import TargetArgumentsError
from .registry_style import RegistryStyleBuilder, registry_tree, scope_of
from .targets import call_target, resolve_target, target_name

__all__ = ["build_hydra_root"]

CONVERT_MODES = ("none", "partial", "object", "all")
#: Keys of a ``_target_`` node that never become keyword arguments (``_args_`` is popped at the call).
_NOT_ARGUMENTS = frozenset({keys.TARGET, keys.CONVERT, keys.RECURSIVE, keys.PARTIAL, keys.SCOPE, keys.DELETE})
#: Keys of a data node that are hydrareg's, not data.
_NOT_DATA = frozenset({keys.SCOPE, keys.DELETE})
_OBJECTS = {"allow_objects": True}


def build_hydra_root(
    config: Any, args: Sequence[Any], kwargs: dict[str, Any], registry: Registry, path: str | None = None
) -> Any:
    """``hydra.utils.instantiate(config, *args, **kwargs)``, with ``type`` nodes built through ``registry``.

    ``path`` is where ``config`` sits in a bigger config that is not its OmegaConf parent (a
    ``_target_`` node below a ``type`` node), for error messages.
    """
    _refuse_target_conf_without_target(config)
    root = omegaconf_copy(config)
    if isinstance(root, DictConfig):
        if kwargs:
            root = cast(DictConfig, OmegaConf.merge(root, _prepared(kwargs)))
        resolve(root)
        recursive = root.pop(keys.RECURSIVE, True)
        convert = root.pop(keys.CONVERT, "none")
        partial = root.pop(keys.PARTIAL, False)
    else:
        resolve(root)
        recursive, convert, partial = _list_root_flags(kwargs)
    left = leftover_deletes(root, skip=())  # refused (or warned about) before anything is built
    if left:
        warn_delete_left([join_path(path or "", key) for key in left])
    builder = HydraStyleBuilder(registry, path)
    return builder.build(root, args, builder.convert_mode(convert, root), recursive, partial)


def omegaconf_copy(config: Any) -> DictConfig | ListConfig:
    """A private, writable OmegaConf copy of ``config`` that may hold any object (``allow_objects``).

    A DictConfig/ListConfig node keeps its parent, so interpolations to the rest of its config resolve.
    """
    if isinstance(config, (DictConfig, ListConfig)):
        root = copy.deepcopy(config)
        root._set_parent(config._get_parent())
    elif isinstance(config, (dict, list)) or _is_structured(config):
        prepared = _prepared(config) if isinstance(config, (dict, list)) else config
        root = OmegaConf.structured(prepared, flags=_OBJECTS)
    else:
        raise unsupported_config_error(config)
    root._set_flag(["allow_objects", "struct", "readonly"], [True, False, False])
    return root


def resolve(root: DictConfig | ListConfig) -> None:
    """Resolve every interpolation in place; an error names the key that failed (OmegaConf's
    ``resolve`` leaves ``full_key`` empty, so the failure is reproduced once to find it)."""
    try:
        OmegaConf.resolve(root)
    except OmegaConfBaseException as exc:
        if not getattr(exc, "full_key", None):
            try:
                OmegaConf.to_container(root, resolve=True)
            except OmegaConfBaseException as located:
                exc.full_key = located.full_key
        raise


def is_config(config: Any) -> bool:
    """Whether ``instantiate`` accepts ``config`` as a config (a dataclass or attrs class counts)."""
    return isinstance(config, (dict, list, DictConfig, ListConfig)) or _is_structured(config)


def unsupported_config_error(config: Any) -> TargetArgumentsError:
    return TargetArgumentsError(
        f"Cannot instantiate config of type {type(config).__name__}.\n"
        "Top level config must be an OmegaConf DictConfig/ListConfig object,\n"
        "a plain dict/list, or a Structured Config class or instance."
    )


def _is_structured(config: Any) -> bool:
    return dataclasses.is_dataclass(config) or hasattr(config, "__attrs_attrs__")


def _prepared(value: Any) -> Any:
    """A copy of plain dicts/lists in which a callable ``_target_`` is its dotted name (as Hydra does,
    so that OmegaConf never mistakes a dataclass target for a structured config)."""
    if isinstance(value, dict):
        return {
            key: target_name(item) if key == keys.TARGET and callable(item) else _prepared(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_prepared(item) for item in value]
    return value


def _refuse_target_conf_without_target(config: Any) -> None:
    if isinstance(config, TargetConf) and config._target_ == "???":
        raise TargetArgumentsError(
            "Config has missing value for key `_target_`, cannot instantiate.\n"
            f"Config type: {type(config).__name__}\n"
            "Check that the `_target_` key in your dataclass is properly annotated and overridden.\n"
            "A common problem is forgetting to annotate _target_ as a string : '_target_: str = ...'"
        )


def _list_root_flags(kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
    """A list root takes its flags from the keywords, and nothing else."""
    flags = dict(kwargs)
    recursive = flags.pop(keys.RECURSIVE, True)
    convert = flags.pop(keys.CONVERT, "none")
    partial = flags.pop(keys.PARTIAL, False)
    if partial:
        raise TargetArgumentsError(
            "The _partial_ keyword is not compatible with top-level list instantiation"
        )
    if flags:
        raise TargetArgumentsError(
            "keyword overrides need a mapping config, but got a list "
            f"(keywords: {', '.join(map(str, flags))})"
        )
    return recursive, convert, partial


class HydraStyleBuilder:
    """One walk over an OmegaConf tree, Hydra's way; ``type`` nodes go to the registry."""

    def __init__(self, registry: Registry, prefix: str | None = None) -> None:
        self.registry = registry
        self.prefix = prefix
        self.dropped: list[str] = []

    def path(self, node: Any) -> str:
        """The dotted config path of ``node`` (bracketed list indices), below the walk's prefix."""
        relative = omegaconf_path(node)
        if not self.prefix:
            return relative
        if not relative:
            return self.prefix
        return self.prefix + relative if relative.startswith("[") else f"{self.prefix}.{relative}"

    def convert_mode(self, value: Any, node: Any) -> str:
        """A ``_convert_`` value (a ConvertMode, or its name in any case) as one of :data:`CONVERT_MODES`."""
        mode = (value.name if isinstance(value, Enum) else str(value)).lower()
        if mode not in CONVERT_MODES:
            raise ConfigTypeError(
                f"{keys.CONVERT} must be one of {', '.join(CONVERT_MODES)}, but got {value!r}",
                config_path=join_path(self.path(node), keys.CONVERT),
            )
        return mode

    def check_flag(self, node: Any, key: str, value: Any) -> None:
        if not isinstance(value, bool):
            raise ConfigTypeError(
                f"Instantiation: {key} flag must be a bool, got {type(value)}",
                config_path=join_path(self.path(node), key),
            )

    def build(self, node: Any, args: Sequence[Any], convert: str, recursive: Any, partial: Any) -> Any:
        """Build ``node`` with the modes inherited from above (a dict node may override them)."""
        if node is None:
            return None
        if not OmegaConf.is_config(node):
            return node
        if node._is_none():
            return None
        if isinstance(node, ListConfig):
            self.check_flag(node, keys.RECURSIVE, recursive)
            return self._list(node, convert, recursive)
        if keys.TARGET not in node and keys.TYPE in node:
            return self._type_node(node)
        if keys.CONVERT in node:
            convert = self.convert_mode(node[keys.CONVERT], node)
        # `in` then [], not get(): get() raises on a DictConfig whose keys are not strings
        recursive = node[keys.RECURSIVE] if keys.RECURSIVE in node else recursive  # noqa: SIM401
        partial = node[keys.PARTIAL] if keys.PARTIAL in node else partial  # noqa: SIM401
        self.check_flag(node, keys.RECURSIVE, recursive)
        self.check_flag(node, keys.PARTIAL, partial)
        if keys.DELETE in node:
            self.dropped.append(join_path(self.path(node), keys.DELETE))
        with scope_of(node, self.registry):
            if keys.TARGET in node:
                return self._target(node, args, convert, recursive, partial)
            return self._data(node, convert, recursive)

    def _target(
        self, node: DictConfig, args: Sequence[Any], convert: str, recursive: bool, partial: bool
    ) -> Any:
        path = self.path(node)
        target = resolve_target(node[keys.TARGET], path, self.registry)
        kwargs: dict[str, Any] = {}
        for key in node:
            if key in _NOT_ARGUMENTS or (partial and OmegaConf.is_missing(node, key)):
                continue
            value = node[key]
            if recursive:
                value = self.build(value, (), convert, recursive, False)
            kwargs[cast(str, key)] = converted(value, convert)
        return call_target(target, partial, args, kwargs, path)

    def _data(self, node: DictConfig, convert: str, recursive: bool) -> Any:
        items = {
            key: self.build(value, (), convert, recursive, False)
            for key, value in node.items()
            if key not in _NOT_DATA
        }
        structured = OmegaConf.get_type(node) not in (None, dict)
        if convert == "all" or (convert in ("partial", "object") and not structured):
            return items
        built = OmegaConf.create({}, flags=_OBJECTS)
        for key, value in items.items():
            built[key] = value
        built._set_parent(node)
        built._metadata.object_type = node._metadata.object_type
        return OmegaConf.to_object(built) if convert == "object" else built

    def _list(self, node: ListConfig, convert: str, recursive: bool) -> Any:
        items = [self.build(item, (), convert, recursive, False) for item in node]
        if convert != "none":
            return items
        built = OmegaConf.create(items, flags=_OBJECTS)
        built._set_parent(node)
        return built

    def _type_node(self, node: DictConfig) -> Any:
        """A ``type`` node inside a Hydra-style tree: built through the registry, MMEngine style."""
        tree = registry_tree(node, self.dropped, self.path(node))
        return RegistryStyleBuilder(self.registry).build(tree, None)


def warn_delete_left(paths: list[str]) -> None:
    """A ``_delete_`` left in the config: refused if composition may have merged its node, else a warning."""
    from ..hydra.delete_guard import refuse_or_warn_leftover

    refuse_or_warn_leftover(paths)


def converted(value: Any, convert: str) -> Any:
    """A built value as a target receives it: OmegaConf containers converted as ``_convert_`` says."""
    if convert == "none" or not OmegaConf.is_config(value):
        return value
    if convert == "all":
        return OmegaConf.to_container(value, resolve=True)
    mode = SCMode.DICT_CONFIG if convert == "partial" else SCMode.INSTANTIATE
    return OmegaConf.to_container(value, resolve=True, structured_config_mode=mode)
