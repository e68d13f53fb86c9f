"""A model of how Hydra composes the written tree, to check it before anything is written.

Hydra merges the files of a defaults list one after another with ``OmegaConf.merge``, and
hydrareg's hook (``hydrareg.merge``) first drops every node that the incoming file marks with
``_delete_: true``. This module does the same on plain Python values, and also on
:class:`Interp` nodes (the ``${...}`` the writer may emit), following what OmegaConf 2.3 does when
merging onto an interpolation. It is what lets the converter prove, per config, that the YAML
composes to MMEngine's dict, and drop an interpolation where it would not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import keys

__all__ = [
    "ComposeError",
    "Interp",
    "Unresolvable",
    "compose_file",
    "devalue",
    "get_path",
    "interps_in",
    "resolve",
    "same",
]

Path = tuple[Any, ...]
_MISSING = object()


class Interp:
    """``${target}`` written at ``path`` of config ``origin`` in place of ``value``."""

    __slots__ = ("active", "origin", "path", "target", "value")

    def __init__(self, target: Path, value: Any, origin: str, path: Path) -> None:
        self.target = target
        self.value = value
        self.origin = origin
        self.path = path
        self.active = True

    def text(self) -> str:
        return "${" + ".".join(map(str, self.target)) + "}"

    def __repr__(self) -> str:
        return f"Interp({self.text()}{'' if self.active else ', inactive'})"


class ComposeError(Exception):
    """The files cannot be merged (OmegaConf refuses a list onto a dict or the reverse)."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{'.'.join(map(str, path)) or '<root>'}: {message}")
        self.path = path


def devalue(value: Any, merged: bool = False) -> Any:
    """``value`` with each interpolation replaced by the value it stands for, replacing as it does.

    OmegaConf puts an interpolation in place of whatever was there, so where it stands for a
    mapping that composition merges into (a mapping reached through mappings only), the value
    gets ``_delete_: true``; inside lists nothing is merged.
    """
    if isinstance(value, Interp):
        plain = devalue(value.value)
        return {keys.DELETE: True, **plain} if merged and isinstance(plain, dict) else plain
    if isinstance(value, dict):
        return {key: devalue(item, merged) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [devalue(item) for item in value]
    return value


def compose_file(acc: dict[Any, Any], content: dict[Any, Any], conflicts: list[Interp]) -> dict[Any, Any]:
    """``acc`` with one more file merged in, as the hook does: ``_delete_`` nodes replace.

    ``acc`` is not modified (unchanged subtrees are shared). Interpolations in ``acc`` that the file
    merges a dict into (OmegaConf would resolve them then, too early) are appended to ``conflicts``.
    """
    for path in _delete_markers(content, ()):
        acc = _without(acc, path)
    return _merge(acc, _strip_delete(content), (), acc, conflicts)


def _delete_markers(node: dict[Any, Any], path: Path) -> Iterator[Path]:
    if node.get(keys.DELETE) is True and path:
        yield path
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _delete_markers(value, (*path, key))


def _strip_delete(node: dict[Any, Any]) -> dict[Any, Any]:
    return {
        key: _strip_delete(value) if isinstance(value, dict) else value
        for key, value in node.items()
        if key != keys.DELETE
    }


def _without(acc: dict[Any, Any], path: Path) -> dict[Any, Any]:
    head, rest = path[0], path[1:]
    if head not in acc:
        return acc
    out = dict(acc)
    if not rest:
        del out[head]
    elif isinstance(acc[head], dict):
        out[head] = _without(acc[head], rest)
    return out


def _merge(
    dest: dict[Any, Any],
    src: dict[Any, Any],
    path: Path,
    root: dict[Any, Any],
    conflicts: list[Interp],
) -> dict[Any, Any]:
    out = dict(dest)
    for key, new in src.items():
        out[key] = new if key not in out else _merge_value(out[key], new, (*path, key), root, conflicts)
    return out


def _merge_value(old: Any, new: Any, path: Path, root: dict[Any, Any], conflicts: list[Interp]) -> Any:
    if isinstance(new, dict):
        if isinstance(old, dict):
            return _merge(old, new, path, root, conflicts)
        if isinstance(old, Interp):
            conflicts.append(old)
            base = devalue(old.value)
            return _merge(base, new, path, root, conflicts) if isinstance(base, dict) else new
        if isinstance(old, (list, tuple)):
            raise ComposeError(path, "a mapping cannot be merged onto a list")
        return new
    if isinstance(new, (list, tuple)):
        if isinstance(old, dict):
            raise ComposeError(path, "a list cannot be merged onto a mapping")
        if isinstance(old, Interp) and isinstance(get_path(root, old.target, _MISSING), (dict, Interp)):
            conflicts.append(old)
    return new


def get_path(root: Any, path: Path, default: Any = _MISSING) -> Any:
    """The value at ``path`` (keys and list indices) or ``default``."""
    node = root
    for part in path:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, (list, tuple)) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        else:
            return default
    return node


class Unresolvable(Exception):
    """An interpolation that does not resolve (missing target, cycle, or through another one)."""

    def __init__(self, interp: Interp) -> None:
        super().__init__(interp.text())
        self.interp = interp


def resolve(value: Any, root: dict[Any, Any], _stack: tuple[int, ...] = ()) -> Any:
    """``value`` with every interpolation replaced by what its target resolves to in ``root``."""
    if isinstance(value, Interp):
        if id(value) in _stack:
            raise Unresolvable(value)
        node: Any = root
        for part in value.target:
            if not isinstance(node, dict) or part not in node:
                raise Unresolvable(value)
            node = node[part]
            if isinstance(node, Interp) and part != value.target[-1]:
                raise Unresolvable(value)
        return resolve(node, root, (*_stack, id(value)))
    if isinstance(value, dict):
        return {key: resolve(item, root, _stack) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolve(item, root, _stack) for item in value]
    return value


def interps_in(value: Any, path: Path = ()) -> Iterator[tuple[Path, Interp]]:
    """Every interpolation in ``value`` with the path it sits at."""
    if isinstance(value, Interp):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from interps_in(item, (*path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from interps_in(item, (*path, index))


def same(a: Any, b: Any) -> bool:
    """Equal as the scorer compares: type-strict scalars (1, 1.0, True differ); tuple == list."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return (
            isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b, strict=True))
        )
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and a != a:
        return b != b
    return bool(a == b)
