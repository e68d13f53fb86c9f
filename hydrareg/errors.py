"""One error hierarchy for everything hydrareg raises.

Every error subclasses :class:`HydraregError` *and* the built-in a caller would naturally catch
(``KeyError`` for unknown names, ``TypeError`` for wrong kinds of values, ``ImportError`` for failed
imports, ``ValueError`` for bad values), so ``except KeyError`` keeps working for code written
against MMEngine. Messages name the dotted config path when one is known (``model.backbone.type``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Sequence

__all__ = [
    "BlockedTargetError",  # noqa: F822 (made on first use, see __getattr__)
    "BuildArgumentError",
    "CompositionError",
    "ConfigKeyError",
    "ConfigResolutionError",
    "ConfigTypeError",
    "ConfigValueError",
    "ConversionError",
    "CustomImportError",
    "ForbiddenTargetError",  # noqa: F822
    "HydraregError",
    "RegistrationError",
    "RegistryImportError",
    "SafeModeError",  # noqa: F822
    "UnknownScopeWarning",
    "UnknownTargetError",
    "UnknownTypeError",
]


class HydraregError(Exception):
    """Base class: a message plus the config path and registry it concerns, when known."""

    def __init__(
        self,
        message: str,
        *,
        config_path: str | None = None,
        registry: str | None = None,
        details: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.message = message
        self.config_path = config_path
        self.registry = registry
        self.details = tuple(details)
        super().__init__(format_message(message, config_path, registry, self.details))

    def __str__(self) -> str:  # KeyError would otherwise repr-quote the message
        return str(self.args[0]) if self.args else ""

    def __reduce__(self):  # keep the structured fields across pickling (multirun workers)
        return (
            _rebuild,
            (type(self), self.message, self.config_path, self.registry, self.details),
        )

    def set_config_path(self, config_path: str) -> None:
        """Name the config path after the fact (the error was raised where it was not known)."""
        self.config_path = config_path
        self.args = (format_message(self.message, config_path, self.registry, self.details),)


def _rebuild(cls, message, config_path, registry, details):
    return cls(message, config_path=config_path, registry=registry, details=details)


def format_message(
    message: str,
    config_path: str | None,
    registry: str | None,
    details: Iterable[tuple[str, str]] = (),
) -> str:
    """The message, then one indented ``label: value`` line per known fact."""
    lines = [message]
    if config_path is not None:  # "" is the config's root
        lines.append(f"  config path: {config_path or '<root>'}")
    if registry:
        lines.append(f"  registry:    {registry}")
    lines.extend(f"  {label + ':':<12} {value}" for label, value in details)
    return "\n".join(lines)


def find_hydrareg_error(exc: BaseException) -> HydraregError | None:
    """Our error inside another library's wrapper (OmegaConf wraps resolver exceptions), if any."""
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, HydraregError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class ConfigKeyError(HydraregError, KeyError):
    """A key the build needs is missing from a config node."""


class UnknownTypeError(ConfigKeyError):
    """A ``type`` names nothing registered in the scopes searched (MMEngine raises KeyError)."""


class UnknownTargetError(ConfigKeyError):
    """A Hydra-style ``_target_`` names nothing importable."""


class RegistrationError(HydraregError, KeyError):
    """A name is already taken by a different object (MMEngine raises KeyError)."""


class ConfigTypeError(HydraregError, TypeError):
    """A config node or argument has the wrong kind of value (a list where a dict belongs, ...)."""


class BuildArgumentError(ConfigTypeError):
    """A constructor rejected the arguments a config gave it (unknown or missing parameter)."""


class ConfigValueError(HydraregError, ValueError):
    """A config value has the right kind but an unusable value."""


class ConfigResolutionError(ConfigValueError):
    """An interpolation could not be resolved, or a mandatory value (``???``) is missing."""


class CompositionError(ConfigValueError):
    """Composing config files went wrong (for example a misplaced ``_delete_``)."""


