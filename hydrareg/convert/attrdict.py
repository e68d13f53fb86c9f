"""The dict that MMEngine's loader hands to config code as ``_base_``, with its exact semantics.

A config that edits what it inherits (``_base_.model.pop('x')``, ``_base_.a.b.update(c=1)``,
``detector = _base_.model`` followed by ``del _base_.model``) only gets MMEngine's result if these
objects behave like MMEngine's ``ConfigDict`` (reference #52-#56): storing a plain dict or a list
stores a converted *copy*, ``update`` merges nested dicts, ``pop`` defaults to None, attributes
read keys. Plain ``dict(...)`` values that the config builds itself stay plain dicts, as in
MMEngine.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

from .. import keys

__all__ = ["ATTRDICT_METHODS", "AttrDict", "plain"]


class AttrDict(dict):
    """A dict that converts what is stored in it and merges on ``update``, like a ConfigDict."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        for arg in args:
            if not arg:
                continue
            for key, value in dict.items(arg) if isinstance(arg, dict) else arg:
                self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    @classmethod
    def convert(cls, value: Any) -> Any:
        """What storing ``value`` stores: plain dicts become AttrDicts, lists/tuples are rebuilt."""
        if type(value) in (dict, OrderedDict):
            return cls(value)
        if isinstance(value, (list, tuple)):
            return type(value)(cls.convert(item) for item in value)
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        dict.__setitem__(self, key, self.convert(value))

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Merge: a dict value goes into an existing dict value instead of replacing it."""
        if len(args) > 1:
            raise TypeError("update only accept one positional argument")
        other: dict[Any, Any] = {}
        if args:
            other.update(dict.items(args[0]))
        other.update(kwargs)
        for key, value in other.items():
            current = self.get(key)
            if key in self and isinstance(current, dict) and isinstance(value, dict):
                current.update(value)
            else:
                self[key] = value

    def pop(self, key: Any, default: Any = None) -> Any:
        """Remove ``key`` and return its value, or ``default`` (None) when it is absent."""
        return dict.pop(self, key, default)

    def copy(self) -> AttrDict:
        """A shallow copy; lists are rebuilt, as storing them rebuilds them."""
        other = AttrDict()
        for key, value in dict.items(self):
            other[key] = value
        return other

    __copy__ = copy

    def __deepcopy__(self, memo: dict[int, Any]) -> AttrDict:
        other = AttrDict()
        memo[id(self)] = other
        for key, value in dict.items(self):
            other[copy.deepcopy(key, memo)] = copy.deepcopy(value, memo)
        return other

    def to_dict(self) -> dict[Any, Any]:
        """A plain deep copy (``ConfigDict.to_dict``)."""
        return plain(self)

    def merge(self, other: dict[Any, Any]) -> None:
        """``ConfigDict.merge``: merge ``other`` in, honouring ``_delete_`` in it."""
        merged = _merge_with_delete(copy.deepcopy(other), copy.deepcopy(self))
        self.clear()
        for key, value in merged.items():
            self[key] = value


_MISSING = object()


def _merge_with_delete(a: Any, b: Any) -> Any:
    if not isinstance(a, dict):
        return b if a is _MISSING else a
    if not isinstance(b, dict):
        a.pop(keys.DELETE, None)
        return a
    if a.pop(keys.DELETE, False):
        b.clear()
    return {
        key: _merge_with_delete(a.get(key, _MISSING), b.get(key, _MISSING))
        for key in [*b, *a]
        if key != keys.DELETE
    }


#: Names that are methods on an AttrDict; every other attribute name reads a key.
ATTRDICT_METHODS = frozenset(
    {
        "clear",
        "copy",
        "get",
        "items",
        "keys",
        "merge",
        "pop",
        "popitem",
        "setdefault",
        "to_dict",
        "update",
        "values",
    }
)


def plain(value: Any) -> Any:
    """Plain dicts all the way down (tuples stay tuples, other values are shared)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in dict.items(value)}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(plain(item) for item in value)
    return value
