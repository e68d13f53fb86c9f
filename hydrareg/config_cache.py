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

import copy
import functools
import itertools
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["CACHE", "ConfigFileCache", "install_config_cache"]

_MARK = "__hydrareg_cached__"


TAG = "_hydrareg_version"


class CacheStats:
    """How often each layer of the cache answered (for tests and curiosity)."""

    __slots__ = ("composed_hits", "defaults_hits", "hits", "loaded_hits", "misses", "uncacheable")

    def __init__(self) -> None:
        self.hits = self.misses = self.uncacheable = 0
        self.composed_hits = self.defaults_hits = self.loaded_hits = 0

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)}" for name in self.__slots__)
        return f"CacheStats({fields})"


def _pickled(value: Any) -> bytes | None:
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # e.g. a structured config holding something unpicklable: never cached
        return None


def _tagged(result: Any, key: tuple[str, str, str], serial: int) -> Any:
    """Mark a loaded ConfigResult with the version of the cache entry it came from."""
    setattr(result, TAG, (key, serial))
    return result


class ConfigFileCache:
    """Loaded ``ConfigResult``s by (source type, source path, config path), with validators."""

    def __init__(self, max_composed: int = 64) -> None:
        self._entries: dict[tuple[str, str, str], tuple[Any, bytes, int]] = {}
        self._recipes: dict[tuple[str, str, str], Callable[[], Any]] = {}
        self._defaults: OrderedDict[tuple[Any, ...], tuple[list[tuple[Any, ...]], bytes]] = OrderedDict()
        # config path -> the validated version used by the defaults list being composed right now
        self._current_tags: dict[str, Any] = {}
        # what the last defaults list depended on (None: it could not be recorded)
        self._last_calls: list[tuple[Any, ...]] | None = None
        self._loaded: OrderedDict[tuple[Any, ...], tuple[list[tuple[Any, ...]], bytes | None]] = OrderedDict()
        self._multirun = False  # a multirun was composed in this process
        self._composed: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._max_composed = max_composed
        self._serial = itertools.count()
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._recipes.clear()
            self._composed.clear()
            self._defaults.clear()
            self._loaded.clear()
            self._multirun = False
            self.stats = CacheStats()

    def load(self, source: Any, config_path: str, load: Callable[[Any, str], Any]) -> Any:
        """``load(source, config_path)`` through the cache."""
        validator = _validator(source, config_path)
        if validator is None:
            self.stats.uncacheable += 1
            return load(source, config_path)
        key = (type(source).__name__, source.path, config_path)
        entry = self._entries.get(key)
        unchanged = entry is not None and _same(entry[0], validator)
        if unchanged and entry[1] is not None:
            self.stats.hits += 1
            return _tagged(pickle.loads(entry[1]), key, entry[2])
        result = load(source, config_path)
        self.stats.misses += 1
        # Keep a copy from the second load on: a process that composes once pays nothing.
        blob = _pickled(result) if unchanged else None
        serial = entry[2] if unchanged else next(self._serial)
        with self._lock:
            self._entries[key] = (validator, blob, serial)
            self._recipes[key] = functools.partial(_validator, source, config_path)
        return _tagged(result, key, serial)  # nobody has touched it yet: the blob is a faithful copy

    # -------------------------------------------------------------- whole compositions

    def composition_key(self, defaults: list[Any], repo: Any) -> tuple[Any, ...] | None:
        """What a composed defaults list depends on: each entry and the version of its file.

        None when some entry did not come through the cache (it cannot be validated).
        """
        parts = []
        for default in defaults:
            tag = self._current_tags.get(default.config_path)
            if tag is None:
                tag = getattr(repo.load_config(default.config_path), TAG, None)
            if tag is None:
                return None
            parts.append((default.config_path, default.package, default.primary, tag))
        return tuple(parts)

    def is_current(self, tag: tuple[tuple[str, str, str], int]) -> bool:
        """Whether the cache entry a result was tagged with is still the file's current version."""
        key, serial = tag
        entry = self._entries.get(key)
        recipe = self._recipes.get(key)
        if entry is None or recipe is None or entry[2] != serial:
            return False
        return _same(entry[0], recipe())

    # -------------------------------------------------------------- defaults lists

    def create_defaults_list(
        self,
        create: Callable[..., Any],
        repo: Any,
        config_name: Any,
        overrides_list: list[Any],
        prepend_hydra: bool,
        skip_missing: bool,
    ) -> Any:
        """Hydra's ``create_defaults_list``, reused while every answer it relied on is unchanged."""
        key, value_overrides = _defaults_key(repo, config_name, overrides_list, prepend_hydra, skip_missing)
        if key is not None:
            cached = self._defaults.get(key)
            if (
                cached is not None
                and cached[1] is not None
                and all(_still(call, repo, self) for call in cached[0])
            ):
                self.stats.defaults_hits += 1
                self._current_tags = _load_tags(cached[0])
                self._last_calls = cached[0]
                result = pickle.loads(cached[1])
                # Value overrides (lr=0.1) are not part of the key: this call's own are applied.
                result.config_overrides = value_overrides
                result.overrides.config_overrides = value_overrides
                return result
        recording = _RecordingRepository(repo)
        result = create(recording, config_name, overrides_list, prepend_hydra, skip_missing)
        self._current_tags = _load_tags(recording.calls)
        self._last_calls = recording.calls if key is not None and recording.cacheable else None
        if key is not None and recording.cacheable:
            seen = key in self._defaults
            blob = _pickled(result) if seen else None
            with self._lock:
                self._defaults[key] = (recording.calls, blob)
                while len(self._defaults) > self._max_composed:
                    self._defaults.popitem(last=False)
        return result

    # -------------------------------------------------------------- whole configurations

    def load_configuration(self, load: Callable[..., Any], loader: Any, *args: Any) -> Any:
        """Hydra's ``load_configuration`` (config name, overrides, run mode, ...), remembered.

        A multirun composes every job twice with the same arguments (the sweeper validates the
        batch, then each job is launched); a single run composes twice as well. The result is
        reused while everything it depended on is unchanged: the files and answers recorded for
        its defaults list, the search path, the working directory and the environment.
        """
        repo = loader.repository
        hashable = tuple(tuple(arg) if isinstance(arg, list) else arg for arg in args)
        key = (*hashable, _sources(repo), os.getcwd(), _job_name(), frozenset(os.environ.items()))
        cached = self._loaded.get(key)
        if cached is not None and cached[1] is not None and self._still_valid(cached[0], repo):
            self.stats.loaded_hits += 1
            self._loaded.move_to_end(key)
            return pickle.loads(cached[1])
        self._last_calls = None
        cfg = load(loader, *args)
        calls = self._last_calls
        if calls is not None:
            # In a multirun each job's config is composed twice: keep a copy from the first time.
            # Otherwise from the second (a process that composes once pays nothing).
            keep = self._multirun or cached is not None
            with self._lock:
                self._loaded[key] = (calls, _pickled(cfg) if keep else None)
                while len(self._loaded) > self._max_composed:
                    self._loaded.popitem(last=False)
        if _is_multirun(args):
            self._multirun = True
        return cfg

    def _still_valid(self, calls: list[tuple[Any, ...]], repo: Any) -> bool:
        return all(_still(call, repo, self) for call in calls)

    def get_composed(self, key: tuple[Any, ...]) -> Any | None:
        blob = self._composed.get(key)
        if blob is None:
            return None
        self.stats.composed_hits += 1
        return pickle.loads(blob)

    def put_composed(self, key: tuple[Any, ...], cfg: Any) -> None:
        """Keep a copy of a composition seen for the second time (``None`` marks the first)."""
        blob = _pickled(cfg) if key in self._composed else None
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
            resource = _package_files(source.path).joinpath(name)
            return _stat(os.fspath(resource)) if isinstance(resource, os.PathLike) else ("resource", name)
        if scheme == "structured":
            # The live store, not ``source.store``: Hydra deep-copies its sources for every compose.
            from hydra.core.config_store import ConfigStore

            return ("node", ConfigStore.instance()._load(name))
    except Exception:  # missing file or entry: let Hydra raise its own error
        return None
    return None


