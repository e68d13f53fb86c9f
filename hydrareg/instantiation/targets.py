"""``_target_`` strings become callables here, and targets are called here, with Hydra's errors.

:func:`resolve_target` is the one place where a ``_target_`` value turns into a callable (a policy
check belongs there); :func:`call_target` calls it or wraps it in a ``functools.partial``.
"""

from __future__ import annotations

import builtins
import functools
import importlib
from collections.abc import Callable, Sequence
from typing import Any

from hydra.errors import InstantiationException
from omegaconf import OmegaConf

from .. import keys, policy
from ..configdict import join_path
from ..errors import BuildArgumentError, HydraregError
from ..registry.build_functions import call_with_config_path
from .errors import TargetArgumentsError, TargetCallError, TargetLocateError, with_original_type

__all__ = ["call_target", "locate", "resolve_target", "target_name"]


def resolve_target(target: Any, path: str | None, registry: Any = None) -> Callable[..., Any]:
    """The callable a ``_target_`` value names (a dotted path, or already a callable)."""
    if isinstance(target, str):
        where = join_path(path, keys.TARGET) if path else keys.TARGET
        name = target
        policy.check_target_name(name, where)
        policy.check_locate(name, where)  # safe mode: no import outside the allowlist
        try:
            target = policy.check_resolved(name, locate(name), registry or _models(), where)
        except Exception as exc:
            if policy.is_refusal(exc):
                raise
            raise TargetLocateError(
                f"Error locating target '{target}', set env var HYDRA_FULL_ERROR=1 to see chained "
                f"exception.{_full_key(path)}",
                config_path=join_path(path, keys.TARGET) if path else keys.TARGET,
            ) from exc
    if not callable(target):
        raise TargetLocateError(
            f"Expected a callable target, got '{target}' of type '{type(target).__name__}'{_full_key(path)}",
            config_path=join_path(path, keys.TARGET) if path else keys.TARGET,
        )
    return target


def _models() -> Any:
    from ..registry import MODELS

    return MODELS


def locate(path: str) -> Any:
    """The object a dotted path names: the longest importable module prefix, then attributes.

    A single name is looked up in ``builtins`` (``int``). Raises ``ImportError`` with what failed.
    """
    if not path:
        raise ImportError("Empty path")
    parts = path.split(".")
    if not all(parts):
        raise ValueError(f"Error loading '{path}': invalid dotstring.\nRelative imports are not supported.")
    if len(parts) == 1 and hasattr(builtins, path):
        return getattr(builtins, path)
    obj = _import_first(parts[0])
    for index in range(1, len(parts)):
        obj = _attribute_or_submodule(obj, parts, index)
    return obj


def _import_first(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise ImportError(
            f"Error loading '{name}':\n{exc!r}\nAre you sure that module '{name}' is installed?"
        ) from exc


def _attribute_or_submodule(obj: Any, parts: list[str], index: int) -> Any:
    try:
        return getattr(obj, parts[index])
    except AttributeError:
        pass
    module_name = ".".join(parts[: index + 1])
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ImportError(
            f"Error loading '{'.'.join(parts)}':\n{exc!r}\nAre you sure that '{parts[index]}' is "
            f"importable from module '{'.'.join(parts[:index])}'?"
        ) from exc
    except Exception as exc:
        raise ImportError(f"Error loading '{'.'.join(parts)}':\n{exc!r}") from exc


def call_target(
    target: Callable[..., Any], partial: bool, args: Sequence[Any], kwargs: dict[str, Any], path: str | None
) -> Any:
    """``target(*args, **kwargs)`` (or a ``functools.partial`` of it) as Hydra calls a ``_target_``.

    ``_args_`` in ``kwargs`` gives the positional arguments, unless ``args`` (from the call site)
    replaces them. Configs handed over are detached from the tree they were read from.
    """
    args = _positional(target, args, kwargs.pop(keys.ARGS, ()), path)
    for value in (*args, *kwargs.values()):
        if OmegaConf.is_config(value):
            value._set_parent(None)
    if partial:
        return functools.partial(target, *args, **kwargs)
    try:
        return call_with_config_path(target, kwargs, path, args)
    except Exception as exc:
        raise _call_error(target, exc, path) from _original(exc)


def _original(exc: Exception) -> BaseException:
    """The target's own exception (a BuildArgumentError explains a TypeError it chains to)."""
    if isinstance(exc, BuildArgumentError) and exc.__cause__ is not None:
        return exc.__cause__
    return exc


def _call_error(target: Any, exc: Exception, path: str | None) -> Exception:
    """Hydra's message about the target's exception, as an error of the target's exception class too;
    the arguments a target rejected are explained (closest parameter names, what it accepts)."""
    original = _original(exc)
    message = f"Error in call to target '{target_name(target)}':\n{original!r}{_full_key(path)}"
    known_path = exc.config_path if isinstance(exc, HydraregError) and exc.config_path else path
    details = exc.details if isinstance(exc, BuildArgumentError) else ()
    return with_original_type(TargetCallError, original, message, known_path or "", details)  # "": the root


def _positional(target: Any, args: Sequence[Any], configured: Any, path: str | None) -> tuple[Any, ...]:
    if isinstance(configured, Sequence):
        return tuple(args if args else configured)
    cause = InstantiationException(
        f"Unsupported _args_ type: '{type(configured).__name__}'. value: '{configured}'"
    )
    raise TargetArgumentsError(
        f"Error in collecting args and kwargs for '{target_name(target)}':\n{cause!r}{_full_key(path)}",
        config_path=join_path(path, keys.ARGS),
    ) from cause


def target_name(target: Any) -> str:
    """``module.qualname`` of a callable (how Hydra names targets in messages)."""
    if callable(target) and hasattr(target, "__qualname__"):
        return f"{target.__module__}.{target.__qualname__}"
    return str(target)


def _full_key(path: str | None) -> str:
    return f"\nfull_key: {path}" if path else ""