class ConversionError(HydraregError, ValueError):
    """An MMEngine config the converter cannot read, evaluate or express in YAML.

    The message starts with ``file:line:`` (the source file, and the line when one is known), so a
    failure in a six-deep ``_base_`` chain points at the file to look at.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        config_path: str | None = None,
        registry: str | None = None,
        details: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.file = file
        self.line = line
        where = f"{file}:{line}: " if file and line else f"{file}: " if file else ""
        super().__init__(where + message, config_path=config_path, registry=registry, details=details)
        self.message = message

    def __reduce__(self):  # keep file and line across pickling, without repeating the prefix
        return (
            _rebuild_conversion,
            (type(self), self.message, self.file, self.line, self.config_path, self.details),
        )


def _rebuild_conversion(cls, message, file, line, config_path, details):
    return cls(message, file=file, line=line, config_path=config_path, details=details)


class RegistryImportError(HydraregError, ImportError):
    """A module named by a dotted ``type`` or a registry's ``locations`` failed while importing."""


class CustomImportError(HydraregError, ImportError):
    """A module listed in ``custom_imports`` could not be imported."""


class UnknownScopeWarning(UserWarning):
    """A ``_scope_`` names a scope with no registry in the tree; the called registry is used."""


# ---------------------------------------------------------------------------------------- config paths


def at_config_path(exc: BaseException, path: str | None) -> None:
    """A hydrareg error raised where the path was unknown (a lookup) happened at ``path``: name it."""
    if path is not None and isinstance(exc, HydraregError) and exc.config_path is None:
        exc.set_config_path(path)


def note_config_path(exc: BaseException, what: str, path: str | None) -> None:
    """The one rule for errors from inside a constructor: one note with the innermost config path.

    Any exception without a config path of its own gains ``while building <what> from config path
    <path>``; outer builds add nothing more, so a 200-deep chain of constructors gives one note, not
    200 growing ones.
    """
    if path is None or noted_config_path(exc) is not None:
        return
    if isinstance(exc, HydraregError) and exc.config_path is not None:
        return
    with contextlib.suppress(AttributeError):  # __slots__ exceptions: a note per level, the lesser evil
        exc._hydrareg_noted_path = path  # type: ignore[attr-defined]
    note = f"while building {what} from config path {path or '<root>'}"
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    else:  # Python 3.10: keep the note for tools that read it
        exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # type: ignore[attr-defined]


def noted_config_path(exc: BaseException) -> str | None:
    """The config path :func:`note_config_path` gave ``exc`` ('' for the root), or None."""
    return getattr(exc, "_hydrareg_noted_path", None)


# ---------------------------------------------------------------------------------------- policy errors
# What a config may build (hydrareg.policy). They subclass Hydra's InstantiationException, so code that
# catches Hydra's refusal of a blocklisted target catches ours. Importing Hydra costs ~20 ms, so these
# classes are made on first use (``from hydrareg.errors import SafeModeError`` works as usual).

_POLICY_ERRORS = {
    "ForbiddenTargetError": (None, "A config named something it may not build, call or import."),
    "BlockedTargetError": (
        "ForbiddenTargetError",
        "The target is on the blocklist (as in Hydra 1.3.8), safe mode or not.",
    ),
    "SafeModeError": (
        "ForbiddenTargetError",
        "Safe mode refused a target or import that is neither registered nor allowlisted.",
    ),
}


_policy_errors_lock = threading.Lock()


def __getattr__(name: str) -> type:
    if name not in _POLICY_ERRORS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _policy_errors_lock:
        return _policy_error_class(name)


def _policy_error_class(name: str) -> type:
    existing = globals().get(name)
    if existing is not None:
        return existing
    base_name, doc = _POLICY_ERRORS[name]
    if base_name is None:
        from hydra.errors import InstantiationException

        bases: tuple[type, ...] = (HydraregError, InstantiationException)
    else:
        bases = (_policy_error_class(base_name),)
    cls = type(name, bases, {"__doc__": doc, "__module__": __name__, "__qualname__": name})
    globals()[name] = cls
    return cls
