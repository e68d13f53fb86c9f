"""Shape checks on a config before anything is built: each bad shape gets a hydrareg error with its path.

The config copy (:func:`hydrareg.configdict.to_config_tree`) stops at :data:`MAX_DEPTH` levels, so a
self-referencing dict or data nested hundreds deep gives a :class:`ConfigValueError` naming the path,
never a ``RecursionError``; the build functions ask here about keys a constructor cannot take.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import keys
from .errors import ConfigKeyError, ConfigTypeError, ConfigValueError

__all__ = [
    "MAX_CONTAINERS",
    "MAX_DEPTH",
    "check_scope_name",
    "check_shape",
    "manager_arguments_error",
    "non_string_key_error",
    "too_deep_error",
    "type_and_target_error",
    "warn_if_unknown_scope",
]

#: How deep dicts and lists may nest in a config. Real configs stay under 15 levels; the limit keeps
#: copying and building far from Python's recursion limit (about four frames per level).
MAX_DEPTH = 100
#: How many dicts and lists a config may expand to, counting a shared node once per reference. Real
#: configs have thousands; a few nodes that each reference the previous one twice make 2**40.
MAX_CONTAINERS = 1_000_000


class TooDeep(Exception):
    """Raised inside the copy at the depth limit; :func:`too_deep_error` turns it into the user's error."""

    def __init__(self, path: str | None) -> None:
        super().__init__(path)
        self.path = path


def too_deep_error(
    root: Any, path: str | None, limit: str = f"{MAX_DEPTH} levels of dicts and lists"
) -> ConfigValueError:
    """The error for a config whose copy reached ``limit`` at ``path``: a cycle (or an expansion, as
    :func:`check_shape` names it), or just deep."""
    try:
        check_shape(root)
    except ConfigValueError as exc:
        return exc
    return nesting_error(path, limit)


def self_reference_error(inner: str, outer: str) -> ConfigValueError:
    return ConfigValueError(
        f"the config refers to itself: {inner or '<root>'} is the same object as "
        f"{outer or '<root>'}, an enclosing node, so copying it would never end",
        config_path=inner or "<root>",
    )


def nesting_error(
    path: str | None, limit: str = f"{MAX_DEPTH} levels of dicts and lists"
) -> ConfigValueError:
    shown = path if path is None or len(path) <= 200 else path[:200] + "..."
    return ConfigValueError(f"the config nests deeper than {limit}", config_path=shown)


def type_and_target_error(path: str | None) -> ConfigValueError:
    """One rule wherever a node is built: ``type`` (registry) and ``_target_`` (import) exclude each other."""
    return ConfigValueError(
        f"a node has both {keys.TYPE!r} and {keys.TARGET!r}: it must name what to build once, either "
        f"through the registry ({keys.TYPE}) or by import path ({keys.TARGET})",
        config_path=path or "<root>",
    )


def non_string_key_error(args: Mapping[Any, Any], path: str | None) -> ConfigTypeError | None:
    """The error for a built node whose keys are not all strings (they cannot be keyword arguments)."""
    from .configdict import join_path

    bad = [key for key in args if not isinstance(key, str)]
    if not bad:
        return None
    return ConfigTypeError(
        f"the keys of a node that is built become keyword arguments and must be strings, but "
        f"{bad[0]!r} is a {type(bad[0]).__name__}",
        config_path=join_path(path, str(bad[0])) if path is not None else None,
    )


def manager_arguments_error(
    args: Mapping[str, Any], path: str | None
) -> ConfigKeyError | ConfigTypeError | None:
    """A ``ManagerMixin`` class is built by ``get_instance(name, ...)``: ``name`` must be a str."""
    from .configdict import join_path

    name_path = join_path(path, "name") if path is not None else None
    if "name" not in args:
        return ConfigKeyError(
            "this class keeps one instance per name (a ManagerMixin): the node needs a 'name'",
            config_path=name_path or path,
        )
    if not isinstance(args["name"], str):
        return ConfigTypeError(
            f"'name' of a ManagerMixin instance must be a str, but got {type(args['name']).__name__}",
            config_path=name_path,
        )
    return None


