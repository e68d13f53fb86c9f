"""A per-process cache of loaded config files and composed defaults lists.

Hydra re-reads and re-parses every config file (with PyYAML's pure-Python loader), rebuilds its
own structured configs and merges everything again on every ``compose``, and a multirun composes
each job again. Here the first load of each config keeps a pickled copy of the result; later loads
unpickle it, which gives an independent ``DictConfig`` (Hydra mutates what it loads) several times
faster than parsing. On top, the merge of a whole defaults list is kept, keyed by its entries and
the versions of their files; command-line value overrides are applied by Hydra afterwards, so
``lr=0.1`` and ``lr=0.2`` share one cached merge.

Every hit is validated: files by ``(mtime_ns, size, inode)`` (an edited file is re-read), package
resources likewise when they live on disk, ConfigStore entries by the identity of the stored node
(storing a config again replaces it). It is installed into Hydra's three config sources (``file://``,
``pkg://``, ``structured://``) from ``hydra_plugins/hydrareg_plugin``; installing twice is a no-op.
"""

from __future__ import annotations

import itertools
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["CACHE", "ConfigFileCache", "install_config_cache"]

_MARK = "__hydrareg_cached__"


TAG = "_hydrareg_version"


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    uncacheable: int = 0
    composed_hits: int = 0


def _tagged(result: Any, key: tuple[str, str, str], serial: int) -> Any:
    """Mark a loaded ConfigResult with the version of the cache entry it came from."""
    setattr(result, TAG, (key, serial))
    return result


class ConfigFileCache:
    """Loaded ``ConfigResult``s by (source type, source path, config path), with validators."""

    def __init__(self, max_composed: int = 64) -> None:
        self._entries: dict[tuple[str, str, str], tuple[Any, bytes, int]] = {}
        self._composed: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._max_composed = max_composed
        self._serial = itertools.count()
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._composed.clear()
            self.stats = CacheStats()

    def load(self, source: Any, config_path: str, load: Callable[[Any, str], Any]) -> Any:
        """``load(source, config_path)`` through the cache."""
        validator = _validator(source, config_path)
        if validator is None:
            self.stats.uncacheable += 1
            return load(source, config_path)
        key = (type(source).__name__, source.path, config_path)
        entry = self._entries.get(key)
        if entry is not None and _same(entry[0], validator):
            self.stats.hits += 1
            return _tagged(pickle.loads(entry[1]), key, entry[2])
        result = load(source, config_path)
        try:
            blob = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # a structured config holding something unpicklable: never cache it
            self.stats.uncacheable += 1
            return result
        serial = next(self._serial)
        with self._lock:
            self._entries[key] = (validator, blob, serial)
        self.stats.misses += 1
        return _tagged(result, key, serial)  # nobody has touched it yet: the blob is a faithful copy

    # -------------------------------------------------------------- whole compositions

    def composition_key(self, defaults: list[Any], repo: Any) -> tuple[Any, ...] | None:
        """What a composed defaults list depends on: each entry and the version of its file.

        None when some entry did not come through the cache (it cannot be validated).
        """
        parts = []
        for default in defaults:
            tag = getattr(repo.load_config(default.config_path), TAG, None)
            if tag is None:
                return None
            parts.append((default.config_path, default.package, default.primary, tag))
        return tuple(parts)

    def get_composed(self, key: tuple[Any, ...]) -> Any | None:
        blob = self._composed.get(key)
        if blob is None:
            return None
        self.stats.composed_hits += 1
        return pickle.loads(blob)

    def put_composed(self, key: tuple[Any, ...], cfg: Any) -> None:
        blob = pickle.dumps(cfg, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._composed[key] = blob
            while len(self._composed) > self._max_composed:
                self._composed.popitem(last=False)


#: The process's cache (one per process, like Hydra's own singletons; ``CACHE.clear()`` resets it).
CACHE = ConfigFileCache()


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, tuple) and old and old[0] == "node":
        return isinstance(new, tuple) and new[0] == "node" and old[1] is new[1]
    return old == new


def _validator(source: Any, config_path: str) -> Any:
    """What must be unchanged for a cached load to be valid; None: do not cache."""
    scheme = source.scheme()
    name = source._normalize_file_name(config_path)
    try:
        if scheme == "file":
            return _stat(os.path.join(source.path, name))
        if scheme == "pkg":
            from importlib.resources import files

            resource = files(source.path).joinpath(name)
            return _stat(os.fspath(resource)) if isinstance(resource, os.PathLike) else ("resource", name)
        if scheme == "structured":
            # The live store, not ``source.store``: Hydra deep-copies its sources for every compose.
            from hydra.core.config_store import ConfigStore

            return ("node", ConfigStore.instance()._load(name))
    except Exception:  # missing file or entry: let Hydra raise its own error
        return None
    return None


def _stat(path: str) -> tuple[str, int, int, int]:
    stat = os.stat(path)
    return ("file", stat.st_mtime_ns, stat.st_size, stat.st_ino)


def install_config_cache() -> bool:
    """Route ``load_config`` of Hydra's file, package and structured sources through :data:`CACHE`."""
    try:
        from hydra._internal.core_plugins.file_config_source import FileConfigSource
        from hydra._internal.core_plugins.importlib_resources_config_source import (
            ImportlibResourcesConfigSource,
        )
        from hydra._internal.core_plugins.structured_config_source import StructuredConfigSource
    except ImportError:  # a Hydra whose sources moved: composition still works, uncached
        return False
    for source_type in (FileConfigSource, ImportlibResourcesConfigSource, StructuredConfigSource):
        _wrap(source_type)
    return True


def _wrap(source_type: type) -> None:
    original = source_type.load_config
    if getattr(original, _MARK, False):
        return

    def load_config(self: Any, config_path: str) -> Any:
        return CACHE.load(self, config_path, original)

    setattr(load_config, _MARK, True)
    load_config.__doc__ = original.__doc__
    source_type.load_config = load_config
