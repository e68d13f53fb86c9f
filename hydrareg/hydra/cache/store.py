"""The process's config cache: its layers, their counters, and one lock."""

from __future__ import annotations

import threading

from .configurations import ConfigurationLayer, MergeLayer
from .defaults import DefaultsLayer
from .files import FileLayer

__all__ = ["CACHE", "CacheStats", "ConfigCache"]


class CacheStats:
    """How often each layer of the cache answered (for tests and curiosity)."""

    __slots__ = ("composed_hits", "defaults_hits", "hits", "loaded_hits", "misses", "uncacheable")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.hits = self.misses = self.uncacheable = 0
        self.composed_hits = self.defaults_hits = self.loaded_hits = 0

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)}" for name in self.__slots__)
        return f"CacheStats({fields})"


class ConfigCache:
    """Loaded files, defaults lists, merges and whole configurations, each validated on every hit.

    A process that composes once keeps nothing: copies are kept from the second use on (in a
    multirun, whose jobs are each composed twice, from the first).
    """

    def __init__(self, max_entries: int = 64) -> None:
        self.stats = CacheStats()
        self.lock = threading.Lock()
        self.multirun = False  # a multirun was composed in this process
        self.files = FileLayer(self)
        self.defaults = DefaultsLayer(self, max_entries)
        self.merges = MergeLayer(self, max_entries)
        self.configurations = ConfigurationLayer(self, max_entries)

    def clear(self) -> None:
        with self.lock:
            for layer in (self.files, self.defaults, self.merges, self.configurations):
                layer.clear()
            self.multirun = False
            self.stats.reset()


#: The process's cache (one per process, like Hydra's own singletons; ``CACHE.clear()`` resets it).
CACHE = ConfigCache()
