"""``hydrareg registry [SCOPE]``: the registry tree, each node's scope, name, size and lazy imports.

It shows the 23 root registries (scope ``mmengine``) and the children that installed libraries
attach (the demo libraries here), an app's own registries (``APP.py`` or ``--registry``), and,
when mmengine is installed, MMEngine's own tree.
Declared scopes are loaded; a registry's ``locations`` (the modules that register its classes)
are imported only with ``--load`` or ``--search``, so the counts show what is loaded so far.
"""

from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any

from ..errors import RegistryImportError
from ..registry import Registry
from ..registry.root import ROOT_REGISTRIES
from .app import add_app_arguments, app_from_arguments
from .check import split_app
from .lookup import Lookup, join_mmengine

EXAMPLE = """examples:
  hydrareg registry                       (every non-empty registry, lazy imports not yet done)
  hydrareg registry mmdet --load          (mmdet's registries with everything imported)
  hydrareg registry --search resnet       (names that match, across every scope)
  hydrareg registry run.py                (with the app's own registries, from HYDRAREG_BUILDS)"""

SCOPES_ENTRY_POINT = "hydrareg.scopes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("words", nargs="*", metavar="[APP.py] [SCOPE]", help="the app, and a scope to show")
    parser.add_argument("--search", metavar="TEXT", help="list the registered names containing TEXT")
    parser.add_argument("--load", action="store_true", help="import every registry's lazy locations first")
    parser.add_argument("--all", action="store_true", help="show empty root registries too")
    add_app_arguments(parser)


def run(args: argparse.Namespace) -> int:
    app_path, words = split_app(args.words)
    roots = _roots(app_path, args)
    load_declared_scopes(roots)
    failures = import_locations(roots) if args.load or args.search else []
    from .output import console

    for failure in failures:
        console().print(f"not loaded: {failure}", style="yellow", markup=False, highlight=False)

    if args.search:
        console().print(search_table(roots, args.search, words[0] if words else None))
    else:
        console().print(tree(roots, words[0] if words else None, args.all))
    return 0


def _roots(app_path: str | None, args: argparse.Namespace) -> list[Registry]:
    join_mmengine()
    if app_path is None and not args.registry and not args.config_dir:
        return list(ROOT_REGISTRIES.values())
    if app_path is None and not args.config_dir:
        args.config_dir = "."
    return Lookup(app_from_arguments(app_path, args).builds).all_roots()


def linked_entries(node: Registry) -> dict[str, Any]:
    """The entries of MMEngine's root that a hydrareg root searches after its own ({} elsewhere)."""
    linked = node._linked_root if node.parent is None else None
    return dict(linked.registry._module_dict) if linked is not None else {}


def answers(node: Registry) -> dict[str, Any]:
    """Each name of the node (and, on a root, of MMEngine's root) with what a lookup there returns:
    the node's own entry, except a stand-in that MMEngine's root defines too (see ``torch_modules``)."""
    linked = linked_entries(node)
    merged = {**linked, **node.module_dict}
    for name in node._stand_ins & linked.keys():
        merged[name] = linked[name]
    return merged


def load_linked_roots(roots: list[Registry]) -> None:
    """Import the MMEngine subpackages whose classes the linked roots hold (``mmengine.optim``...)."""
    for root in roots:
        linked = root._linked_root
        if linked is not None and linked.package is not None:
            importlib.import_module(linked.package)


def scope_names(node: Any) -> frozenset[str]:
    """Every prefix that means ``node`` (MMEngine's registries have no aliases)."""
    return getattr(node, "scope_names", frozenset({node.scope}))


def declared_scopes() -> dict[str, str]:
    """Scope -> module, as installed packages declare them (the ``hydrareg.scopes`` entry points)."""
    return {ep.name: ep.value for ep in entry_points(group=SCOPES_ENTRY_POINT)}


def load_declared_scopes(roots: list[Registry]) -> None:
    """Attach every declared scope's registries (importing the scope's registry module only)."""
    for scope in declared_scopes():
        roots[0].find_scope(scope)


def import_locations(roots: list[Registry]) -> list[str]:
    """Import every node's lazy ``locations``; a node whose import fails (a missing optional
    dependency) stays unloaded, and the failures are returned, one line each."""
    failures = []
    load_linked_roots(roots)
    for node in walk(roots):
        try:
            node.import_from_location()
        except RegistryImportError as exc:
            failures.append(exc.message)
    return failures


def walk(roots: list[Any]) -> Iterator[Any]:
    for root in roots:
        yield from _walk(root)


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in list(node.children.values()):
        yield from _walk(child)


def pending_locations(node: Registry) -> list[str]:
    """The node's lazy ``locations`` not imported yet (read from the registry's private fields:
    ``Registry`` has no public accessor for them)."""
    return [] if getattr(node, "_imported", True) else list(getattr(node, "_locations", ()))


def _label(node: Registry) -> str:
    text = f"[bold]{node.scope}[/]::{node.name}  [cyan]{len(node.module_dict)}[/] entries"
    mmengines = linked_entries(node)
    if mmengines:
        text += f" [cyan]+{len(mmengines)}[/] in MMEngine's root"
    if is_mmengines(node):
        text += "  (MMEngine's registry)"
    aliases = sorted(scope_names(node) - {node.scope})
    if aliases:
        text += f"  (also {', '.join(aliases)})"
    pending = pending_locations(node)
    if pending:
        text += f"  [yellow]lazy, not imported: {', '.join(pending)}[/]"
    return text


def is_mmengines(node: Registry) -> bool:
    """Whether the node is one of MMEngine's registries, adopted into hydrareg's tree."""
    return type(node).__name__ == "AdoptedRegistry"  # the bridge module imports mmengine: not imported here


def _interesting(node: Registry) -> bool:
    return bool(len(node.module_dict) or linked_entries(node) or node.children or pending_locations(node))


def tree(roots: list[Registry], scope: str | None, show_all: bool) -> Any:
    """A rich Tree of the roots (or only the nodes of ``scope``, with their parents)."""
    from rich.tree import Tree

    top = Tree("registries" + (f" of scope {scope}" if scope else ""))
    for root in roots:
        if scope is not None and not any(scope in scope_names(node) for node in _walk(root)):
            continue
        if scope is None and not show_all and not _interesting(root):
            continue
        _add(top.add(_label(root)), root, scope)
    return top


def _add(branch: Any, node: Registry, scope: str | None) -> None:
    for child in node.children.values():
        if scope is None or any(scope in scope_names(n) for n in _walk(child)):
            _add(branch.add(_label(child)), child, scope)


def search_table(roots: list[Registry], text: str, scope: str | None) -> Any:
    """Every registered name containing ``text`` (case-insensitive): name, registry, where defined."""
    from rich.table import Table

    table = Table("name", "registry", "defined in", title=f"names containing {text!r}")
    wanted = text.lower()
    for node in walk(roots):
        if scope is not None and scope not in scope_names(node):
            continue
        for name, obj in sorted(answers(node).items()):
            if wanted in name.lower():
                module = getattr(obj, "__module__", "?")
                table.add_row(f"{node.scope}.{name}", f"{node.scope}::{node.name}", f"{module}")
    return table
