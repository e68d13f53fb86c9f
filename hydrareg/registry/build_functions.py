"""Build functions: turn one config dict into one object through a registry.

``build_from_cfg`` follows MMEngine's contract (mmengine-registry.md #27-#36): not recursive,
``default_args`` filled in with ``setdefault``, ``_scope_`` switching the default scope for the
build and everything built inside it. It differs where MMEngine is buggy: the scope switch is
per-context and always undone, a class registered in the called registry stays buildable under
another default scope (#39), and every error names the config path, the registries searched and
the closest registered names.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any, cast

from .. import config_checks, keys
from ..configdict import ConfigDict, config_path_of, join_path, to_config_tree
from ..errors import (
    BuildArgumentError,
    ConfigKeyError,
    ConfigTypeError,
    ConfigValueError,
    HydraregError,
    UnknownTypeError,
    at_config_path,
    note_config_path,
)
from . import _suggest
from .manager import ManagerMixin
from .registry import Registry
from .scope import current_scope_name, use_scope

__all__ = [
    "build_from_cfg",
    "build_model_from_cfg",
    "build_optimizer_from_cfg",
    "build_runner_from_cfg",
    "build_scheduler_from_cfg",
]


def build_from_cfg(
    cfg: Mapping[str, Any],
    registry: Registry,
    default_args: Mapping[str, Any] | None = None,
) -> Any:
    """Build the object ``cfg['type']`` names, called with the remaining keys.

    ``type`` is a registered name (``'ResNet'``, ``'mmcls.ConvNeXt'``), a dotted import path, or a
    callable. A class or function may be built; ``_scope_`` switches the default scope for it.
    """
    kind = type(cfg)
    if (
        (kind is ConfigDict or kind is dict)
        and keys.TYPE in cfg
        and default_args is None
        and isinstance(registry, Registry)
    ):
        args, path = dict(cfg), cast(ConfigDict, cfg)._hydrareg_path if kind is ConfigDict else None
    else:
        args, path = _prepared(cfg, registry, default_args)
    scope = args.pop(keys.SCOPE, None)
    if scope is None:
        return _build(args, registry, path)
    with use_scope(scope, registry, path):
        return _build(args, registry, path)


def _build_error(exc: Exception, obj_cls: Any, args: dict[str, Any], path: str | None) -> Exception:
    """The exception to raise: a failed lookup happened at ``path.type``; see ``_with_config_path``."""
    if obj_cls is None:
        at_config_path(exc, join_path(path, keys.TYPE) if path is not None else None)
        return exc
    return _with_config_path(exc, obj_cls, args, path)


def _prepared(cfg: Any, registry: Any, default_args: Any) -> tuple[dict[str, Any], str | None]:
    """The slow path's arguments (checked, ``default_args`` filled in) and config path."""
    cfg = _checked_cfg(cfg, registry, default_args)
    args = dict(cfg)
    if default_args is not None:
        for name, value in default_args.items():
            args.setdefault(name, value)
    return args, config_path_of(cfg)


def _build(args: dict[str, Any], registry: Registry, path: str | None) -> Any:
    """Resolve ``args['type']`` under the current scope and call it with the other arguments."""
    obj_type = args.pop(keys.TYPE)
    obj_cls = None
    try:
        obj_cls = registry.lookup_for_build(obj_type, current_scope_name()) if type(obj_type) is str else None
        if obj_cls is None or keys.TARGET in args:
            obj_cls = _resolve(obj_type, args, registry, path)
        if isinstance(obj_cls, type) and (issubclass(obj_cls, ManagerMixin) or _is_mmengine_manager(obj_cls)):
            return _get_instance(obj_cls, args, path)
        return obj_cls(**args)
    except Exception as exc:
        error = _build_error(exc, obj_cls, args, path)
        if error is exc:
            raise
        raise error from exc


def _resolve(obj_type: Any, args: dict[str, Any], registry: Registry, path: str | None) -> Any:
    """What a ``type`` the registry cache does not answer names; ``type`` with ``_target_`` is an error."""
    if keys.TARGET in args:
        raise config_checks.type_and_target_error(path)
    return resolve_type(obj_type, registry, path)


