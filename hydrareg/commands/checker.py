"""Check one composed config against the registries and the constructors' signatures, building nothing.

Every ``type`` is resolved as a build would resolve it (scope prefixes, ``_scope_``,
``default_scope``, parent fallback, lazy ``locations``), every ``_target_`` is imported, and each
node's keys are compared with its target's signature: unknown arguments (with the closest names),
missing required ones (unless the builder passes them itself), values against annotations.
Children that a constructor builds itself are checked with the registry it would use.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from .. import keys
from ..configdict import join_path
from ..errors import HydraregError
from ..registry import Registry
from ..registry._suggest import closest
from ..registry.build_functions import unknown_type_error
from ..registry.registry import import_dotted_object
from . import routing, signatures
from .lookup import Found, Lookup, describe, join_mmengine, target_registry
from .problems import Problem
from .values import MISSING, UNKNOWN, BrokenReference, is_interpolation, peek

_SKIPPED_TOP_LEVEL = frozenset({"hydra", "defaults", keys.CUSTOM_IMPORTS, keys.DEFAULT_SCOPE})
_NOT_ARGUMENTS = keys.BUILD_KEYS | {keys.DELETE}
_NOT_BUILT = (routing.DATA, routing.DATALOADER, routing.RUNNER)  # kinds whose own ``type`` is not a build


@dataclass(frozen=True)
class Context:
    """Where a node sits: which registry would build it, under which default scope."""

    kind: str
    registry: Registry | None
    scope: str | None
    owner_scope: str | None = None  # the scope of the registry that holds the enclosing class
    runtime_args: tuple[str, ...] = ()


class ConfigChecker:
    """Checks composed configs (plain containers, see :func:`~hydrareg.commands.values.plain`)."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup
        self.root: dict[str, Any] = {}

    def check(self, root: dict[str, Any]) -> list[Problem]:
        self.root = root
        scope = self._default_scope()
        problems: list[Problem] = []
        for key, value in root.items():
            if key in _SKIPPED_TOP_LEVEL:
                continue
            kind = self.lookup.top_kind(key)
            runtime = self.lookup.runtime_args.get(key, ())
            context = Context(kind, self.lookup.registry(kind), scope, runtime_args=runtime)
            problems.extend(self.walk(value, (key,), context))
        return problems

    def context_of(self, root: dict[str, Any], path: tuple[Any, ...]) -> Context:
        """The context the node at ``path`` is built in (its own ``_scope_`` applied)."""
        self.root = root
        kind = self.lookup.top_kind(str(path[0]))
        context = Context(kind, self.lookup.registry(kind), self._default_scope())
        node: Any = root.get(path[0])
        for depth, key in enumerate(path[1:], start=1):
            if isinstance(node, list):
                node = node[int(key)] if str(key).isdigit() and int(key) < len(node) else None
                continue
            if not isinstance(node, dict):
                break
            context = replace(context, scope=self._node_scope(node, path[:depth], context)[0])
            found = self.found_type(node, path[:depth], context)
            context = self._child_context(
                context, key, found.holder.scope if found and found.holder else None
            )
            node = node.get(key)
        if isinstance(node, dict):
            context = replace(context, scope=self._node_scope(node, path, context)[0])
        return context

    def found_type(self, node: dict[str, Any], path: tuple[Any, ...], context: Context) -> Found | None:
        """What the node's ``type`` resolves to in ``context``, if it has one and it resolves."""
        if keys.TYPE not in node or context.kind in _NOT_BUILT:
            return None
        name = peek(self.root, (*path, keys.TYPE), node[keys.TYPE])
        registry = context.registry or self.lookup.registry("MODELS")
        if not isinstance(name, str) or registry is None:
            return None
        try:
            return self.lookup.resolve(name, registry, context.scope)
        except HydraregError:
            return None

    def _default_scope(self) -> str | None:
        scope = peek(self.root, (keys.DEFAULT_SCOPE,), self.root.get(keys.DEFAULT_SCOPE))
        return scope if isinstance(scope, str) else None

    # ------------------------------------------------------------------ the walk

    def walk(self, value: Any, path: tuple[Any, ...], context: Context) -> Iterator[Problem]:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from self.walk(item, (*path, index), context)
        elif isinstance(value, dict):
            yield from self._walk_mapping(value, path, context)
        else:
            yield from self._check_value(value, path)

    def _walk_mapping(
        self, node: dict[str, Any], path: tuple[Any, ...], context: Context
    ) -> Iterator[Problem]:
        scope, problem = self._node_scope(node, path, context)
        if problem is not None:
            yield problem
        context = replace(context, scope=scope)
        if keys.TYPE in node and context.kind not in _NOT_BUILT:
            yield from self._check_type_node(node, path, context)
        elif keys.TARGET in node:
            yield from self._check_target_node(node, path, context)
        else:
            for key, child in node.items():
                if key not in (keys.SCOPE, keys.DELETE):
                    yield from self.walk(child, (*path, key), self._child_context(context, key))

    def _child_context(self, context: Context, key: Any, owner_scope: str | None = None) -> Context:
        kind = routing.nested_kind(context.kind, str(key))
        if kind == routing.RUNNER:  # MMEngine's Runner builds it: its classes answer, as in the run
            join_mmengine()
        owner_scope = owner_scope or context.owner_scope
        injected = routing.INJECTED_BY_KEY.get(str(key), ())
        if kind == context.kind and owner_scope == context.owner_scope:
            return replace(context, runtime_args=injected)
        registry = self.lookup.registry(kind, owner_scope) or context.registry
        return Context(kind, registry, context.scope, owner_scope, injected)

    def _check_value(self, value: Any, path: tuple[Any, ...]) -> Iterator[Problem]:
        if value == MISSING:
            yield Problem("missing-value", _dotted(path), "a mandatory value (???) was never given")
        elif is_interpolation(value):
            try:
                peek(self.root, path, value, strict=True)
            except BrokenReference as exc:
                yield Problem(
                    "reference",
                    _dotted(path),
                    f"{value} refers to {exc.reference}, which is not in the config",
                )

    def _node_scope(
        self, node: dict[str, Any], path: tuple[Any, ...], context: Context
    ) -> tuple[str | None, Problem | None]:
        key = keys.DEFAULT_SCOPE if context.kind == routing.RUNNER else keys.SCOPE
        if key not in node:
            return context.scope, None
        scope = peek(self.root, (*path, key), node[key])
        if not isinstance(scope, str):
            return context.scope, Problem(
                "scope", _dotted((*path, key)), f"{key} must be a scope name, got {scope!r}"
            )
        registry = context.registry if context.kind != routing.RUNNER else None  # scopes MMEngine imports
        if registry is not None and registry.find_scope(scope) is None:
            known = ", ".join(sorted(registry.root._scope_index))
            message = f"no registry with scope {scope!r} in the {describe(registry.root)} tree"
            return scope, Problem("scope", _dotted((*path, key)), message, hint=f"scopes: {known}")
        return scope, None

    # ------------------------------------------------------------------ build nodes

    def _check_type_node(
        self, node: dict[str, Any], path: tuple[Any, ...], context: Context
    ) -> Iterator[Problem]:
        name = peek(self.root, (*path, keys.TYPE), node[keys.TYPE])
        registry = context.registry or self.lookup.registry("MODELS")
        assert registry is not None
        found = None
        if isinstance(name, str):
            found = self._resolve(name, registry, path, context)
            if isinstance(found, Problem):
                yield found
                found = None
        elif name is not UNKNOWN:
            yield Problem(
                "type", _dotted((*path, keys.TYPE)), f"type must be a registered name, got {name!r}"
            )
        if isinstance(found, Found):
            yield from self._check_arguments(node, path, found, context)
        owner_scope = found.holder.scope if isinstance(found, Found) and found.holder else None
        yield from self._walk_arguments(node, path, context, owner_scope)

    def _resolve(
        self, name: str, registry: Registry, path: tuple[Any, ...], context: Context
    ) -> Found | Problem:
        try:
            found = self.lookup.resolve(name, registry, context.scope)
        except HydraregError as exc:  # a lazy location or a declared scope failed to import
            return Problem("import", _dotted((*path, keys.TYPE)), exc.message, registry=exc.registry or "")
        if found is not None:
            return found
        error = unknown_type_error(name, target_registry(registry, context.scope), registry, _dotted(path))
        details = dict(error.details)
        hint = f"did you mean: {details['did you mean']}" if "did you mean" in details else ""
        if len(path) == 1 and not self.lookup.is_declared(str(path[0])):
            hint = (hint + "; " if hint else "") + (
                f"no registry is declared for {path[0]!r}: pass --registry {path[0]}=module:ATTR "
                "or list it in the app's HYDRAREG_BUILDS"
            )
        return Problem(
            "unknown-type",
            _dotted((*path, keys.TYPE)),
            error.message,
            hint=hint,
            registry=details.get("searched", describe(registry)),
            scope=context.scope,
        )

    def _check_target_node(
        self, node: dict[str, Any], path: tuple[Any, ...], context: Context
    ) -> Iterator[Problem]:
        target = peek(self.root, (*path, keys.TARGET), node[keys.TARGET])
        obj = None
        if isinstance(target, str):
            try:
                obj = import_dotted_object(
                    target, cast(Registry, context.registry or self.lookup.registry("MODELS"))
                )
            except HydraregError as exc:
                yield Problem("import", _dotted((*path, keys.TARGET)), exc.message)
            else:
                if obj is None:
                    yield Problem(
                        "unknown-target",
                        _dotted((*path, keys.TARGET)),
                        f"cannot import {target!r}: no such class or function",
                    )
        if obj is not None:
            found = Found(obj, None, context.registry or self.lookup.registry("MODELS"))  # type: ignore[arg-type]
            yield from self._check_arguments(
                node, path, found, context, positional=len(node.get(keys.ARGS) or ())
            )
        yield from self._walk_arguments(node, path, context, None)

    def _walk_arguments(
        self, node: dict[str, Any], path: tuple[Any, ...], context: Context, owner_scope: str | None
    ) -> Iterator[Problem]:
        for key, child in node.items():
            if key in (
                keys.TYPE,
                keys.SCOPE,
                keys.DELETE,
                keys.TARGET,
                keys.RECURSIVE,
                keys.PARTIAL,
                keys.CONVERT,
            ):
                continue
            yield from self.walk(child, (*path, key), self._child_context(context, key, owner_scope))

    # ------------------------------------------------------------------ arguments

    def _check_arguments(
        self, node: dict[str, Any], path: tuple[Any, ...], found: Found, context: Context, positional: int = 0
    ) -> Iterator[Problem]:
        signature = signatures.signature_of(found.obj)
        if signature is None:
            return
        where = _where(found)
        given = [key for key in node if key not in _NOT_ARGUMENTS]
        if not signatures.accepts_any_keyword(signature):
            accepted = signatures.keyword_names(signature)
            for key in given:
                if key not in accepted:
                    close = closest(str(key), accepted)
                    hint = (
                        f"did you mean: {', '.join(close)}?" if close else f"it takes: {', '.join(accepted)}"
                    )
                    yield Problem(
                        "unknown-argument",
                        _dotted((*path, key)),
                        f"{_name(found)} takes no argument {key!r}",
                        hint,
                        where,
                        context.scope,
                    )
        injected = (*context.runtime_args, *routing.INJECTED.get(context.kind, ()))
        if not node.get(keys.PARTIAL):
            required = signatures.required_names(signature)[positional:]
            missing = [name for name in required if name not in given and name not in injected]
            if missing:
                yield Problem(
                    "missing-argument",
                    _dotted(path),
                    f"{_name(found)} needs {', '.join(missing)}, which the config does not give",
                    "",
                    where,
                    context.scope,
                )
        yield from self._check_annotations(node, path, found, signature, given)

    def _check_annotations(
        self, node: dict[str, Any], path: tuple[Any, ...], found: Found, signature: Any, given: list[Any]
    ) -> Iterator[Problem]:
        for key in given:
            parameter = signature.parameters.get(key)
            if parameter is None:
                continue
            value = peek(self.root, (*path, key), node[key])
            if value is UNKNOWN or value == MISSING:
                continue
            if signatures.fits(value, parameter.annotation, parameter.default) is False:
                expected = getattr(parameter.annotation, "__name__", None) or str(parameter.annotation)
                yield Problem(
                    "wrong-type",
                    _dotted((*path, key)),
                    f"{_name(found)} expects {key}: {expected}, got {value!r}",
                    "",
                    _where(found),
                )


