"""The state of one composition, passed between the cache layers through a context variable.

Hydra's ``load_configuration`` asks ``create_defaults_list`` for the defaults list, then merges it in
``_compose_config_from_defaults_list``. The defaults-list layer records which file versions it used
and which questions it asked of the config sources; the merge layer and the configuration layer read
that record. It lives in a :class:`ComposeState` per composition (a ``ContextVar``, so threads and
nested compositions never see each other's), not in module globals.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

__all__ = ["ComposeState", "composing", "current_state"]

Call = tuple[Any, ...]


class ComposeState:
    """What the defaults list of the composition under way depended on."""

    __slots__ = ("calls", "tags")

    def __init__(self) -> None:
        #: config path -> the validated version (cache tag) of the file the defaults list used
        self.tags: dict[str, Any] = {}
        #: every question asked of the config sources and its answer; None: it could not be recorded
        self.calls: list[Call] | None = None


_STATE: ContextVar[ComposeState | None] = ContextVar("hydrareg_compose_state", default=None)


@contextlib.contextmanager
def composing() -> Iterator[ComposeState]:
    """A fresh state for one composition (``load_configuration``), restored afterwards."""
    state = ComposeState()
    token = _STATE.set(state)
    try:
        yield state
    finally:
        _STATE.reset(token)


def current_state() -> ComposeState:
    """The state of the composition under way; a throw-away one outside ``load_configuration``."""
    state = _STATE.get()
    return state if state is not None else ComposeState()
