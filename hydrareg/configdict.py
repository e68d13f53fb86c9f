"""``ConfigDict``: the plain dict a constructor receives, remembering where in the config it came from.

``hydrareg.instantiate`` hands nested configs to constructors as ConfigDicts (MMEngine semantics: a
detector receives its ``backbone`` as a dict and builds it). Each one carries its dotted config
path, so an error in a nested ``MODELS.build(backbone)`` still names ``model.backbone.type``.
They are real ``dict`` subclasses with no ``${...}`` left, and allow attribute access like
MMEngine's ConfigDict (``cfg.type``), so constructors written for MMEngine keep working.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from .config_checks import MAX_DEPTH, TooDeep, too_deep_error

__all__ = ["ConfigDict", "config_path_of", "join_path", "to_config_tree", "to_plain"]


class ConfigDict(dict):
    """A dict with attribute access and a remembered config path (see :func:`config_path_of`).

    ``ConfigDict(...)`` takes what ``dict(...)`` takes and has no path;
    ``ConfigDict.with_path(items, "model.backbone")`` sets one. (There is no ``__init__``:
    construction stays as fast as a dict's, which matters when building big trees.)
    """

    __slots__ = ("_hydrareg_path",)

    @classmethod
    def with_path(cls, items: Any, path: str | None) -> ConfigDict:
        """A ConfigDict of ``items`` that remembers it was read from config path ``path``."""
        obj = cls(items)
        _set_path(obj, path)
        return obj

    def __getattr__(self, name: str) -> Any:
        if name == "_hydrareg_path":  # never set: constructed without a path
            return None
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__} at {self._hydrareg_path or '<root>'} has no key {name!r}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def copy(self) -> ConfigDict:
        return ConfigDict.with_path(self, self._hydrareg_path)

    def __copy__(self) -> ConfigDict:
        return self.copy()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (dict(self), self._hydrareg_path))

    def to_dict(self) -> dict[str, Any]:
        """A plain, deep ``dict``/``list`` copy (for JSON, YAML or code that checks ``type(x) is dict``)."""
        return to_plain(self)


_set_path = ConfigDict._hydrareg_path.__set__  # type: ignore[attr-defined]


def _rebuild(items: dict[str, Any], path: str | None) -> ConfigDict:
    return ConfigDict.with_path(items, path)


def to_plain(value: Any) -> Any:
    """``value`` with every dict (ConfigDicts included) a plain ``dict``, deeply."""
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(to_plain(item) for item in value)
    return value


def config_path_of(cfg: Any) -> str | None:
    """The dotted config path ``cfg`` was read from (``'model.neck.blocks[2]'``), or None."""
    if isinstance(cfg, ConfigDict):
        return cfg._hydrareg_path
    omegaconf = sys.modules.get("omegaconf")
    if omegaconf is not None and isinstance(cfg, omegaconf.Container):
        return omegaconf_path(cfg)
    return None


def join_path(path: str | None, key: Any) -> str:
    """``join_path('model', 'neck')`` -> ``'model.neck'``; an int key gives ``'model.blocks[2]'``."""
    if isinstance(key, int):
        return f"{path or ''}[{key}]"
    return f"{path}.{key}" if path else str(key)


def omegaconf_path(node: Any) -> str:
    """The dotted path of an OmegaConf node, with list indices in brackets (unlike ``full_key``)."""
    keys = []
    while True:
        parent = node._get_parent()
        if parent is None:
            break
        keys.append(node._key())
        node = parent
    path = ""
    for key in reversed(keys):
        path = join_path(path, key)
    return path


def to_config_tree(
    value: Any,
    path: str | None = "",
    drop: frozenset[str] = frozenset(),
    dropped: list[str] | None = None,
) -> Any:
    """A fresh copy of ``value`` with every mapping a :class:`ConfigDict` that knows its path.

    OmegaConf containers are resolved first (no ``${...}`` left; a missing ``???`` raises);
    tuples stay tuples. Keys in ``drop`` are left out, and their paths appended to ``dropped``.
    The input is never modified, and nothing in the result is shared with it except leaf values.
    """
    omegaconf = sys.modules.get("omegaconf")
    try:
        if omegaconf is not None and isinstance(value, omegaconf.Container):
            value = omegaconf.OmegaConf.to_container(value, resolve=True, throw_on_missing=True)
        return _tree(value, path, drop, dropped if dropped is not None else [], MAX_DEPTH)
    except TooDeep as exc:
        raise too_deep_error(value, exc.path) from None
    except RecursionError:  # inside OmegaConf: a DictConfig nested deeper than Python's stack allows
        raise too_deep_error(value, path, "Python's recursion limit lets OmegaConf resolve") from None


def _tree(value: Any, path: str | None, drop: frozenset[str], dropped: list[str], room: int) -> Any:
    """The copy; ``room`` is how many more levels may nest (``MAX_DEPTH`` at the root)."""
    kind = type(value)
    if kind is dict or kind is ConfigDict or (kind not in _SCALARS and isinstance(value, Mapping)):
        if not room:
            raise TooDeep(path)
        obj = ConfigDict(value)  # copies every item at C speed; containers are replaced below
        if drop and not drop.isdisjoint(obj):
            for key in drop.intersection(obj):
                dropped.append(join_path(path, key))
                del obj[key]
        for key, item in value.items():
            if type(item) not in _SCALARS and key in obj:
                obj[key] = _tree(item, join_path(path, key), drop, dropped, room - 1)
        _set_path(obj, path)
        return obj
    if kind is list or kind is tuple:
        if not room:
            raise TooDeep(path)
        items = [
            item if type(item) in _SCALARS else _tree(item, join_path(path, index), drop, dropped, room - 1)
            for index, item in enumerate(value)
        ]
        return items if kind is list else tuple(items)
    return value


_SCALARS = frozenset({int, float, str, bool, type(None)})