def _defaults_key(
    repo: Any, config_name: Any, overrides_list: list[Any], prepend_hydra: bool, skip_missing: bool
) -> tuple[tuple[Any, ...] | None, list[Any]]:
    """The key of a defaults list, and the value overrides (which do not change it).

    Overrides are told apart as Hydra's ``Overrides`` does: an override of a config group that
    exists, and whose value is not a dict, chooses options; every other one sets values.
    """
    choices, values = [], []
    for override in overrides_list:
        line = getattr(override, "input_line", None)
        if line is None:
            return None, values
        if override.is_sweep_override():
            choices.append(line)
        elif isinstance(override.value(), dict) or not repo.group_exists(override.key_or_group):
            values.append(override)
        else:
            choices.append(line)
    return (config_name, tuple(choices), prepend_hydra, skip_missing, _sources(repo)), values


def _is_multirun(args: tuple[Any, ...]) -> bool:
    from hydra.types import RunMode

    return len(args) > 2 and args[2] == RunMode.MULTIRUN


def _sources(repo: Any) -> tuple[str, ...]:
    return tuple(f"{source.scheme()}://{source.path}" for source in repo.get_sources())


def _job_name() -> Any:
    from hydra.core.utils import JobRuntime

    runtime = JobRuntime.instance()
    return runtime.get("name") if "name" in runtime.conf else None


