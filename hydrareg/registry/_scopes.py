"""Scopes that installed packages declare, so that ``mmdet.YOLOX`` can load ``mmdet``'s registries.

MMEngine guesses: on any miss with a prefix it tries ``import_module(f'{prefix}.registry')``, which
imports whatever happens to be called that (mmengine-registry.md #14a). Here a package declares its
scopes in its metadata, and nothing else is ever imported on a miss::

    [project.entry-points."hydrareg.scopes"]
    mmdet = "mydet.registry"      # the module whose import attaches the 'mmdet' registries
"""

from __future__ import annotations

import importlib
import threading

ENTRY_POINT_GROUP = "hydrareg.scopes"

_declared: dict[str, str] | None = None
_lock = threading.Lock()


def declared_scopes() -> dict[str, str]:
    """Scope name -> registry module, read once per process from installed packages' metadata."""
    global _declared
    if _declared is None:
        with _lock:
            if _declared is None:
                from importlib.metadata import entry_points  # 20 ms: only on a scope miss

                _declared = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return _declared


def forget_declared_scopes() -> None:
    """Re-read the metadata on next use (after installing a package in a running process)."""
    global _declared
    _declared = None


def import_declared_scope(scope: str) -> bool:
    """Import the module that declares ``scope``; False when no installed package declares it."""
    module = declared_scopes().get(scope)
    if module is None:
        return False
    importlib.import_module(module)
    return True
