"""Decide what each converted file says: its defaults list and the keys it sets on top of its bases.

Every config becomes a Hydra config whose defaults list names its ``_base_`` files and whose own
content is what MMEngine's result has on top of what those files compose to: the keys the source
sets (in its order), what its edits of ``_base_`` changed, ``_delete_: true`` where a node must be
replaced rather than merged. Hydra cannot remove a top-level key, so a base whose top-level key the
config deletes (or turns from a mapping into a list) is replaced in the defaults list by its own
bases, and its content is written here.

References in the source (``x``, ``_base_.a.b``, ``{{_base_.a.b}}``) start as ``${a.b}``
interpolations. MMEngine binds them when the file is read, Hydra when the config is resolved, so
each one is kept only if, in this config and in every config that composes this file, it resolves
to the very value MMEngine bound; :mod:`.compose` checks that, config by config.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from .. import keys
from ..configdict import join_path
from ..errors import ConversionError
from .attrdict import plain
from .compose import (
    ComposeError,
    Interp,
    Unresolvable,
    compose_file,
    devalue,
    get_path,
    interps_in,
    resolve,
    same,
)
from .loader import LoadedConfig, Loader, Path, scoped_copy

__all__ = ["Node", "Planner"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HYDRA_RESERVED = ("defaults", "hydra")
_SUFFIXES = (".py", ".yaml", ".yml", ".json")
_MISSING: Any = object()


@dataclass(eq=False)
class Node:
    """One converted file: a config file read under a scope (``pkg::`` bases: under ``pkg``)."""

    name: str
    path: str
    scope: str | None
    #: the directory the name is relative to (the converted tree, or the package's configs)
    top: str
    loaded: LoadedConfig | None = None
    bases: list[Node] = field(default_factory=list)
    result: dict[Any, Any] = field(default_factory=dict)
    entries: list[Node] = field(default_factory=list)
    below: dict[Any, Any] = field(default_factory=dict)
    content: dict[Any, Any] = field(default_factory=dict)
    interps: dict[Path, Interp] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: ConversionError | None = None
    planned: bool = False


class Planner:
    """Builds the node graph from files and plans every node's defaults list and content."""

    def __init__(self, loader: Loader, root: str) -> None:
        self.loader = loader
        self.root = os.path.abspath(root)
        self.nodes: dict[tuple[str, str | None], Node] = {}
        self.by_name: dict[str, Node] = {}
        self.order: list[Node] = []
        self._value_memo: dict[int, dict[Any, Any]] = {}
        self._raw_memo: dict[int, dict[Any, Any]] = {}
        self._dependents: dict[int, list[Node]] = {}

    # -- the graph ------------------------------------------------------------------------------
    def add(self, path: str, scope: str | None = None, top: str | None = None) -> Node:
        """The node for ``path`` read under ``scope`` (from package dir ``top``), with its bases."""
        path = os.path.abspath(path)
        key = (path, scope)
        if key in self.nodes:
            return self.nodes[key]
        node = Node(name="", path=path, scope=scope, top=cast(str, top) if scope is not None else self.root)
        self.nodes[key] = node
        try:
            node.name = self._name(node)
            other = self.by_name.setdefault(node.name, node)
            if other is not node:
                raise ConversionError(f"converts to {node.name}.yaml, like {other.path}", file=path)
            node.loaded = self.loader.load(path)
            for base in node.loaded.bases:
                if base.scope is not None:
                    child = self.add(base.path, base.scope, base.package_dir)
                else:
                    child = self.add(base.path, scope, node.top)
                if child.error is not None:
                    raise ConversionError(
                        f"base {base.ref!r} cannot be converted: {child.error}", file=path, line=base.line
                    )
                node.bases.append(child)
                self._dependents.setdefault(id(child), []).append(node)
        except ConversionError as error:
            node.error = error
        self.order.append(node)
        return node

    def _name(self, node: Node) -> str:
        rel = os.path.relpath(node.path, node.top)
        if rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
            where = "the converted directory" if node.scope is None else f"package {node.scope!r}'s configs"
            raise ConversionError(f"lies outside {where} ({node.top})", file=node.path)
        stem, suffix = os.path.splitext(rel)
        name = (stem if suffix in _SUFFIXES else rel).replace(os.sep, "/")
        if "@" in name or " " in name:
            raise ConversionError("a Hydra config name cannot contain '@' or spaces", file=node.path)
        return name if node.scope is None else f"{node.scope}/{name}"

    # -- planning -------------------------------------------------------------------------------
    def plan_all(self, step: Callable[[], Any] | None = None) -> None:
        """Plan every node, bases first; a node whose base failed fails too. ``step()`` after each."""
        for node in self.order:
            if step is not None:
                step()
            if node.error is None and not node.planned:
                failed = next((b for b in node.bases if b.error is not None), None)
                if failed is not None:
                    node.error = ConversionError(f"base {failed.name} cannot be converted", file=node.path)
                    continue
                try:
                    self._plan(node)
                except ConversionError as error:
                    node.error = error

    def _plan(self, node: Node) -> None:
        assert node.loaded is not None
        loaded = node.loaded
        result = scoped_copy(loaded.result, node.scope) if node.scope else loaded.result
        node.result = _strip_leftover_delete(plain(result), node.notes)
        _check_expressible(node.result, loaded)
        node.interps = self._candidates(node)
        node.entries = list(node.bases)
        below = self._compose_entries(node.entries, raw=False)
        while True:
            problems = _root_problems(below, node.result)
            if not problems:
                break
            node.entries = self._splice(node, problems)
            below = self._compose_entries(node.entries, raw=False)
        node.below = below
        node.content = _Patch(node, below).root()
        try:
            composed = compose_file(below, devalue(node.content, merged=True), [])
        except ComposeError as error:
            raise ConversionError(
                f"internal: the converted config does not compose ({error})", file=node.path
            ) from None
        if not same(composed, node.result):
            raise ConversionError(
                "internal: the converted config does not compose to MMEngine's result",
                file=node.path,
            )
        self._value_memo[id(node)] = composed
        self._verify(node)
        node.planned = True

    def _candidates(self, node: Node) -> dict[Path, Interp]:
        """An interpolation for each reference whose target has the same value."""
        found: dict[Path, Interp] = {}
        assert node.loaded is not None
        for where, target in node.loaded.references.items():
            if not target or not all(isinstance(p, str) and _IDENTIFIER.fullmatch(p) for p in target):
                continue
            if target[: len(where)] == where or where[: len(target)] == target:
                continue
            value = get_path(node.result, where, _MISSING)
            if value is _MISSING or not same(value, get_path(node.result, target, _MISSING)):
                continue
            found[where] = Interp(target, value, node.name, where)
        return found

    def _splice(self, node: Node, problems: list[Any]) -> list[Node]:
        """Replace the last entry that defines a problem key by that entry's own defaults list."""
        for index in range(len(node.entries) - 1, -1, -1):
            entry = node.entries[index]
            defined = [key for key in problems if key in self._value_memo[id(entry)]]
            if defined:
                removed = [str(k) for k in defined if k not in node.result]
                replaced = [str(k) for k in defined if k in node.result]
                why = " and ".join(
                    part
                    for part in (
                        removed and f"removes its top-level {', '.join(removed)}",
                        replaced and f"turns its mapping {', '.join(replaced)} into a list",
                    )
                    if part
                )
                node.notes.append(
                    f"the content of {entry.name} is written here, not composed, "
                    f"because this config {why} (Hydra cannot remove a top-level key)"
                )
                return [*node.entries[:index], *entry.entries, *node.entries[index + 1 :]]
        raise ConversionError(f"internal: no base defines {problems}", file=node.path)

    # -- composition of the written tree --------------------------------------------------------
    def _content(self, node: Node, raw: bool) -> dict[Any, Any]:
        return node.content if raw else devalue(node.content, merged=True)

    def _composed(self, node: Node, raw: bool, conflicts: list[Interp]) -> dict[Any, Any]:
        memo = self._raw_memo if raw else self._value_memo
        if id(node) not in memo:
            below = self._compose_entries(node.entries, raw, conflicts)
            memo[id(node)] = compose_file(below, self._content(node, raw), conflicts)
        return memo[id(node)]

    def _compose_entries(
        self, entries: Iterable[Node], raw: bool, conflicts: list[Interp] | None = None
    ) -> dict[Any, Any]:
        conflicts = [] if conflicts is None else conflicts
        acc: dict[Any, Any] = {}
        for entry in entries:
            composed = self._composed(entry, raw, conflicts)
            if acc.keys().isdisjoint(composed.keys()):
                acc = {**acc, **composed}
            else:
                acc = self._replay(acc, entry, raw, conflicts)
        return acc

    def _replay(self, acc: dict[Any, Any], node: Node, raw: bool, conflicts: list[Interp]) -> dict[Any, Any]:
        for entry in node.entries:
            acc = self._replay(acc, entry, raw, conflicts)
        try:
            return compose_file(acc, self._content(node, raw), conflicts)
        except ComposeError as error:
            raise ConversionError(f"the bases cannot be composed in Hydra: {error}", file=node.path) from None

    def _verify(self, node: Node) -> None:
        """Compose ``node`` with its interpolations; drop those that miss MMEngine's values."""
        while True:
            conflicts: list[Interp] = []
            self._raw_memo.pop(id(node), None)
            try:
                raw = self._composed(node, True, conflicts)
            except ComposeError as error:
                raise ConversionError(
                    f"internal: the converted config does not compose ({error})", file=node.path
                ) from None
            culprits = {id(i): i for i in conflicts if i.active}
            for where, interp in interps_in(raw):
                try:
                    value = resolve(interp, raw)
                except Unresolvable as error:
                    culprits[id(error.interp)] = error.interp
                    continue
                if not same(value, get_path(node.result, where, _MISSING)):
                    culprits[id(interp)] = interp
            if not culprits:
                try:
                    if same(resolve(raw, raw), node.result):
                        return
                except Unresolvable as error:
                    culprits[id(error.interp)] = error.interp
                culprits.update({id(i): i for _, i in interps_in(raw)})
                if not culprits:
                    raise ConversionError(
                        "internal: the converted config does not compose to MMEngine's result",
                        file=node.path,
                    )
            for interp in culprits.values():
                interp.active = False
            for origin in {interp.origin for interp in culprits.values()}:
                self._rewrite(self.by_name[origin])

    def _rewrite(self, node: Node) -> None:
        """Plan ``node``'s content again (some interpolations dropped); forget its compositions."""
        node.content = _Patch(node, node.below).root()
        stack, seen = [node], set()
        while stack:
            current = stack.pop()
            if id(current) not in seen:
                seen.add(id(current))
                self._raw_memo.pop(id(current), None)
                stack.extend(self._dependents.get(id(current), []))


