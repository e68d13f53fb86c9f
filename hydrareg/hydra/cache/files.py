"""The first layer: each loaded config file (or ConfigStore entry), checked once and kept per process.

Hydra re-reads and re-parses every config file on every compose (with PyYAML's pure-Python loader).
Here the first load of a file goes through the safety checks of :mod:`hydrareg.hydra.limits`; from its
second load on, a pickled copy is kept, and later loads unpickle it: an independent ``ConfigResult``
(Hydra mutates what it loads), several times faster than parsing.
"""

from __future__ import annotations

import copy
import functools
import itertools
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .validators import pickled, same_version, validator

if TYPE_CHECKING:
    from .store import ConfigCache

__all__ = ["TAG", "FileLayer", "make_load_config", "make_shallow_deepcopy"]

#: The attribute of a loaded ``ConfigResult`` naming the cache entry (and version) it came from.
TAG = "_hydrareg_version"
Key = tuple[str, str, str]


class FileLayer:
    """Loaded ``ConfigResult``s by (source type, source path, config path), with their validators."""

    def __init__(self, cache: ConfigCache) -> None:
        self._cache = cache
        self._entries: dict[Key, tuple[Any, bytes | None, int]] = {}
        self._recipes: dict[Key, Callable[[], Any]] = {}
        self._serial = itertools.count()

    def clear(self) -> None:
        self._entries.clear()
        self._recipes.clear()

    def load(self, source: Any, config_path: str, load: Callable[[Any, str], Any]) -> Any:
        """``load(source, config_path)`` through the cache."""
        stats = self._cache.stats
        version = validator(source, config_path)
        if version is None:
            stats.uncacheable += 1
            return load(source, config_path)
        key = (type(source).__name__, source.path, config_path)
        entry = self._entries.get(key)
        unchanged = entry is not None and same_version(entry[0], version)
        if entry is not None and unchanged and entry[1] is not None:
            stats.hits += 1
            return _tagged(pickle.loads(entry[1]), key, entry[2])
        if not unchanged:  # a new file, or a new version of it: check it before Hydra parses it
            from .. import limits

            limits.check_source_file(source, config_path)
        result = load(source, config_path)
        stats.misses += 1
        # Keep a copy from the second load on: a process that composes once pays nothing.
        blob = pickled(result) if unchanged else None
        serial = entry[2] if entry is not None and unchanged else next(self._serial)
        with self._cache.lock:
            self._entries[key] = (version, blob, serial)
            self._recipes[key] = functools.partial(validator, source, config_path)
        return _tagged(result, key, serial)  # nobody has touched it yet: the blob is a faithful copy

    def is_current(self, tag: tuple[Key, int]) -> bool:
        """Whether the cache entry a result was tagged with is still the file's current version."""
        key, serial = tag
        entry = self._entries.get(key)
        recipe = self._recipes.get(key)
        if entry is None or recipe is None or entry[2] != serial:
            return False
        return same_version(entry[0], recipe())


def _tagged(result: Any, key: Key, serial: int) -> Any:
    setattr(result, TAG, (key, serial))
    return result


def make_load_config(original: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    """A config source's ``load_config`` through :data:`~hydrareg.hydra.cache.CACHE`."""
    from .store import CACHE

    @functools.wraps(original)
    def load_config(self: Any, config_path: str) -> Any:
        return CACHE.files.load(self, config_path, original)

    return load_config


def make_shallow_deepcopy(original: None) -> Callable[[Any, dict[int, Any]], Any]:
    """Copies of a structured source share the ConfigStore instead of deep-copying all of it.

    Hydra deep-copies its config repository for every compose (``CachingConfigRepository``), and
    with it the whole ConfigStore, Hydra's own large structured configs included. The store is a
    process singleton whose ``load`` already returns copies, so sharing it is safe.
    """

    def __deepcopy__(self: Any, memo: dict[int, Any]) -> Any:
        clone = copy.copy(self)
        memo[id(self)] = clone
        return clone

    return __deepcopy__
