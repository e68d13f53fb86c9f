"""One error hierarchy for everything hydrareg raises.

Every error subclasses :class:`HydraregError` *and* the built-in a caller would naturally catch
(``KeyError`` for unknown names, ``TypeError`` for wrong kinds of values, ``ImportError`` for failed
imports, ``ValueError`` for bad values), so ``except KeyError`` keeps working for code written
against MMEngine. Messages name the dotted config path when one is known (``model.backbone.type``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "BuildArgumentError",
    "CompositionError",
    "ConfigKeyError",
    "ConfigResolutionError",
    "ConfigTypeError",
    "ConfigValueError",
    "ConversionError",
    "CustomImportError",
    "HydraregError",
    "RegistrationError",
    "RegistryImportError",
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
    if config_path:
        lines.append(f"  config path: {config_path}")
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