class _Patch:
    """The content of one node: what its result has on top of what its defaults list composes to."""

    def __init__(self, node: Node, below: dict[Any, Any]) -> None:
        assert node.loaded is not None
        self.node = node
        self.below = below
        self.own = node.loaded.own
        self.interps = node.interps

    def root(self) -> dict[Any, Any]:
        return self.merge(self.below, self.node.result, self.own, ())

    def merge(self, below: dict[Any, Any], result: dict[Any, Any], own: Any, path: Path) -> dict[Any, Any]:
        """Keys that turn ``below`` into ``result`` by Hydra's merge (``own``: order, more keys)."""
        out: dict[Any, Any] = {}
        for key in _ordered(result, own):
            where = (*path, key)
            new, old = result[key], below.get(key, _MISSING)
            mine = own.get(key, _MISSING) if isinstance(own, dict) else _MISSING
            interp = self.interps.get(where)
            if old is _MISSING:
                out[key] = self.full(new, mine, where)
            elif interp is not None and interp.active:
                out[key] = interp
            elif mine is _MISSING and same(old, new):
                continue
            elif isinstance(new, dict) and isinstance(old, dict) and not _must_replace(old, new, mine):
                out[key] = self.merge(old, new, mine, where)
            else:
                out[key] = self.full(new, mine, where, replace=isinstance(new, dict))
        return out

    def full(self, value: Any, own: Any, path: Path, replace: bool = False, in_list: bool = False) -> Any:
        """``value`` written out whole (interpolations where allowed, ``_delete_`` as needed)."""
        interp = self.interps.get(path)
        if interp is not None and interp.active:
            return interp
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            if not in_list and (replace or (isinstance(own, dict) and own.get(keys.DELETE))):
                out[keys.DELETE] = True
            for key in value if in_list else _ordered(value, own):
                mine = own.get(key, _MISSING) if isinstance(own, dict) else _MISSING
                out[key] = self.full(value[key], mine, (*path, key), in_list=in_list)
            return out
        if isinstance(value, (list, tuple)):
            own_items = own if isinstance(own, (list, tuple)) else ()
            return [
                self.full(item, own_items[i] if i < len(own_items) else _MISSING, (*path, i), in_list=True)
                for i, item in enumerate(value)
            ]
        return value


