"""The default scope: which library's registries a build looks in first.

MMEngine keeps one process-global "current" scope and swaps it around every ``_scope_`` build, so
threads and asyncio tasks see each other's scopes (mmengine-registry.md #43) and a failed
construction can leave a lock held forever (#44). Here the current scope lives in a
:class:`contextvars.ContextVar`: each thread and each asyncio task has its own, and every switch is
undone with a token, also when the build raises.

A context that never chose a scope (a fresh thread, say) sees the most recently *created*
:class:`DefaultScope`, which is exactly MMEngine's notion of "current"; so a scope set with
:func:`~hydrareg.registry.init_default_scope` in the main thread still reaches worker threads,
while a ``_scope_`` switch stays private to the context that made it.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar, TypeVar

from ..errors import ConfigTypeError

__all__ = ["DefaultScope", "ManagerMixin"]

_T = TypeVar("_T", bound="ManagerMixin")


class ManagerMixin:
    """Named, process-wide instances: ``get_instance(name, **kwargs)`` creates once, then returns.

    The same contract as ``mmengine.utils.ManagerMixin``, without its lock leak: the lock is held
    in a ``with`` block, so a constructor that raises releases it and leaves nothing registered.
    """

    _instances: ClassVar[dict[str, Any]] = {}
    _latest: ClassVar[Any] = None
    _lock: ClassVar[threading.RLock] = threading.RLock()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._instances = {}
        cls._latest = None

    def __init__(self, name: str = "", **kwargs: Any) -> None:
        if not isinstance(name, str):
            raise ConfigTypeError(f"name should be a str, but got {type(name)}")
        self._instance_name = name

    @property
    def instance_name(self) -> str:
        return self._instance_name

    @classmethod
    def get_instance(cls: type[_T], name: str, **kwargs: Any) -> _T:
        """Return the instance called ``name``, creating it (and making it current) if new."""
        with cls._lock:
            instance = cls._instances.get(name)
            if instance is None:
                instance = cls(name=name, **kwargs)
                cls._instances[name] = instance
                cls._latest = instance
                cls._on_created(instance)
            elif kwargs:
                warnings.warn(
                    f"{cls.__name__} instance {name!r} already exists; "
                    f"the arguments {sorted(kwargs)} are ignored",
                    UserWarning,
                    stacklevel=2,
                )
        return instance

    @classmethod
    def _on_created(cls, instance: Any) -> None:
        """Hook for subclasses: runs once per new named instance, under the lock."""

    @classmethod
    def get_current_instance(cls: type[_T]) -> _T | None:
        """The most recently created instance, or None."""
        return cls._latest

    @classmethod
    def check_instance_created(cls, name: str) -> bool:
        return name in cls._instances


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

    @classmethod
    def get_current_instance(cls) -> DefaultScope | None:
        """This context's scope, else the most recently created one, else None."""
        instance = _current.get()
        return instance if instance is not None else cls._latest

    @classmethod
    @contextmanager
    def overwrite_default_scope(cls, scope_name: str | None) -> Iterator[None]:
        """Make ``scope_name`` current in this context for the ``with`` block (None: no change)."""
        if scope_name is None:
            yield
            return
        token = _current.set(cls._overwrite_instance(scope_name))
        try:
            yield
        finally:
            _current.reset(token)

    @classmethod
    def _overwrite_instance(cls, scope_name: str) -> DefaultScope:
        """An anonymous, reusable instance for a temporary switch (never becomes the fallback)."""
        instance = cls._overwrites.get(scope_name)
        if instance is None:
            instance = cls(f"overwrite-{scope_name}", scope_name=scope_name)
            cls._overwrites[scope_name] = instance
        return instance


def current_scope_name() -> str | None:
    """The scope name builds in this context use, or None."""
    instance = _current.get()
    if instance is None:
        instance = DefaultScope._latest
    return None if instance is None else instance._scope_name


def set_context_scope(scope_name: str) -> Any:
    """Switch this context's scope; returns the token for :func:`reset_context_scope`."""
    return _current.set(DefaultScope._overwrite_instance(scope_name))


def reset_context_scope(token: Any) -> None:
    _current.reset(token)
