"""hydrareg's per-process cache of Hydra's composition, in layers: files, defaults lists, merges and
whole configurations (each a module here; :mod:`.store` holds them together)."""

from .store import CACHE, CacheStats, ConfigCache

__all__ = ["CACHE", "CacheStats", "ConfigCache"]