class _RecordingRepository:
    """Passes a config repository through and records every question asked and its answer."""

    def __init__(self, repo: Any) -> None:
        self._repo = repo
        self.calls: list[tuple[Any, ...]] = []
        self.cacheable = True

    def load_config(self, config_path: str) -> Any:
        result = self._repo.load_config(config_path)
        tag = None if result is None else getattr(result, TAG, None)
        if result is not None and tag is None:
            self.cacheable = False  # came from a source the cache cannot validate
        self.calls.append(("load_config", (config_path,), {}, tag))
        return result

    def config_exists(self, config_path: str) -> bool:
        return self._record("config_exists", config_path)

    def group_exists(self, config_path: str) -> bool:
        return self._record("group_exists", config_path)

    def get_group_options(self, *args: Any, **kwargs: Any) -> Any:
        return self._record("get_group_options", *args, **kwargs)

    def get_sources(self) -> Any:
        return self._record("get_sources")

    def _record(self, name: str, *args: Any, **kwargs: Any) -> Any:
        answer = getattr(self._repo, name)(*args, **kwargs)
        self.calls.append((name, args, kwargs, _fingerprint(answer)))
        return answer

    def __getattr__(self, name: str) -> Any:
        self.cacheable = False  # a question we do not know how to replay
        return getattr(self._repo, name)


def _load_tags(calls: list[tuple[Any, ...]]) -> dict[str, Any]:
    return {call[1][0]: call[3] for call in calls if call[0] == "load_config" and call[3] is not None}


def _fingerprint(answer: Any) -> Any:
    if isinstance(answer, list):
        return (
            tuple(answer)
            if all(isinstance(item, str) for item in answer)
            else tuple(f"{item.scheme()}://{item.path}" for item in answer)
        )
    return answer


def _still(call: tuple[Any, ...], repo: Any, cache: ConfigFileCache) -> bool:
    """Whether ``repo`` would answer a recorded call the same way now."""
    name, args, kwargs, answer = call
    if name == "load_config":
        if answer is None:
            return not repo.config_exists(*args)
        return cache.is_current(answer)
    return _fingerprint(getattr(repo, name)(*args, **kwargs)) == answer


@functools.lru_cache(maxsize=64)
def _package_files(package: str) -> Any:
    from importlib.resources import files

    return files(package)


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
    _share_the_config_store(StructuredConfigSource)
    _wrap_defaults_list()
    _wrap_load_configuration()
    return True


def _wrap_load_configuration() -> None:
    """Route ``ConfigLoaderImpl.load_configuration`` through :data:`CACHE`."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    original = ConfigLoaderImpl.load_configuration
    if getattr(original, _MARK, False):
        return
    parameters = ("config_name", "overrides", "run_mode", "from_shell", "validate_sweep_overrides")
    defaults = (True, True)

    def load_configuration(self: Any, *args: Any, **kwargs: Any) -> Any:
        values = list(args) + [kwargs.pop(name) for name in parameters[len(args) :] if name in kwargs]
        if kwargs or len(values) < 3:  # an unexpected call shape: no caching
            return original(self, *args, **kwargs)
        values += list(defaults[len(values) - 3 :])
        config_name, overrides, run_mode, from_shell, validate = values
        return CACHE.load_configuration(
            original, self, config_name, list(overrides), run_mode, from_shell, validate
        )

    setattr(load_configuration, _MARK, True)
    ConfigLoaderImpl.load_configuration = load_configuration


def _share_the_config_store(source_type: type) -> None:
    """Copies of a structured source share the ConfigStore instead of deep-copying all of it.

    Hydra deep-copies its config repository for every compose (``CachingConfigRepository``),
    and with it the whole ConfigStore, Hydra's own large structured configs included. The store
    is a process singleton whose ``load`` already returns copies, so sharing it is safe.
    """
    if getattr(source_type, "__deepcopy__", None) is not None:
        return

    def __deepcopy__(self: Any, memo: dict[int, Any]) -> Any:
        clone = copy.copy(self)
        memo[id(self)] = clone
        return clone

    source_type.__deepcopy__ = __deepcopy__


def _wrap_defaults_list() -> None:
    """Route the config loader's ``create_defaults_list`` through :data:`CACHE`."""
    from hydra._internal import config_loader_impl

    original = config_loader_impl.create_defaults_list
    if getattr(original, _MARK, False):
        return

    def create_defaults_list(
        repo: Any, config_name: Any, overrides_list: Any, prepend_hydra: bool, skip_missing: bool
    ) -> Any:
        return CACHE.create_defaults_list(
            original, repo, config_name, overrides_list, prepend_hydra, skip_missing
        )

    setattr(create_defaults_list, _MARK, True)
    config_loader_impl.create_defaults_list = create_defaults_list


def _wrap(source_type: type) -> None:
    original = source_type.load_config
    if getattr(original, _MARK, False):
        return

    def load_config(self: Any, config_path: str) -> Any:
        return CACHE.load(self, config_path, original)

    setattr(load_config, _MARK, True)
    load_config.__doc__ = original.__doc__
    source_type.load_config = load_config