def _get_instance(cls: type, args: dict[str, Any], path: str | None) -> Any:
    """``cls.get_instance(name, ...)``, ``name`` and the arguments checked first (nothing half-registered)."""
    error = config_checks.manager_arguments_error(args, path)
    if error is not None:
        raise error
    if not cls.check_instance_created(args["name"]):  # type: ignore[attr-defined]
        mismatch = _signature_mismatch(cls, args)
        if mismatch is not None:
            raise _argument_error(cls, args, path, mismatch)
    return call_with_config_path(cls.get_instance, args, path)  # type: ignore[attr-defined]


def _is_mmengine_manager(cls: type) -> bool:
    """A subclass of MMEngine's ``ManagerMixin`` (named, shared instances; built by ``get_instance``)."""
    if type(cls) is type:  # theirs have the metaclass ManagerMeta: a plain class is none
        return False
    mmengine_manager = sys.modules.get("mmengine.utils.manager")
    return mmengine_manager is not None and issubclass(cls, mmengine_manager.ManagerMixin)


def plain_config(cfg: Any) -> Any:
    """An ``mmengine.Config`` as the dict it holds; anything else as it is (mmengine never imported)."""
    mmengine_config = sys.modules.get("mmengine.config.config")
    if mmengine_config is not None and isinstance(cfg, mmengine_config.Config):
        return cfg.to_dict()
    return cfg


def _checked_cfg(cfg: Any, registry: Any, default_args: Any, require_type: bool = True) -> Mapping[str, Any]:
    """MMEngine's argument checks, in its order, with typed errors; DictConfigs become dicts."""
    cfg = _as_mapping(cfg, "cfg", config_path_of(cfg))
    if require_type and keys.TYPE not in cfg and (default_args is None or keys.TYPE not in default_args):
        raise ConfigKeyError(
            f'`cfg` or `default_args` must contain the key "{keys.TYPE}", but got {dict(cfg)}'
            + (f"\n{dict(default_args)}" if default_args else ""),
            config_path=config_path_of(cfg),
        )
    if not isinstance(registry, Registry):
        raise ConfigTypeError(
            f"registry must be a mmengine Registry object, but got {type(registry)}: "
            "hydrareg.registry.Registry, with MMEngine's API (hydrareg.instantiate also takes MMEngine's)"
        )
    if default_args is not None and not isinstance(plain_config(default_args), Mapping):
        raise ConfigTypeError(
            f"default_args should be a dict, ConfigDict, Config or None, but got {type(default_args)}",
            config_path=config_path_of(cfg),
        )
    return cfg


def _as_mapping(cfg: Any, what: str, path: str | None) -> Mapping[str, Any]:
    cfg = plain_config(cfg)
    if isinstance(cfg, dict):
        return cfg
    omegaconf = sys.modules.get("omegaconf")
    if omegaconf is not None and isinstance(cfg, omegaconf.DictConfig):
        return to_config_tree(cfg, path)
    raise ConfigTypeError(
        f"{what} should be a dict, ConfigDict or Config, but got {type(cfg)} (a DictConfig is accepted too)",
        config_path=path,
    )


def resolve_type(obj_type: Any, registry: Registry, path: str | None) -> Any:
    """The callable a ``type`` value names, looked up as a build would (default scope first)."""
    if isinstance(obj_type, str):
        scope = current_scope_name()
        try:
            obj_cls = registry.lookup_for_build(obj_type, scope)
        except HydraregError as exc:  # refused or failed while importing: it happened at path.type
            at_config_path(exc, join_path(path, keys.TYPE) if path is not None else None)
            raise
        if obj_cls is None:
            raise unknown_type_error(obj_type, registry._registry_for_scope(scope), registry, path)
        return obj_cls
    if callable(obj_type):
        return obj_type
    raise ConfigTypeError(
        f"type must be a str or valid type, but got {type(obj_type)}",
        config_path=join_path(path, keys.TYPE),
    )


