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
import sys
from collections.abc import Mapping, Sequence
from typing import Any

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
from .default_scope import ManagerMixin, current_scope_name, reset_context_scope, set_context_scope
from .registry import Registry, warn_unknown_scope

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
        args, path = dict(cfg), cfg._hydrareg_path if kind is ConfigDict else None
    else:
        args, path = _prepared(cfg, registry, default_args)
    scope = args.pop(keys.SCOPE, None)
    token = None if scope is None else _switch_scope(scope, registry, path)
    obj_cls = None
    try:
        obj_type = args.pop(keys.TYPE)
        obj_cls = registry.lookup_for_build(obj_type, current_scope_name()) if type(obj_type) is str else None
        if obj_cls is None or keys.TARGET in args:
            obj_cls = _resolve(obj_type, args, registry, path)
        if isinstance(obj_cls, type) and issubclass(obj_cls, ManagerMixin):
            return _get_instance(obj_cls, args, path)
        return obj_cls(**args)
    except Exception as exc:
        error = _build_error(exc, obj_cls, args, path)
        if error is exc:
            raise
        raise error from exc
    finally:
        if token is not None:
            reset_context_scope(token)


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
        raise ConfigTypeError(f"registry must be a hydrareg Registry object, but got {type(registry)}")
    if default_args is not None and not isinstance(default_args, Mapping):
        raise ConfigTypeError(
            f"default_args should be a dict or None, but got {type(default_args)}",
            config_path=config_path_of(cfg),
        )
    return cfg


def _as_mapping(cfg: Any, what: str, path: str | None) -> Mapping[str, Any]:
    if isinstance(cfg, dict):
        return cfg
    omegaconf = sys.modules.get("omegaconf")
    if omegaconf is not None and isinstance(cfg, omegaconf.DictConfig):
        return to_config_tree(cfg, path)
    raise ConfigTypeError(
        f"{what} should be a dict, ConfigDict or DictConfig, but got {type(cfg)}", config_path=path
    )


def _switch_scope(scope: Any, registry: Registry, path: str | None) -> Any:
    if not isinstance(scope, str):
        raise ConfigTypeError(
            f"{keys.SCOPE} must be a str, but got {type(scope)}",
            config_path=join_path(path, keys.SCOPE),
        )
    if registry.find_scope(scope) is None:
        warn_unknown_scope(scope, registry)
    return set_context_scope(scope)


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
    if isinstance(exc, TypeError) and not isinstance(exc, HydraregError):
        bad_key = config_checks.non_string_key_error(args, path)
        if bad_key is not None:
            return bad_key
        mismatch = _signature_mismatch(obj_cls, args, positional)
        if mismatch is not None:
            return _argument_error(obj_cls, args, path, mismatch)
    note_config_path(exc, getattr(obj_cls, "__qualname__", repr(obj_cls)), path)
    return exc


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
    scope = args.pop(keys.SCOPE, None)
    token = None if scope is None else _switch_scope(scope, registry, path)
    try:
        runner_type = args.get("runner_type", "Runner")
        if not isinstance(runner_type, str) and not inspect.isclass(runner_type):
            raise ConfigTypeError(
                f"runner_type must be a str or a class, but got {type(runner_type)}",
                config_path=join_path(path, "runner_type"),
            )
        runner_cls = resolve_type(runner_type, registry, path)
        return runner_cls.from_cfg(args)
    finally:
        if token is not None:
            reset_context_scope(token)


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
    scope = args.pop(keys.SCOPE, None)
    token = None if scope is None else _switch_scope(scope, registry, path)
    try:
        scheduler_cls = resolve_type(args.pop(keys.TYPE), registry, path)
        return scheduler_cls.build_iter_from_epoch(**args)
    finally:
        if token is not None:
            reset_context_scope(token)


def _with_path(args: dict[str, Any], path: str | None) -> dict[str, Any]:
    return args if path is None else ConfigDict.with_path(args, path)
