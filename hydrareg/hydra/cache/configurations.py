"""The upper layers: merged defaults lists, and whole configurations.

A merge is keyed by the defaults list's entries and the versions of their files (from the
:class:`~hydrareg.hydra.cache.context.ComposeState` the defaults-list layer filled). A whole
configuration (Hydra's ``load_configuration``: config name, overrides, run mode, ...) is reused while
everything it depended on is unchanged: the files and answers recorded for its defaults list, the
search path, the working directory, the job name and the environment.
"""

from __future__ import annotations

import functools
import os
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .bounded import BoundedLayer
from .context import Call, composing, current_state
from .defaults import sources_of, still_true
from .files import TAG
from .validators import pickled

if TYPE_CHECKING:
    pass

__all__ = ["ConfigurationLayer", "MergeLayer", "make_load_configuration"]

_PARAMETERS = ("config_name", "overrides", "run_mode", "from_shell", "validate_sweep_overrides")


class MergeLayer(BoundedLayer):
    """Merged defaults lists (pickled), kept from the second time one is seen."""

    def key(self, defaults: list[Any], repo: Any) -> tuple[Any, ...] | None:
        """Each entry of the defaults list and the version of its file; None when one cannot be validated."""
        tags = current_state().tags
        parts = []
        for default in defaults:
            tag = tags.get(default.config_path)
            if tag is None:
                tag = getattr(repo.load_config(default.config_path), TAG, None)
            if tag is None:
                return None
            parts.append((default.config_path, default.package, default.primary, tag))
        return tuple(parts)

    def get(self, key: tuple[Any, ...]) -> Any | None:
        blob = self._entries.get(key)
        if blob is None:
            return None
        self._cache.stats.composed_hits += 1
        return pickle.loads(blob)

    def put(self, key: tuple[Any, ...], cfg: Any) -> None:
        """Keep a copy of a merge seen for the second time (``None`` marks the first)."""
        self._store(key, pickled(cfg) if key in self._entries else None)


class ConfigurationLayer(BoundedLayer):
    """Whole configurations by the arguments of ``load_configuration`` and their surroundings."""

    def load(self, load: Callable[..., Any], loader: Any, *args: Any) -> Any:
        """``load(loader, *args)``, remembered: a multirun composes each job twice with the same arguments."""
        repo = loader.repository
        hashable = tuple(tuple(arg) if isinstance(arg, list) else arg for arg in args)
        key = (*hashable, sources_of(repo), os.getcwd(), _job_name(), frozenset(os.environ.items()))
        cached = self._entries.get(key)
        if cached is not None and cached[1] is not None and self._still_valid(cached[0], repo):
            self._cache.stats.loaded_hits += 1
            self._entries.move_to_end(key)
            return pickle.loads(cached[1])
        with composing() as state:
            cfg = load(loader, *args)
        if state.calls is not None:
            # In a multirun keep a copy from the first time, otherwise from the second.
            keep = self._cache.multirun or cached is not None
            self._store(key, (state.calls, pickled(cfg) if keep else None))
        if _is_multirun(args):
            self._cache.multirun = True
        return cfg

    def _still_valid(self, calls: list[Call], repo: Any) -> bool:
        return all(still_true(call, repo, self._cache) for call in calls)


def _is_multirun(args: tuple[Any, ...]) -> bool:
    from hydra.types import RunMode

    return len(args) > 2 and args[2] == RunMode.MULTIRUN


def _job_name() -> Any:
    from hydra.core.utils import JobRuntime

    runtime = JobRuntime.instance()
    return runtime.get("name") if "name" in runtime.conf else None


def make_load_configuration(original: Callable[..., Any]) -> Callable[..., Any]:
    """``ConfigLoaderImpl.load_configuration`` through :data:`~hydrareg.hydra.cache.CACHE`."""
    from .store import CACHE

    @functools.wraps(original)
    def load_configuration(self: Any, *args: Any, **kwargs: Any) -> Any:
        values = _bind(args, kwargs)
        if values is None:  # an unexpected call shape: not cached
            with composing():
                return original(self, *args, **kwargs)
        return CACHE.configurations.load(original, self, *values)

    return load_configuration


def _bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any] | None:
    """``load_configuration``'s arguments in order, defaults filled in; None for another call shape."""
    named = dict(zip(_PARAMETERS, args, strict=False))
    if len(args) > len(_PARAMETERS) or not set(kwargs) <= set(_PARAMETERS) or set(named) & set(kwargs):
        return None
    named.update(kwargs)
    if not {"config_name", "overrides", "run_mode"} <= named.keys():
        return None
    defaults = {"from_shell": True, "validate_sweep_overrides": True}
    values: list[Any] = [named.get(name, defaults.get(name)) for name in _PARAMETERS]
    values[1] = list(values[1])
    return values
