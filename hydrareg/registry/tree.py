"""The one walk of a registry tree, shared by suggestions, statistics, callbacks and scope search.

It reads only a node's ``children`` (a dict from scope to registry), so it needs no import of the
registry class and serves hydrareg's and MMEngine's registries alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["walk_registry_tree"]


def walk_registry_tree(registry: Any, scopes: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """``(scope path below registry, node)`` for ``registry`` and every node below it.

    Depth-first, parent before children, children in insertion order; the path of ``registry``
    itself is ``scopes`` (``()`` by default). Children added during the walk may or may not be seen.
    """
    yield scopes, registry
    for scope, child in list(registry.children.items()):
        yield from walk_registry_tree(child, (*scopes, scope))
