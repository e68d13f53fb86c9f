"""A constructor's parameters and annotations, and whether config values fit them.

Only signatures and annotations are read (``inspect.signature``); nothing is called. A value whose
fit cannot be told (an unknown annotation, a value a resolver computes at run time) is accepted.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import os
import types
import typing
from typing import Any

from omegaconf import DictConfig, ListConfig


@functools.lru_cache(maxsize=2048)
def signature_of(obj: Any) -> inspect.Signature | None:
    """``obj``'s signature with annotations evaluated where possible; None if it has none."""
    for eval_str in (True, False):
        try:
            return inspect.signature(obj, eval_str=eval_str)
        except (NameError, TypeError, SyntaxError, AttributeError):
            continue
        except ValueError:
            return None
    return None


def accepts_any_keyword(signature: inspect.Signature) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())


def keyword_names(signature: inspect.Signature) -> list[str]:
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in signature.parameters.values() if p.kind in kinds]


def required_names(signature: inspect.Signature) -> list[str]:
    """Parameters without a default (``*args``/``**kwargs`` excluded)."""
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p.name for p in signature.parameters.values() if p.default is p.empty and p.kind not in variadic]


def fits(value: Any, annotation: Any, default: Any = inspect.Parameter.empty) -> bool | None:
    """True/False when a config ``value`` does/does not fit ``annotation``; None when unknowable."""
    if value is None and default is None:
        return True
    if annotation in (inspect.Parameter.empty, Any, object) or isinstance(annotation, str):
        return None
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        results = [fits(value, arg) for arg in typing.get_args(annotation)]
        return True if True in results else None if None in results else False
    if origin is typing.Literal:
        return value in typing.get_args(annotation)
    return _fits_class(value, origin or annotation, typing.get_args(annotation))


def _fits_class(value: Any, cls: Any, args: tuple[Any, ...]) -> bool | None:
    if value is None:
        return cls is type(None)
    if not isinstance(cls, type):
        return None
    if cls is bool:
        return isinstance(value, bool)
    if cls in (int, float, complex):
        return isinstance(value, (int, float) if cls is not int else int) and not isinstance(value, bool)
    if cls is str:
        return isinstance(value, str)
    if issubclass(cls, (os.PathLike,)):
        return isinstance(value, str) or None
    if isinstance(value, (dict, DictConfig)):
        return _fits_mapping(value, cls)
    if isinstance(value, (list, tuple, ListConfig)):
        return _fits_sequence(value, cls, args)
    if issubclass(cls, collections.abc.Collection) and not issubclass(cls, (str, bytes)):
        return False  # a scalar where a list or dict belongs
    return None


def _fits_mapping(value: Any, cls: type) -> bool | None:
    if issubclass(cls, collections.abc.Mapping) or cls is dict:
        return True
    if cls in (list, tuple, set, frozenset, str, bytes):
        return False
    return None  # a dict for a class: MMEngine-style constructors build it themselves


def _fits_sequence(value: Any, cls: type, args: tuple[Any, ...]) -> bool | None:
    if cls in (str, bytes) or issubclass(cls, collections.abc.Mapping):
        return False
    if not issubclass(cls, collections.abc.Iterable):
        return None
    if cls is tuple and args and args[-1] is not Ellipsis and len(args) != len(value):
        return False
    item_type = args[0] if args and (cls is not tuple or args[-1] is Ellipsis or len(args) == 1) else None
    if item_type is None:
        return True
    results = [fits(item, item_type) for item in value]
    return False not in results
