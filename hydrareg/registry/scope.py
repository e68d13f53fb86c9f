"""The default scope (which library's registries a build looks in first) and ``use_scope``.

MMEngine keeps one process-global "current" scope and swaps it around every ``_scope_`` build, so
threads and asyncio tasks see each other's scopes (mmengine-registry.md #43). Here the current
scope lives in a :class:`contextvars.ContextVar`. A context that never chose a scope sees the most
recently *created* :class:`DefaultScope` (MMEngine's notion of "current"), so a scope set with
``init_default_scope`` in the main thread still reaches worker threads, while a switch stays
private to the context that made it.

Every build path (a registry's ``build``, each ``_scope_`` node, the config root's
``default_scope``) switches through :class:`use_scope`, the one place that does. It validates the
scope, warns once per tree about a scope no registry has, switches this context's scope, mirrors
the switch into MMEngine's process-global ``DefaultScope`` when the MMEngine bridge is installed,
and undoes both in reverse order when the block ends, also when it raises.
"""

from __future__ import annotations

import sys
import warnings
from contextvars import ContextVar
from typing import Any, ClassVar, Protocol

from .. import keys
from ..configdict import join_path
from ..errors import ConfigTypeError, UnknownScopeWarning
from . import _scopes
from .manager import ManagerMixin

__all__ = [
    "DefaultScope",
    "ScopeMirror",
    "current_scope_name",
    "install_mirror",
    "installed_mirror",
    "use_scope",
]

_current: ContextVar[DefaultScope | None] = ContextVar("hydrareg_default_scope", default=None)


class DefaultScope(ManagerMixin):
    """A named default scope, e.g. ``DefaultScope.get_instance('task', scope_name='mmdet')``.

    Creating one makes it current in the creating context and the process-wide fallback for
    contexts that never chose one.
    """

    _overwrites: ClassVar[dict[str, DefaultScope]] = {}

    def __init__(self, name: str, scope_name: str) -> None:
        super().__init__(name)
        if not isinstance(scope_name, str):
            raise ConfigTypeError(f"scope_name should be a string, but got {scope_name!r}")
        self._scope_name = scope_name

    @property
    def scope_name(self) -> str:
        return self._scope_name

    def __repr__(self) -> str:
        return f"DefaultScope(name={self._instance_name!r}, scope_name={self._scope_name!r})"

    @classmethod
    def _on_created(cls, instance: DefaultScope) -> None:
        _current.set(instance)
        if _mirror is not None:  # a created scope is permanent there too, as in MMEngine
            _mirror.push(instance._scope_name)

    @classmethod
    def get_current_instance(cls) -> DefaultScope | None:
        """This context's scope, else the most recently created one, else None."""
        instance = _current.get()
        return instance if instance is not None else cls._latest

    @classmethod
    def overwrite_default_scope(cls, scope_name: str | None) -> use_scope:
        """Make ``scope_name`` current in this context for the ``with`` block (None: no change)."""
        return use_scope(scope_name)

    @classmethod
    def _overwrite_instance(cls, scope_name: str) -> DefaultScope:
        """An anonymous, reusable instance for a temporary switch (never becomes the fallback)."""
        instance = cls._overwrites.get(scope_name)
        if instance is None:
            instance = cls(f"overwrite-{scope_name}", scope_name=scope_name)
            cls._overwrites[scope_name] = instance
        return instance


class ScopeMirror(Protocol):
    """Another library's default scope that follows hydrareg's switches (MMEngine's DefaultScope)."""

    def push(self, scope: str) -> Any:
        """Make ``scope`` current there; returns what :meth:`pop` needs to undo exactly this."""

    def pop(self, handle: Any) -> None:
        """Undo one :meth:`push`."""

    def current(self) -> str | None:
        """Its current scope name, or None."""


# The mirror is process-global because what it mirrors (MMEngine's DefaultScope) is.
_mirror: ScopeMirror | None = None
_modules = sys.modules


def install_mirror(mirror: ScopeMirror | None) -> ScopeMirror | None:
    """Make ``mirror`` follow every switch from now on (None: stop); returns the previous one."""
    global _mirror
    previous, _mirror = _mirror, mirror
    return previous


def installed_mirror() -> ScopeMirror | None:
    return _mirror


def current_scope_name() -> str | None:
    """The scope builds in this context use, or None.

    This context's own switch wins; without one, MMEngine's current default scope when the bridge
    is installed (the one ``register_all_modules``, ``init_default_scope`` or a Runner set), then
    the most recently created hydrareg :class:`DefaultScope`.
    """
    instance = _current.get()
    if instance is not None:
        return instance._scope_name
    if _mirror is None and "mmengine.registry" in _modules:
        _scopes.link_mmengine_if_loaded()
    if _mirror is not None:
        name = _mirror.current()
        if name is not None:
            return name
    instance = DefaultScope._latest
    return None if instance is None else instance._scope_name


class use_scope:
    """``with use_scope('mmdet', registry, 'model.neck'):`` builds inside see scope ``mmdet``.

    ``scope=None`` changes nothing. A scope that is not a str is a ``ConfigTypeError`` naming
    ``path._scope_``; a scope with no registry in ``registry``'s tree warns once per tree and
    still switches (MMEngine does the same). A plain class, not a generator: it runs per node.
    """

    __slots__ = ("_handle", "_token", "path", "registry", "scope")

    def __init__(self, scope: str | None, registry: Any = None, path: str | None = None) -> None:
        self.scope = scope
        self.registry = registry
        self.path = path
        self._token: Any = None
        self._handle: Any = None

    def __enter__(self) -> None:
        scope = self.scope
        if scope is None:
            return
        if type(scope) is not str:
            raise ConfigTypeError(
                f"{keys.SCOPE} must be a str, but got {type(scope).__name__}",
                config_path=join_path(self.path, keys.SCOPE),
            )
        if _mirror is None:  # not joined to MMEngine (yet): an installed package may bring it in
            _scopes.prepare_scope(scope)
        if self.registry is not None and self.registry.find_scope(scope) is None:
            warn_unknown_scope(scope, self.registry)
        self._token = _current.set(DefaultScope._overwrite_instance(scope))
        mirror = _mirror
        if mirror is not None:
            try:
                self._handle = (mirror, mirror.push(scope))
            except BaseException:
                _current.reset(self._token)
                raise

    def __exit__(self, *exc_info: Any) -> None:
        if self._token is None:
            return
        try:
            if self._handle is not None:
                mirror, handle = self._handle
                mirror.pop(handle)
        finally:
            _current.reset(self._token)
            self._token = self._handle = None


def warn_unknown_scope(scope: str, registry: Any) -> None:
    """Warn, once per scope and tree, that no registry in ``registry``'s tree has ``scope``."""
    if not registry.first_unknown_scope_use(scope):
        return
    root = registry.root
    warnings.warn(
        f"no registry with scope {scope!r} in the {root.scope}::{root.name} "
        f"tree; building with {registry.scope}::{registry.name}",
        UnknownScopeWarning,
        stacklevel=4,
    )
