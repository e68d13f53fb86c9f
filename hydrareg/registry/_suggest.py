"""What an "unknown name" error says: where we looked, and the closest registered names.

Only runs on the error path, so it may be slow: it imports every registry's lazy ``locations`` and
every declared scope, so that ``ConvNext`` can suggest ``mmcls.ConvNeXt`` even when ``mmcls`` was
never loaded.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Iterable
from typing import Any

from . import _scopes
from .registry import Registry
from .tree import walk_registry_tree

MAX_SUGGESTIONS = 3


def describe_search(key: str, target: Registry, called: Registry) -> str:
    """``'mmdet::model -> mmengine::model'``, plus the called registry if the scope redirected."""
    scope, _ = Registry.split_scope_key(key)
    if scope is not None and scope not in target.scope_names:
        node = target.find_scope(scope)
        if node is None:
            loaded = set(target.root._scope_index.copy())  # a snapshot: other threads may add scopes
            installed = sorted(set(_scopes.listed_scopes()) - loaded)
            known = ", ".join(sorted(loaded)) + (f"; installed: {', '.join(installed)}" if installed else "")
            return (
                f"no registry with scope {scope!r} in the {target.root.scope}::{target.name} "
                f"tree (its scopes: {known}), and no importable module path {key!r}"
            )
        return _chain(node)
    chains = [target] if called in target.search_chain() else [target, called]
    return ", then ".join(_chain(node) for node in chains)


def _chain(registry: Registry) -> str:
    return " -> ".join(f"{node.scope}::{node.name}" for node in registry.search_chain())


def close_names(key: str, registry: Registry) -> list[str]:
    """Up to three registered names across the whole tree closest to ``key``, as ``scope.Name``."""
    _load_everything(registry)
    wanted = key.rpartition(".")[2]
    candidates: dict[str, list[str]] = {}
    for _, node in walk_registry_tree(registry.root):
        for name in node.module_dict.copy():  # a snapshot: other threads may be registering
            candidates.setdefault(name.lower(), []).append(f"{node.scope}.{name}")
    ranked = difflib.get_close_matches(wanted.lower(), list(candidates), n=MAX_SUGGESTIONS, cutoff=0.6)
    return [qualified for lowered in ranked for qualified in candidates[lowered]][:MAX_SUGGESTIONS]


def _load_everything(registry: Registry) -> None:
    for scope in list(_scopes.declared_scopes()):
        try:
            registry.find_scope(scope)
        except Exception:  # a broken library must not hide the error being reported
            continue
    for _, node in list(walk_registry_tree(registry.root)):
        try:
            node.import_from_location()
        except Exception:
            continue


def parameter_names(obj: Any) -> list[str] | None:
    """The keyword parameters ``obj`` accepts, or None when it takes ``**kwargs`` or is opaque."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    names = []
    for param in signature.parameters.values():
        if param.kind is param.VAR_KEYWORD:
            return None
        if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
            names.append(param.name)
    return names


def closest(word: object, candidates: Iterable[str]) -> list[str]:
    """Parameter names close to a misspelt one (stricter than for type names: names are short).

    A key that is not a string (``{7: 'x'}``) has no close names.
    """
    if not isinstance(word, str):
        return []
    return difflib.get_close_matches(word, list(candidates), n=MAX_SUGGESTIONS, cutoff=0.75)