def _name(found: Found) -> str:
    qualname = getattr(found.obj, "__qualname__", None) or repr(found.obj)
    holder = found.holder
    return (
        f"{holder.scope}.{qualname}"
        if holder is not None
        else f"{getattr(found.obj, '__module__', '')}.{qualname}"
    )


def _where(found: Found) -> str:
    return f"found in {describe(found.holder)}" if found.holder is not None else "imported by its dotted path"


def _dotted(path: tuple[Any, ...]) -> str:
    dotted = ""
    for key in path:
        dotted = join_path(dotted, key)
    return dotted


def check_config(cfg: Any, builds: Mapping[str, Any] | None = None) -> list[Problem]:
    """Check one config (a dict or a DictConfig, left unchanged) without building anything.

    ``builds`` maps top-level keys to the app's registries (``'module:ATTR'``, a dict or a
    :class:`~hydrareg.commands.app.BuildSpec`), as ``HYDRAREG_BUILDS`` does.
    """
    from omegaconf import DictConfig

    from .app import build_spec
    from .values import plain

    specs = {key: build_spec(spec) for key, spec in (builds or {}).items()}
    root = plain(cfg) if isinstance(cfg, DictConfig) else copy.deepcopy(cfg)
    return ConfigChecker(Lookup(specs)).check(root)
