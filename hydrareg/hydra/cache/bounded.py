"""The shape the upper cache layers share: a bounded, least-recently-stored table of entries."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import ConfigCache

__all__ = ["BoundedLayer"]


class BoundedLayer:
    """At most ``max_entries`` entries; storing beyond that drops the oldest."""

    def __init__(self, cache: ConfigCache, max_entries: int) -> None:
        self._cache = cache
        self._max = max_entries
        self._entries: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def clear(self) -> None:
        self._entries.clear()

    def _store(self, key: tuple[Any, ...], value: Any) -> None:
        with self._cache.lock:
            self._entries[key] = value
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
