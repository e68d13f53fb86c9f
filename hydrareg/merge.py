"""MMEngine's ``_delete_`` for Hydra composition: replace a node instead of merging into it.

Hydra composes a config by merging the files of the defaults list one after another, and merging
never removes keys (hydra#2227). In MMEngine a child dict with ``_delete_=True`` replaces what the
bases gave that node. :func:`merge_with_deletions` does the same for one merge step: every mapping
in the incoming file that holds ``_delete_: true`` first removes the node from the config composed
so far. The key is always removed (MMEngine leaves it behind when the base lacks the node,
mmengine-registry.md #55, and it then reaches a constructor).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from omegaconf import DictConfig, ListConfig, flag_override

from . import keys
from .configdict import join_path
from .errors import CompositionError

__all__ = ["delete_markers", "leftover_deletes", "merge_with_deletions"]

Path = tuple[Any, ...]


def delete_markers(cfg: DictConfig, source: str | None = None) -> list[tuple[Path, bool]]:
    """``(key path, value)`` of every ``_delete_`` in mappings reachable through mappings."""
    return list(_markers(cfg, (), source))


def _markers(node: DictConfig, path: Path, source: str | None) -> Iterator[tuple[Path, bool]]:
    content = node.__dict__["_content"]  # key -> child node; None/missing/interpolation: not a dict
    if not isinstance(content, dict):
        return
    if keys.DELETE in content:
        value = content[keys.DELETE]._value()
        where = [("file", source)] if source else ()
        if not isinstance(value, bool):
            raise CompositionError(
                f"{keys.DELETE} must be true or false, but got {value!r}",
                config_path=_dotted((*path, keys.DELETE)),
                details=where,
            )
        if not path:
            raise CompositionError(
                f"{keys.DELETE} at the top of a config would replace the whole config; "
                "put it in the node to replace",
                config_path=keys.DELETE,
                details=where,
            )
        yield path, value
    for key, child in content.items():
        if isinstance(child, DictConfig):
            yield from _markers(child, (*path, key), source)


def merge_with_deletions(cfg: DictConfig, incoming: DictConfig, source: str | None = None) -> None:
    """``cfg.merge_with(incoming)``, honouring ``_delete_`` markers; ``incoming`` is not modified."""
    markers = delete_markers(incoming, source)
    if markers:
        incoming = copy.deepcopy(incoming)
        with flag_override(cfg, ["struct", "readonly"], False):
            for path, replace in markers:
                _pop_key(_select(incoming, path), keys.DELETE)
                if replace:
                    _delete_path(cfg, path)
    cfg.merge_with(incoming)


def _select(cfg: DictConfig, path: Path) -> DictConfig:
    node: Any = cfg
    for key in path:
        node = node._get_node(key)
    return node


def _pop_key(node: DictConfig, key: str) -> None:
    with flag_override(node, ["struct", "readonly"], False):
        node.pop(key)


def _delete_path(cfg: DictConfig, path: Path) -> None:
    """Remove the node at ``path`` from ``cfg`` if it is there (nothing to replace otherwise)."""
    parent: Any = cfg
    for key in path[:-1]:
        parent = parent._get_node(key) if isinstance(parent, DictConfig) else None
        if not isinstance(parent, DictConfig) or parent._is_none() or parent._is_missing():
            return
    if path[-1] in parent:
        with flag_override(parent, ["struct", "readonly"], False):
            parent.pop(path[-1])


def _dotted(path: Path) -> str:
    dotted = ""
    for key in path:
        dotted = join_path(dotted, key)
    return dotted


def leftover_deletes(cfg: DictConfig | ListConfig, skip: tuple[str, ...] = ("hydra",)) -> list[str]:
    """Dotted paths of the ``_delete_`` keys left in a composed config (none when the hook applied them)."""
    found: list[str] = []
    stack: list[tuple[Path, Any]] = [((), cfg)]
    while stack:
        path, node = stack.pop()
        content = node.__dict__["_content"] if isinstance(node, (DictConfig, ListConfig)) else None
        if isinstance(content, list):
            stack.extend(((*path, index), child) for index, child in enumerate(content))
            continue
        if not isinstance(content, dict):
            continue
        if keys.DELETE in content:
            found.append(_dotted((*path, keys.DELETE)))
        stack.extend(((*path, key), child) for key, child in content.items() if path or key not in skip)
    return sorted(found)