def unknown_type_error(
    obj_type: str, target: Registry, called: Registry, path: str | None
) -> UnknownTypeError:
    """MMEngine's words first (people search for them), then where we looked and what is close."""
    searched = _suggest.describe_search(obj_type, target, called)
    scope, _ = Registry.split_scope_key(obj_type)
    named = target.find_scope(scope) if scope is not None else None
    target = named or target  # 'mmcls.X' is reported missing from mmcls's registry, where it was sought
    details = [("searched", searched)]
    close = _suggest.close_names(obj_type, target)
    if close:
        details.append(("did you mean", ", ".join(close) + "?"))
    return UnknownTypeError(
        f"{obj_type} is not in the {target.scope}::{target.name} registry",
        config_path=join_path(path, keys.TYPE) if path is not None else None,
        details=details,
    )


def call_with_config_path(
    obj_cls: Any, args: dict[str, Any], path: str | None, positional: Sequence[Any] = ()
) -> Any:
    """Call ``obj_cls(*positional, **args)``; errors are explained with the config path.

    See :func:`_with_config_path` for what happens to an exception.
    """
    try:
        return obj_cls(*positional, **args)
    except Exception as exc:
        error = _with_config_path(exc, obj_cls, args, path, positional)
        if error is exc:
            raise
        raise error from exc


def _with_config_path(
    exc: Exception, obj_cls: Any, args: dict[str, Any], path: str | None, positional: Sequence[Any] = ()
) -> Exception:
    """The exception to raise for ``exc``, raised while calling ``obj_cls`` for ``path``.

    Arguments the callable rejects become a :class:`BuildArgumentError` (chained to the
    original); any other exception keeps its type and gains a note naming the config path (shown
    in tracebacks), so ``except ValueError`` in user code still works.
    """
    foreign_miss = _explain_foreign_miss(exc, args)
    if foreign_miss is not None:
        return foreign_miss
    if isinstance(exc, TypeError) and not isinstance(exc, HydraregError):
        bad_key = config_checks.non_string_key_error(args, path)
        if bad_key is not None:
            return bad_key
        mismatch = _signature_mismatch(obj_cls, args, positional)
        if mismatch is not None:
            return _argument_error(obj_cls, args, path, mismatch)
    note_config_path(exc, getattr(obj_cls, "__qualname__", repr(obj_cls)), path)
    return exc


# MMEngine's words for a miss inside its own build_from_cfg (the runner's and scheduler's lack scope::).
_FOREIGN_MISS = re.compile(r"^(?P<type>\S+) is not in the (?:(?P<scope>[^:\s]+)::)?(?P<name>.+?) registry\.")


def _explain_foreign_miss(exc: Exception, args: Mapping[str, Any]) -> UnknownTypeError | None:
    """An MMEngine "X is not in the s::n registry" from a constructor's own build, explained as ours:
    the config path of the node with that type, where hydrareg's tree looks, and close names."""
    message = exc.args[0] if type(exc) is KeyError and exc.args else None
    match = _FOREIGN_MISS.match(message) if isinstance(message, str) else None
    if match is None:
        return None
    type_name, scope, name = match.group("type", "scope", "name")
    node = _node_named(scope, name)
    details = [("searched", f"{scope or '?'}::{name} (in a build the constructor made through MMEngine)")]
    if node is not None:
        details = [("searched", _suggest.describe_search(type_name, node, node))]
        close = _suggest.close_names(type_name, node)
        if close:
            details.append(("did you mean", ", ".join(close) + "?"))
    return UnknownTypeError(
        f"{type_name} is not in the {scope + '::' if scope else ''}{name} registry",
        config_path=_path_of_type(args, type_name),
        details=details,
    )


def _node_named(scope: str | None, name: str) -> Registry | None:
    """hydrareg's node of the root registry called ``name`` with ``scope`` (the roots are loaded)."""
    root_module = sys.modules.get(f"{__package__}.root")
    for root in getattr(root_module, "ROOT_REGISTRIES", {}).values():
        if root.name == name:
            return root if scope is None else root.find_scope(scope)
    return None


def _path_of_type(value: Any, type_name: str) -> str | None:
    """The config path of ``type`` in the first dict below ``value`` whose ``type`` is ``type_name``."""
    if isinstance(value, ConfigDict) and value.get(keys.TYPE) == type_name and value._hydrareg_path:
        return join_path(value._hydrareg_path, keys.TYPE)
    children = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else ()
    for child in children:
        found = _path_of_type(child, type_name)
        if found is not None:
            return found
    return None


