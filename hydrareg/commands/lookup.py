"""Resolve a ``type`` as a build would, without building: the object, and the registry that holds it.

Lookups go through the registries' public API (``lookup_for_build``, ``find_scope``,
``search_chain``), so scope prefixes, ``_scope_``/``default_scope``, parent fallback and lazy
``locations`` behave exactly as in a build; importing a class's module is the only side effect.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from ..registry import Registry
from ..registry._scopes import link_mmengine_if_loaded
from ..registry.root import ROOT_REGISTRIES
from . import routing
from .app import BuildSpec


@dataclass(frozen=True)
class Found:
    """What a ``type`` resolved to, and where."""

    obj: Any
    holder: Registry | None  # the registry node whose entry it is (None: imported by dotted path)
    called: Registry  # the registry the build starts from


def describe(registry: Registry | None) -> str:
    return "-" if registry is None else f"{registry.scope}::{registry.name}"


class Lookup:
    """The registries an app builds with: the 23 roots, plus the app's own (by top-level key)."""

    def __init__(self, builds: dict[str, BuildSpec]) -> None:
        self.app_registries: dict[str, Registry] = {}
        self.runtime_args: dict[str, tuple[str, ...]] = {}
        for key, spec in builds.items():
            for module in spec.imports:
                importlib.import_module(module)
            registry = spec.load_registry()
            if registry is not None:
                self.app_registries[key] = registry
            self.runtime_args[key] = spec.runtime_args

    def top_kind(self, key: str) -> str:
        """The registry kind of a top-level key: the app's own, else MMEngine's convention, else MODELS."""
        if key in self.app_registries:
            return f"app:{key}"
        return routing.TOP_LEVEL.get(key, "MODELS")

    def is_declared(self, key: str) -> bool:
        """Whether the app or MMEngine's conventions say which registry builds top-level ``key``."""
        return key in self.app_registries or key in routing.TOP_LEVEL

    def registry(self, kind: str, scope_of_owner: str | None = None) -> Registry | None:
        """The registry of ``kind``; below an owner found in a scope, that scope's node of it."""
        if kind.startswith("app:"):
            root = self.app_registries[kind[4:]]
        elif kind in ROOT_REGISTRIES:
            root = ROOT_REGISTRIES[kind]
        else:
            return None
        if scope_of_owner is None or scope_of_owner in root.scope_names:
            return root
        return root.children.get(scope_of_owner) or root.find_scope(scope_of_owner) or root

    def all_roots(self) -> list[Registry]:
        return [*self.app_registries.values(), *ROOT_REGISTRIES.values()]

    def resolve(self, name: str, called: Registry, scope: str | None) -> Found | None:
        """``name`` looked up as a build from ``called`` under default ``scope`` would; then in the
        other root trees (a node this module routed to the wrong registry); None if nowhere."""
        for registry in (called, *(root for root in self.all_roots() if root.root is not called.root)):
            obj = registry.lookup_for_build(name, scope)
            if obj is not None:
                return Found(obj, holder_of(obj, name, registry, scope), registry)
        return None


def join_mmengine() -> bool:
    """Join MMEngine's registry tree to hydrareg's when mmengine is installed, as a build does once
    an OpenMMLab package (or MMEngine's Runner) is imported: one tree, MMEngine's classes in it."""
    if importlib.util.find_spec("mmengine") is None:
        return False
    importlib.import_module("mmengine.registry")
    return link_mmengine_if_loaded()


def holder_of(obj: Any, name: str, called: Registry, scope: str | None) -> Registry | None:
    """The registry node whose entry ``obj`` is, searched in the order a lookup searches."""
    prefix, short = Registry.split_scope_key(name)
    if prefix is not None:
        node = called.find_scope(prefix)
        candidates = node.search_chain() if node is not None else []
        name = short
    else:
        target = (called.find_scope(scope) if scope else None) or called
        candidates = [*target.search_chain(), *called.search_chain()]
    for node in candidates:
        if node.module_dict.get(name) is obj:
            return node
    linked = called.root._linked_root  # MMEngine's root, searched after hydrareg's root of that name
    if linked is not None and linked.registry._module_dict.get(name) is obj:
        return called.root
    return None


def target_registry(called: Registry, scope: str | None) -> Registry:
    """The registry a build searches first: the default scope's node in ``called``'s tree, else ``called``."""
    return (called.find_scope(scope) if scope else None) or called