def _ordered(result: dict[Any, Any], own: Any) -> list[Any]:
    """The keys of ``result``: first those the source wrote, in its order, then the others."""
    first = [k for k in own if k in result and k != keys.DELETE] if isinstance(own, dict) else []
    seen = set(first)
    return first + [k for k in result if k not in seen]


def _must_replace(old: dict[Any, Any], new: dict[Any, Any], own: Any) -> bool:
    """Whether merging cannot turn ``old`` into ``new`` (keys to drop, a list over a mapping)."""
    if isinstance(own, dict) and own.get(keys.DELETE):
        return True
    return any(k not in new for k in old) or any(
        isinstance(new[k], (list, tuple)) and isinstance(old.get(k), dict) for k in new
    )


def _root_problems(below: dict[Any, Any], result: dict[Any, Any]) -> list[Any]:
    """Top-level keys Hydra cannot fix from a file: keys to remove, mappings to turn into lists."""
    return [k for k in below if k not in result] + [
        k for k in result if isinstance(result[k], (list, tuple)) and isinstance(below.get(k), dict)
    ]


def _strip_leftover_delete(value: Any, notes: list[str], where: Path = ()) -> Any:
    """Drop the ``_delete_`` keys MMEngine leaves in mappings (#55); the hook always drops them."""
    if isinstance(value, dict):
        if keys.DELETE in value:
            notes.append(
                f"MMEngine leaves {keys.DELETE} in its result at "
                f"{_dotted(where) or '<root>'} "
                "(the base has no such key); the converted config does not"
            )
        return {
            k: _strip_leftover_delete(v, notes, (*where, k)) for k, v in value.items() if k != keys.DELETE
        }
    return value  # nothing is merged inside lists: MMEngine's result is kept there


def _check_expressible(result: dict[Any, Any], loaded: LoadedConfig) -> None:
    """Refuse values YAML cannot hold, and the top-level keys Hydra reserves."""
    for key in _HYDRA_RESERVED:
        if key in result:
            raise ConversionError(
                f"top-level key {key!r} is reserved by Hydra",
                file=loaded.path,
                line=loaded.lines.get(key),
            )
    problem = _first_inexpressible(result, ())
    if problem is not None:
        where, what = problem
        raise ConversionError(
            f"{what} at {_dotted(where)}: YAML cannot express it",
            file=loaded.path,
            line=loaded.lines.get(where[0]) if where else None,
            config_path=_dotted(where),
        )


def _first_inexpressible(value: Any, where: Path) -> tuple[Path, str] | None:
    if value is None or isinstance(value, (bool, int, float, str)):
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if key is None or not isinstance(key, (str, int, float, bool)):
                return (*where, key), f"a key of type {type(key).__name__}"
            found = _first_inexpressible(item, (*where, key))
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _first_inexpressible(item, (*where, index))
            if found:
                return found
        return None
    kind = type(value).__name__
    return where, f"a value of type {kind} ({value!r:.60})"


def _dotted(path: Path) -> str:
    return functools.reduce(join_path, path, "")
