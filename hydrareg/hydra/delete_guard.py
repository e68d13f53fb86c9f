"""``_delete_`` is applied or refused, never silently dropped.

Without the compose patch (patches off, or a Hydra whose code differs), Hydra merges a node marked
``_delete_: true`` instead of replacing it, and the marker stays in the result. Two guards catch it:

- the ``delete_guard`` patch wraps Hydra's ``load_configuration`` (a method of Hydra's public
  ``ConfigLoader`` interface, whatever its code) and stops composition with an error naming
  ``_delete_``, its config path and the files that set it;
- with every patch off, :func:`hydrareg.instantiate` refuses a config that still holds the marker
  (:func:`leftover_delete_error`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from omegaconf import DictConfig

from .. import keys
from ..errors import CompositionError
from ..merge import leftover_deletes

__all__ = ["check_composed", "leftover_delete_error", "make_delete_guard"]


def make_delete_guard(original: Callable[..., Any]) -> Callable[..., Any]:
    """``load_configuration`` that refuses a result still holding ``_delete_`` markers."""

    @functools.wraps(original)
    def load_configuration(self: Any, *args: Any, **kwargs: Any) -> Any:
        cfg = original(self, *args, **kwargs)
        check_composed(cfg, lambda: _files_with_markers(self, args, kwargs))
        return cfg

    return load_configuration


def check_composed(cfg: Any, files: Callable[[], list[str]] = list) -> None:
    """Raise :class:`CompositionError` if the composed ``cfg`` holds a ``_delete_`` marker."""
    if not isinstance(cfg, DictConfig):
        return
    paths = leftover_deletes(cfg)
    if paths:
        from .errors import HydraCompositionError

        raise leftover_delete_error(paths, files(), HydraCompositionError)


def leftover_delete_error(
    paths: Iterable[str], files: Iterable[str] = (), error_type: type[CompositionError] = CompositionError
) -> CompositionError:
    """The error for ``_delete_`` markers that composition did not apply."""
    paths = list(paths)
    details = [("file", file) for file in files] or [("file", "unknown (composed without hydrareg's hook)")]
    return error_type(
        f"{keys.DELETE} was not applied: {_why()}, so Hydra merged this node instead of replacing it. "
        "hydrareg stops rather than build from it. Turn the patches on, or remove the node "
        "from the earlier config instead of using _delete_",
        config_path=", ".join(paths),
        details=details,
    )


def _why() -> str:
    from .patches import TABLE, patches_enabled

    if not patches_enabled():
        return "hydrareg's patches of Hydra are off"
    for state in TABLE.status():
        if state.patch.name == "compose" and not state.live:
            return f"hydrareg's compose patch is off ({state.reason})"
    return "this config was composed without hydrareg's compose patch"


def _files_with_markers(loader: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[str]:
    """The configs of the defaults list that hold ``_delete_`` (best effort: [] if Hydra changed)."""
    try:
        named = {**dict(zip(("config_name", "overrides", "run_mode"), args, strict=False)), **kwargs}
        defaults = loader.compute_defaults_list(named["config_name"], named["overrides"], named["run_mode"])
        found = []
        for default in defaults.defaults:
            loaded = loader.repository.load_config(default.config_path)
            if loaded is not None and leftover_deletes(loaded.config, skip=()):
                found.append(f"{default.config_path} ({loaded.path})")
        return found
    except Exception:  # naming the file is a courtesy; the error is raised anyway
        return []


def refuse_or_warn_leftover(paths: list[str]) -> None:
    """For ``instantiate``: a ``_delete_`` key left in a config it builds.

    Where the compose patch applies (patches on, a checked Hydra), composition removed every marker of
    the config files, so this one came from elsewhere (a command-line override, applied after
    composition, or a hand-made dict): it is dropped with a warning. Otherwise the node may have
    been merged instead of replaced, and the build is refused.
    """
    if not _compose_patch_applies():
        raise leftover_delete_error(paths)
    import warnings

    warnings.warn(
        f"{keys.DELETE} reached instantiate at {', '.join(paths)} and was ignored: it was not in a config "
        "file hydrareg composed (a command-line override is applied after composition)",
        UserWarning,
        stacklevel=5,
    )


def _compose_patch_applies() -> bool:
    from .patches import TABLE, _code_refusal, _current, _refusal, _resolve
    from .table import PATCHES

    if not TABLE.is_enabled():
        return False
    if any(state.live for state in TABLE.status() if state.patch.name == "compose"):
        return True
    import hydra

    patch = next(patch for patch in PATCHES if patch.name == "compose")
    try:
        owner = _resolve(f"{patch.module}:{patch.owner}")
    except (ImportError, AttributeError):
        return False
    current = TABLE.original(patch) if patch.name in TABLE._applied else _current(owner, patch.attribute)
    return _refusal(patch, hydra.__version__, set()) is None and _code_refusal(patch, current) is None
