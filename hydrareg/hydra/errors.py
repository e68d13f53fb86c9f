"""The error hydrareg raises from inside Hydra's composition.

It is a :class:`hydrareg.errors.CompositionError` (``except CompositionError`` and ``ValueError`` keep
working) and a Hydra ``ConfigCompositionException``, which Hydra's command line prints as a message,
without a traceback (``HYDRA_FULL_ERROR=1`` shows it).
"""

from __future__ import annotations

from hydra.errors import ConfigCompositionException

from ..errors import CompositionError

__all__ = ["HydraCompositionError"]


class HydraCompositionError(CompositionError, ConfigCompositionException):
    """A config that cannot be composed: the message names the file (and ``_delete_`` if it is the cause)."""