def _signature_mismatch(
    obj_cls: Any, args: dict[str, Any], positional: Sequence[Any] = ()
) -> TypeError | None:
    try:
        signature = inspect.signature(obj_cls)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*positional, **args)
    except TypeError as exc:
        return exc
    return None


def _argument_error(
    obj_cls: Any, args: dict[str, Any], path: str | None, mismatch: TypeError
) -> BuildArgumentError:
    name = getattr(obj_cls, "__qualname__", repr(obj_cls))
    params = _suggest.parameter_names(obj_cls)
    details = []
    unknown = [key for key in args if params is not None and key not in params]
    bad_path = join_path(path, unknown[0]) if unknown and path is not None else path
    for key in unknown:
        close = _suggest.closest(key, params or ())
        if close:
            details.append(("did you mean", f"{key} -> {', '.join(close)}?"))
    if params is not None:
        details.append(("accepts", ", ".join(params) or "(no arguments)"))
    return BuildArgumentError(
        f"{name}() rejected the config's arguments: {mismatch}",
        config_path=bad_path,
        details=details,
    )


def build_model_from_cfg(
    cfg: Any,
    registry: Registry,
    default_args: Mapping[str, Any] | None = None,
) -> Any:
    """Like :func:`build_from_cfg`; a list of configs becomes a ``torch.nn.Sequential`` subclass."""
    if isinstance(cfg, list) or _is_listconfig(cfg):
        from .sequential import Sequential

        items = to_config_tree(cfg, config_path_of(cfg)) if not isinstance(cfg, list) else cfg
        return Sequential(*(build_from_cfg(item, registry, default_args) for item in items))
    return build_from_cfg(cfg, registry, default_args)


def _is_listconfig(cfg: Any) -> bool:
    omegaconf = sys.modules.get("omegaconf")
    return omegaconf is not None and isinstance(cfg, omegaconf.ListConfig)


def build_optimizer_from_cfg(
    cfg: Any,
    registry: Registry,
    default_args: Mapping[str, Any] | None = None,
) -> Any:
    """The OPTIMIZERS build function (MMEngine's only adds a log line about Adafactor)."""
    return build_from_cfg(cfg, registry, default_args)


def build_runner_from_cfg(cfg: Any, registry: Registry) -> Any:
    """Build a runner: ``runner_type`` (default ``'Runner'``) names the class; ``from_cfg(cfg)``."""
    cfg = _checked_cfg(cfg, registry, None, require_type=False)
    args = dict(cfg)
    path = config_path_of(cfg)
    with use_scope(args.pop(keys.SCOPE, None), registry, path):
        runner_type = args.get("runner_type", "Runner")
        if not isinstance(runner_type, str) and not inspect.isclass(runner_type):
            raise ConfigTypeError(
                f"runner_type must be a str or a class, but got {type(runner_type)}",
                config_path=join_path(path, "runner_type"),
            )
        runner_cls = resolve_type(runner_type, registry, path)
        return runner_cls.from_cfg(args)


def build_scheduler_from_cfg(
    cfg: Any,
    registry: Registry,
    default_args: Mapping[str, Any] | None = None,
) -> Any:
    """Build a parameter scheduler; ``convert_to_iter_based=True`` calls ``build_iter_from_epoch``."""
    cfg = _checked_cfg(cfg, registry, default_args)
    args = dict(cfg)
    if default_args is not None:
        for name, value in default_args.items():
            args.setdefault(name, value)
    path = config_path_of(cfg)
    if not args.pop("convert_to_iter_based", False):
        args.pop("epoch_length", None)
        return build_from_cfg(_with_path(args, path), registry)
    if "epoch_length" not in args or not args.get("by_epoch", True):
        raise ConfigValueError(
            "only an epoch-based scheduler (by_epoch=True) with epoch_length set can be "
            "converted to iter-based",
            config_path=path,
        )
    with use_scope(args.pop(keys.SCOPE, None), registry, path):
        scheduler_cls = resolve_type(args.pop(keys.TYPE), registry, path)
        return scheduler_cls.build_iter_from_epoch(**args)


def _with_path(args: dict[str, Any], path: str | None) -> dict[str, Any]:
    return args if path is None else ConfigDict.with_path(args, path)


Registry.default_build_func = staticmethod(build_from_cfg)
