"""``custom_imports``: import the modules a config needs, wherever the config is resolved.

Two spellings, both honoured everywhere hydrareg reads a config (``instantiate``, ``run.py``'s task,
multirun workers):

- the resolver, ``custom_imports: ${custom_imports:my_lib.models,other_lib.models}``; a last
  argument ``true`` allows failed imports (a warning instead of an error), and a list works too:
  ``${custom_imports:[my_lib.models],true}``. It is not cached, so it imports again in every
  process that resolves it, and returns a string (OmegaConf 2.3 cannot hold a list through
  ``resolve``);
- MMEngine's dict, ``custom_imports: {imports: [my_lib.models], allow_failed_imports: false}``.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from . import keys, policy
from .configdict import join_path
from .errors import ConfigTypeError, ConfigValueError, CustomImportError, find_hydrareg_error

__all__ = ["import_custom_modules", "import_modules", "register_resolvers"]

RESOLVER_NAME = keys.CUSTOM_IMPORTS


def import_modules(
    modules: Iterable[str], allow_failed: bool = False, config_path: str | None = None
) -> list[str]:
    """Import each module (idempotent); returns the names imported. Failures raise or warn.

    Safe mode (:mod:`hydrareg.policy`) imports only allowlisted or already imported modules.
    """
    imported = []
    for index, name in enumerate(modules):
        _check_module_name(name, join_path(config_path, index) if config_path else config_path)
        policy.check_import(name, config_path)
        try:
            importlib.import_module(name)
        except ImportError as exc:
            if not allow_failed:
                raise _import_error(name, exc, config_path) from exc
            warnings.warn(f"{name} failed to import and is ignored: {exc}", UserWarning, stacklevel=2)
            continue
        except Exception as exc:  # the module itself raised while importing
            raise _import_error(name, exc, config_path) from exc
        imported.append(name)
    return imported


def _check_module_name(name: Any, config_path: str | None) -> None:
    if not isinstance(name, str):
        raise ConfigTypeError(
            f"{keys.CUSTOM_IMPORTS} entries must be module names, but got {type(name).__name__} {name!r}",
            config_path=config_path,
        )
    if not name or not all(part.isidentifier() for part in name.split(".")):
        raise ConfigValueError(
            f"{keys.CUSTOM_IMPORTS} entries must be dotted module names (my_lib.models), not {name!r}",
            config_path=config_path,
        )


#: How many ``sys.path`` entries an import error lists (the message stays short on the command line).
SHOWN_PATHS = 3


def _import_error(name: str, exc: Exception, config_path: str | None) -> CustomImportError:
    entries = [entry or "(the current directory)" for entry in sys.path]
    shown = "\n    ".join(entries[:SHOWN_PATHS])
    if len(entries) > SHOWN_PATHS:
        shown += f"\n    ... and {len(entries) - SHOWN_PATHS} more"
    return CustomImportError(
        f"Failed to import custom module {name!r}: {_describe(exc)}",
        config_path=config_path,
        details=[
            (
                "hint",
                "write module paths with dots (my_lib.models), and make the package importable",
            ),
            ("sys.path", "\n    " + shown),
        ],
    )


def _describe(exc: Exception) -> str:
    """An ImportError's own words; any other exception raised while importing, with its type."""
    return str(exc) if isinstance(exc, ImportError) else f"{type(exc).__name__}: {exc}"


def _resolve_custom_imports(*args: Any, _node_: Any = None) -> str:
    """The ``${custom_imports:...}`` resolver: import, then return the names as one string."""
    modules, allow_failed = _resolver_arguments(args)
    path = None if _node_ is None else _node_._get_full_key(None)
    return ",".join(import_modules(modules, allow_failed, path))


def _resolver_arguments(args: Sequence[Any]) -> tuple[list[str], bool]:
    allow_failed = False
    if args and isinstance(args[-1], bool):
        allow_failed = args[-1]
        args = args[:-1]
    modules: list[str] = []
    for arg in args:
        if isinstance(arg, (list, tuple, ListConfig)):
            modules.extend(arg)
        else:
            modules.append(arg)
    return modules, allow_failed


def import_custom_modules(cfg: Any) -> list[str]:
    """Carry out the ``custom_imports`` of a config root (either spelling); returns what was imported.

    ``cfg`` may be a DictConfig (any node: its root is used) or a plain dict.
    """
    if isinstance(cfg, (DictConfig, ListConfig)):
        root = cfg._get_root()
        if not isinstance(root, DictConfig) or keys.CUSTOM_IMPORTS not in root:
            return []
        try:
            value = root[keys.CUSTOM_IMPORTS]  # runs the resolver, if that is the spelling
        except OmegaConfBaseException as exc:
            raise (find_hydrareg_error(exc) or exc) from exc
        if isinstance(value, (DictConfig, ListConfig)):
            value = OmegaConf.to_container(value, resolve=True)
    elif isinstance(cfg, dict):
        value = cfg.get(keys.CUSTOM_IMPORTS)
    else:
        return []
    return _import_value(value)


def _import_value(value: Any) -> list[str]:
    """MMEngine's dict form, a list, a single name, or the resolver's already-imported string."""
    path = keys.CUSTOM_IMPORTS
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return import_modules([name for name in value.split(",") if name], config_path=path)
    if isinstance(value, dict):
        return _import_dict_form(value, path)
    if isinstance(value, (list, tuple)):
        return import_modules(value, config_path=path)
    raise ConfigTypeError(
        f"{keys.CUSTOM_IMPORTS} must be a dict, a list or a resolver string, but got {type(value).__name__}",
        config_path=path,
    )


def _import_dict_form(value: dict[Any, Any], path: str) -> list[str]:
    """MMEngine's ``{imports: [...], allow_failed_imports: bool}``, each key checked for its shape."""
    unknown = set(value) - {keys.IMPORTS, keys.ALLOW_FAILED_IMPORTS}
    if unknown:
        raise ConfigTypeError(
            f"{keys.CUSTOM_IMPORTS} takes only '{keys.IMPORTS}' and "
            f"'{keys.ALLOW_FAILED_IMPORTS}', not {sorted(map(repr, unknown))}",
            config_path=path,
        )
    imports = value.get(keys.IMPORTS) or []
    if isinstance(imports, str):
        imports = [imports]
    if not isinstance(imports, (list, tuple)):
        raise ConfigTypeError(
            f"{keys.IMPORTS} must be a module name or a list of them, but got {type(imports).__name__}",
            config_path=join_path(path, keys.IMPORTS),
        )
    allow_failed = value.get(keys.ALLOW_FAILED_IMPORTS, False)
    if not isinstance(allow_failed, bool):
        raise ConfigTypeError(
            f"{keys.ALLOW_FAILED_IMPORTS} must be true or false, but got {allow_failed!r}",
            config_path=join_path(path, keys.ALLOW_FAILED_IMPORTS),
        )
    return import_modules(imports, allow_failed, join_path(path, keys.IMPORTS))


def register_resolvers() -> None:
    """Register hydrareg's resolvers with OmegaConf; safe to call any number of times."""
    _register(RESOLVER_NAME, _resolve_custom_imports)


def _register(name: str, function: Any) -> None:
    register: Any = OmegaConf.register_resolver  # its signature changed in OmegaConf 2.4
    if "annotation_validation" in inspect.signature(register).parameters:  # OmegaConf >= 2.4
        register(name, function, replace=True, use_cache=False)
    else:
        OmegaConf.register_new_resolver(name, function, replace=True, use_cache=False)
