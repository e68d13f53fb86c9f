"""Registry statistics and ``init_default_scope``, as in ``mmengine.registry.utils``."""

from __future__ import annotations

import datetime
import json
import logging
import os
from typing import Any

from . import _scopes
from .registry import Registry
from .scope import DefaultScope
from .tree import walk_registry_tree

__all__ = ["count_registered_modules", "init_default_scope", "traverse_registry_tree"]

logger = logging.getLogger("hydrareg")


def traverse_registry_tree(registry: Registry, verbose: bool = True) -> list[dict[str, Any]]:
    """Per node of ``registry``'s whole tree (root first, depth-first): its scope, count and names.

    Each entry maps ``'num_modules'`` and ``'scope'``, then each defining folder
    (``'hydrareg_zoo/mmdet/models'``) to the names registered from it.
    """
    info: list[dict[str, Any]] = []
    for _, node in walk_registry_tree(registry.root):
        entry: dict[str, Any] = {"num_modules": len(node.module_dict), "scope": node.scope}
        for name, obj in node.module_dict.items():
            module = getattr(obj, "__module__", None) or ""
            folder = "/".join(module.split(".")[:-1])
            entry.setdefault(folder, []).append(name)
        if verbose:
            logger.info("Find %d modules in %s's '%s' registry", len(node.module_dict), node.scope, node.name)
        info.append(entry)
    return info


def count_registered_modules(save_path: str | None = None, verbose: bool = True) -> dict[str, Any]:
    """Traverse every root registry (after its lazy ``locations``); optionally save as JSON."""
    from . import root

    registries = {}
    for name in sorted(root.ROOT_REGISTRIES):
        registry = root.ROOT_REGISTRIES[name]
        registry.import_from_location()
        registries[name] = traverse_registry_tree(registry, verbose)
    result = {
        "scan_date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "registries": registries,
    }
    if save_path is not None:
        json_path = os.path.join(save_path, "modules_statistic_results.json")
        with open(json_path, "w", encoding="utf-8") as file:
            json.dump(result, file, indent=2)
        if verbose:
            logger.info("Result has been saved to %s", json_path)
    return result


def init_default_scope(scope: str) -> None:
    """Make ``scope`` the default scope in this context (creating a DefaultScope named ``scope``).

    As in MMEngine: if another scope is current and an instance named ``scope`` already exists,
    a new, uniquely named instance is created and a warning logged.
    """
    if _scopes.link_mmengine_if_loaded():  # MMEngine's DefaultScope agrees (and MMEngine logs its warning)
        from mmengine.registry import init_default_scope as mmengine_init_default_scope

        mmengine_init_default_scope(scope)
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created(scope):
        DefaultScope.get_instance(scope, scope_name=scope)
        return
    if current.scope_name != scope:
        logger.warning(
            'The current default scope "%s" is not "%s", `init_default_scope` will force set '
            'the current default scope to "%s".',
            current.scope_name,
            scope,
            scope,
        )
        DefaultScope.get_instance(f"{scope}-{datetime.datetime.now()}", scope_name=scope)
