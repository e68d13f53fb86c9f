"""Read a composed config without resolving it: interpolations to other nodes are followed,
resolvers (which may build or import things) are not run."""

from __future__ import annotations

import re
from typing import Any

from omegaconf import DictConfig, OmegaConf

#: A value computed at run time (a resolver, a string interpolation): its fit cannot be checked.
UNKNOWN = type("Unknown", (), {"__repr__": lambda self: "<computed at run time>"})()
MISSING = "???"
_NODE_REFERENCE = re.compile(r"^\$\{\s*([^${}:\s]+)\s*\}$")
_MAX_HOPS = 32


class BrokenReference(Exception):
    """An interpolation names a node the config does not have."""

    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


def plain(cfg: DictConfig) -> dict[str, Any]:
    """The composed config as plain dicts and lists, interpolations left as written."""
    return OmegaConf.to_container(cfg, resolve=False, throw_on_missing=False)  # type: ignore[return-value]


def is_interpolation(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def peek(root: dict[str, Any], path: tuple[Any, ...], value: Any, strict: bool = False) -> Any:
    """``value`` (found at ``path``), with ``${a.b}`` references followed; :data:`UNKNOWN` for
    resolvers, and for references to nothing unless ``strict`` (then :class:`BrokenReference`)."""
    try:
        return _follow(root, path, value)
    except BrokenReference:
        if strict:
            raise
        return UNKNOWN


def _follow(root: dict[str, Any], path: tuple[Any, ...], value: Any) -> Any:
    for _ in range(_MAX_HOPS):
        if not is_interpolation(value):
            return value
        match = _NODE_REFERENCE.match(value)
        if match is None:
            return UNKNOWN
        path = absolute(path, match.group(1))
        value = select(root, path, value)
    return UNKNOWN


def absolute(path: tuple[Any, ...], reference: str) -> tuple[Any, ...]:
    """The key path a reference written at ``path`` points to (``..x`` is relative, as in OmegaConf)."""
    dots = len(reference) - len(reference.lstrip("."))
    keys = tuple(part for part in re.split(r"\.|\[|\]", reference.lstrip(".")) if part)
    if dots == 0:
        return keys
    return (*path[: len(path) - dots], *keys)


def select(root: Any, path: tuple[Any, ...], reference: str = "") -> Any:
    """The value at ``path`` in plain ``root``; :class:`BrokenReference` if there is none."""
    node = root
    for key in path:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and str(key).isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise BrokenReference(reference or ".".join(map(str, path)))
    return node
