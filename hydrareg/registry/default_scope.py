"""MMEngine's module name for ``DefaultScope``; the class and the scope switch live in :mod:`.scope`."""

from __future__ import annotations

from .manager import ManagerMixin
from .scope import DefaultScope, _current

__all__ = ["DefaultScope", "ManagerMixin", "_current"]
