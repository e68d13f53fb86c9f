"""Errors of ``_target_`` nodes: Hydra's ``InstantiationException`` and hydrareg's hierarchy at once.

Code written for Hydra catches ``hydra.errors.InstantiationException``; code written for hydrareg
catches :class:`~hydrareg.errors.HydraregError` or the built-in type. An error raised while building
a ``_target_`` node is all three: an exception raised by the target itself is re-raised as a class
that subclasses both :class:`TargetCallError` and the original exception's class.
(Kept out of :mod:`hydrareg.errors` because importing ``hydra`` costs ~50 ms.)
"""

from __future__ import annotations

import functools
from typing import Any, cast

from hydra.errors import InstantiationException

from ..errors import (
    ConfigResolutionError,
    ConfigTypeError,
    HydraregError,
    UnknownTargetError,
    format_message,
)

__all__ = [
    "InstantiationError",
    "TargetArgumentsError",
    "TargetCallError",
    "TargetLocateError",
    "TargetResolutionError",
    "with_original_type",
]


class InstantiationError(HydraregError, InstantiationException):
    """Base of the ``_target_`` errors: a HydraregError that ``except InstantiationException`` catches."""


class TargetLocateError(InstantiationError, UnknownTargetError):
    """A ``_target_`` names nothing importable, or something that is not callable."""


class TargetArgumentsError(InstantiationError, ConfigTypeError):
    """The config of a ``_target_`` node cannot become arguments (``_args_`` not a list, a top-level list
    with ``_partial_``, a config of an unsupported type)."""


class TargetCallError(InstantiationError):
    """The target raised; the error is also an instance of the target's own exception class."""

    def __reduce__(self) -> Any:  # the combined class is made at run time: pickle as the plain one
        return (_rebuild_plain, (TargetCallError, self.message, self.config_path, self.details))


class TargetResolutionError(InstantiationError, ConfigResolutionError):
    """A value of a ``_target_`` tree is missing (``???``) or its interpolation fails; the error is
    also an instance of OmegaConf's exception class (``MissingMandatoryValue``, ...)."""

    def __reduce__(self) -> Any:
        return (_rebuild_plain, (TargetResolutionError, self.message, self.config_path, self.details))


def _rebuild_plain(cls: type, message: str, config_path: str | None, details: Any) -> HydraregError:
    return cls(message, config_path=config_path, details=details)


def with_original_type(
    base: type[HydraregError],
    original: BaseException,
    message: str,
    config_path: str | None,
    details: tuple[tuple[str, str], ...] = (),
) -> HydraregError:
    """An instance of ``base`` that is also an instance of ``type(original)`` (``base`` alone if the two
    cannot be combined, as for exception classes with ``__slots__`` or a closed layout)."""
    cls = _combined_class(cast(Any, base), cast(Any, type(original)))
    try:
        error = cls.__new__(cls)
    except Exception:  # an exception class whose __new__ needs arguments
        cls = base
        error = cls.__new__(cls)
    error.message, error.config_path, error.registry, error.details = message, config_path, None, details
    Exception.__init__(error, format_message(message, config_path, None, details))
    return error


@functools.lru_cache(maxsize=256)
def _combined_class(base: type[HydraregError], original: type[BaseException]) -> type[HydraregError]:
    if issubclass(original, base) or not issubclass(original, Exception):
        return base
    try:
        return type(f"Target{original.__name__}", (base, original), {"__module__": base.__module__})
    except TypeError:  # layout conflict
        return base