def check_scope_name(scope: Any, path: str | None) -> str:
    """A ``_scope_``/``default_scope`` value must be a non-empty name; returns it."""
    if not isinstance(scope, str):
        raise ConfigTypeError(
            f"a scope must be a name (str), but got {type(scope).__name__} {scope!r}", config_path=path
        )
    if not scope.strip() or scope != scope.strip():
        raise ConfigValueError(
            f"a scope must be a non-empty name without surrounding spaces, but got {scope!r}",
            config_path=path,
        )
    return scope


def warn_if_unknown_scope(scope: str, registry: Any) -> None:
    """One :class:`UnknownScopeWarning` for a scope no registry knows: neither ``registry``'s tree nor
    any root registry's tree (``default_scope: mmdet`` is fine for a task registry without an mmdet child)."""
    from .registry import _scopes
    from .registry.root import ROOT_REGISTRIES
    from .registry.scope import installed_mirror, warn_unknown_scope

    if installed_mirror() is None:  # as use_scope does: an installed package may declare the scope
        _scopes.prepare_scope(scope)
    if registry.find_scope(scope) is not None:
        return
    if any(root.find_scope(scope) is not None for root in ROOT_REGISTRIES.values()):
        return
    warn_unknown_scope(scope, registry)


def check_shape(config: Any) -> None:
    """Plain dicts and lists nest at most :data:`MAX_DEPTH` levels, never contain themselves, and
    expand to at most :data:`MAX_CONTAINERS` (a node shared N times is copied N times)."""
    if not isinstance(config, (dict, list, tuple)):
        return  # OmegaConf containers cannot contain themselves and stop far earlier
    _Shape(config).measure(config, 0)


class _Shape:
    """One walk of a plain config: each shared node measured once (its expanded size and height)."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.measured: dict[int, tuple[int, int]] = {}  # id -> (containers it expands to, height)
        self.open: dict[int, int] = {}  # the nodes on the current path (and its length there): a cycle
        self.keys: list[Any] = []  # the current path, joined only for an error

    def measure(self, node: Any, depth: int) -> tuple[int, int]:
        if id(node) in self.open:
            raise self_reference_error(self.path(), self.path(self.open[id(node)]))
        if depth >= MAX_DEPTH:
            raise nesting_error(self.path())
        known = self.measured.get(id(node))
        if known is None:
            known = self.measured[id(node)] = self._measure_children(node, depth)
        if depth + known[1] >= MAX_DEPTH:  # a shared node, met deeper than before
            raise nesting_error(self.path())
        return known

    def _measure_children(self, node: Any, depth: int) -> tuple[int, int]:
        self.open[id(node)] = len(self.keys)
        size, height = 1, 0
        for key, item in node.items() if isinstance(node, dict) else enumerate(node):
            if isinstance(item, (dict, list, tuple)):
                self.keys.append(key)
                child_size, child_height = self.measure(item, depth + 1)
                self.keys.pop()
                size, height = size + child_size, max(height, child_height + 1)
                if size > MAX_CONTAINERS:
                    raise too_large_error(self.path())
        del self.open[id(node)]
        return size, height

    def path(self, length: int | None = None) -> str:
        """The current path (its first ``length`` keys), joined."""
        from .configdict import join_path

        path = ""
        for key in self.keys[:length]:
            path = join_path(path, key)
        return path


def too_large_error(path: str) -> ConfigValueError:
    """A config that copies into more dicts and lists than any real one (a node shared over and over)."""
    return ConfigValueError(
        f"the config expands to more than {MAX_CONTAINERS:,} dicts and lists: the same node is referenced "
        "many times over (YAML anchors can do this), and copying it would not end in reasonable time",
        config_path=path or "<root>",
    )
