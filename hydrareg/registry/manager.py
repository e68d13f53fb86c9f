"""``ManagerMixin``: named, process-wide instances, as ``mmengine.utils.ManagerMixin``."""

from __future__ import annotations

import threading
import warnings
from typing import Any, ClassVar, TypeVar

from ..errors import ConfigTypeError

__all__ = ["ManagerMixin"]

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
