"""The second layer: defaults lists, kept with every question they asked of the config sources.

A defaults list is reused while every recorded question (does this config exist, which options has
that group, which version of a file was loaded) still gets the same answer. Command-line value
overrides (``lr=0.1``) are not part of the key: ``lr=0.1`` and ``lr=0.2`` share one defaults list.
A cycle in the defaults (``a`` includes ``b`` includes ``a``) is an error naming the files.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .bounded import BoundedLayer
from .context import Call, current_state
from .files import TAG
from .validators import answer_fingerprint, pickled

if TYPE_CHECKING:
    from .store import ConfigCache

__all__ = ["DefaultsLayer", "RecordingRepository", "make_create_defaults_list", "sources_of", "still_true"]


class DefaultsLayer(BoundedLayer):
    """Defaults lists by (config name, group choices, flags, search path): (recorded calls, pickled copy)."""

    def create(
        self, create: Callable[..., Any], repo: Any, config_name: Any, overrides: list[Any], *flags: Any
    ) -> Any:
        """Hydra's ``create_defaults_list(repo, config_name, overrides, prepend_hydra, skip_missing)``."""
        key, value_overrides = _defaults_key(repo, config_name, overrides, flags)
        state = current_state()
        cached = None if key is None else self._entries.get(key)
        if cached is not None and cached[1] is not None and self._still_valid(cached[0], repo):
            self._cache.stats.defaults_hits += 1
            state.tags, state.calls = _load_tags(cached[0]), cached[0]
            result = pickle.loads(cached[1])
            # Value overrides (lr=0.1) are not part of the key: this call's own are applied.
            result.config_overrides = value_overrides
            result.overrides.config_overrides = value_overrides
            return result
        recording = RecordingRepository(repo)
        try:
            result = create(recording, config_name, overrides, *flags)
        except RecursionError:
            raise _cycle_error(recording, config_name) from None
        state.tags = _load_tags(recording.calls)
        state.calls = recording.calls if key is not None and recording.cacheable else None
        if state.calls is not None and key is not None:
            self._keep(key, recording.calls, result)
        return result

    def _keep(self, key: tuple[Any, ...], calls: list[Call], result: Any) -> None:
        self._store(key, (calls, pickled(result) if key in self._entries else None))

    def _still_valid(self, calls: list[Call], repo: Any) -> bool:
        return all(still_true(call, repo, self._cache) for call in calls)


def _defaults_key(
    repo: Any, config_name: Any, overrides: list[Any], flags: tuple[Any, ...]
) -> tuple[tuple[Any, ...] | None, list[Any]]:
    """The key of a defaults list, and the value overrides (which do not change it).

    Overrides are told apart as Hydra's ``Overrides`` does: an override of a config group that
    exists, and whose value is not a dict, chooses options; every other one sets values.
    """
    choices: list[str] = []
    values: list[Any] = []
    for override in overrides:
        line = getattr(override, "input_line", None)
        if line is None:
            return None, values
        if override.is_sweep_override():
            choices.append(line)
        elif isinstance(override.value(), dict) or not repo.group_exists(override.key_or_group):
            values.append(override)
        else:
            choices.append(line)
    return (config_name, tuple(choices), *flags, sources_of(repo)), values


def _cycle_error(recording: RecordingRepository, config_name: Any) -> Exception:
    """The configs that include each other, from the loads recorded before the recursion ran out."""
    from ..errors import HydraCompositionError

    loads: list[str] = []
    for call in recording.calls:
        if call[0] == "load_config" and (not loads or loads[-1] != call[1][0]):
            loads.append(call[1][0])  # Hydra loads some configs twice in a row
    last = loads[-1] if loads else str(config_name)
    start = max((i for i, path in enumerate(loads[:-1]) if path == last), default=0)
    return HydraCompositionError(
        "the defaults lists of these configs include each other in a cycle, so composition never ends",
        details=[("cycle", " -> ".join(loads[start:])), ("file", recording.sources.get(last, last))],
    )


def sources_of(repo: Any) -> tuple[str, ...]:
    return tuple(f"{source.scheme()}://{source.path}" for source in repo.get_sources())


class RecordingRepository:
    """Passes a config repository through and records every question asked and its answer."""

    def __init__(self, repo: Any) -> None:
        self._repo = repo
        self.calls: list[Call] = []
        self.sources: dict[str, str] = {}  # config path -> where it was loaded from
        self.cacheable = True

    def load_config(self, config_path: str) -> Any:
        result = self._repo.load_config(config_path)
        tag = None if result is None else getattr(result, TAG, None)
        if result is not None and tag is None:
            self.cacheable = False  # came from a source the cache cannot validate
        if result is not None:
            self.sources[config_path] = f"{config_path} in {result.path}"
        self.calls.append(("load_config", (config_path,), {}, tag))
        return result

    def config_exists(self, config_path: str) -> bool:
        return bool(self._record("config_exists", config_path))

    def group_exists(self, config_path: str) -> bool:
        return bool(self._record("group_exists", config_path))

    def get_group_options(self, *args: Any, **kwargs: Any) -> Any:
        return self._record("get_group_options", *args, **kwargs)

    def get_sources(self) -> Any:
        return self._record("get_sources")

    def _record(self, name: str, *args: Any, **kwargs: Any) -> Any:
        answer = getattr(self._repo, name)(*args, **kwargs)
        self.calls.append((name, args, kwargs, answer_fingerprint(answer)))
        return answer

    def __getattr__(self, name: str) -> Any:
        self.cacheable = False  # a question we do not know how to replay
        return getattr(self._repo, name)


def _load_tags(calls: list[Call]) -> dict[str, Any]:
    return {call[1][0]: call[3] for call in calls if call[0] == "load_config" and call[3] is not None}


def still_true(call: Call, repo: Any, cache: ConfigCache) -> bool:
    """Whether ``repo`` would answer a recorded call the same way now."""
    name, args, kwargs, answer = call
    if name == "load_config":
        if answer is None:
            return not repo.config_exists(*args)
        return cache.files.is_current(answer)
    return bool(answer_fingerprint(getattr(repo, name)(*args, **kwargs)) == answer)


def make_create_defaults_list(original: Callable[..., Any]) -> Callable[..., Any]:
    """Hydra's ``create_defaults_list`` through :data:`~hydrareg.hydra.cache.CACHE`."""
    from .store import CACHE

    @functools.wraps(original)
    def create_defaults_list(
        repo: Any, config_name: Any, overrides_list: Any, prepend_hydra: bool, skip_missing: bool
    ) -> Any:
        return CACHE.defaults.create(original, repo, config_name, overrides_list, prepend_hydra, skip_missing)

    return create_defaults_list
