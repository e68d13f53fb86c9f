"""Apply, undo and report the patch table (:mod:`hydrareg.hydra.table`).

``install()`` applies every entry whose target is the code it was checked against; an entry whose
Hydra version, fingerprint or read names do not match stays off (hydrareg is slower, and says so
once). ``install_guarded()`` is what the plugin calls in every Hydra process: any exception turns
every patch off again with one warning, and the app goes on with plain Hydra. ``HYDRAREG_PATCHES=0``
or :func:`set_patches_enabled` turns them all off.
"""

from __future__ import annotations

import importlib
import os
import threading
import warnings
from typing import Any

from .fingerprint import fingerprint
from .table import ANY, PATCHES, Patch

__all__ = [
    "ENV_SWITCH",
    "TABLE",
    "HydraPatchWarning",
    "PatchState",
    "PatchTable",
    "install",
    "install_guarded",
    "patches_enabled",
    "set_patches_enabled",
    "status",
    "uninstall",
]

#: ``HYDRAREG_PATCHES=0`` (or false/off/no) leaves Hydra unpatched.
ENV_SWITCH = "HYDRAREG_PATCHES"
MARK = "__hydrareg_patch__"
_OFF_VALUES = {"0", "false", "off", "no"}


class HydraPatchWarning(RuntimeWarning):
    """Some or all of hydrareg's patches of Hydra are off in this process."""


class PatchState:
    """Whether one patch is live, and why not."""

    __slots__ = ("live", "patch", "reason")

    def __init__(self, patch: Patch, live: bool, reason: str) -> None:
        self.patch, self.live, self.reason = patch, live, reason

    def __repr__(self) -> str:
        return f"PatchState({self})"

    def __str__(self) -> str:
        return f"{self.patch.name}: {'live' if self.live else 'off'} ({self.reason})"


class _Applied:
    __slots__ = ("original", "owner", "replacement")

    def __init__(self, owner: Any, original: Any, replacement: Any) -> None:
        self.owner = owner
        self.original = original  # _MISSING when the attribute was added
        self.replacement = replacement


_MISSING = object()


def _resolve(dotted: str) -> Any:
    """``"module:Owner.name"`` (or ``"module:function"``) to the object."""
    module_name, _, qualname = dotted.partition(":")
    value: Any = importlib.import_module(module_name)
    for part in qualname.split(".") if qualname else ():
        value = getattr(value, part)
    return value


def _has_read(dotted: str) -> bool:
    """Whether a name a replacement reads exists (class attribute, dataclass field, or set in __init__)."""
    owner_path, _, name = dotted.rpartition(".")
    if ":" not in owner_path:  # "module:function"
        owner_path, name = dotted, ""
    try:
        owner = _resolve(owner_path)
    except (ImportError, AttributeError):
        return False
    if not name or hasattr(owner, name) or name in getattr(owner, "__dataclass_fields__", {}):
        return True
    init = getattr(getattr(owner, "__init__", None), "__code__", None)
    return init is not None and name in init.co_names


def patches_enabled() -> bool:
    """False when ``HYDRAREG_PATCHES=0`` or :func:`set_patches_enabled` turned the patches off."""
    return TABLE.is_enabled()


def _switched_off_by_environment() -> bool:
    return os.environ.get(ENV_SWITCH, "1").strip().lower() in _OFF_VALUES


class PatchTable:
    """The patches of one process: what is applied, and the originals to restore."""

    def __init__(self, patches: tuple[Patch, ...]) -> None:
        self.patches = patches
        self.enabled = True
        self._applied: dict[str, _Applied] = {}
        self._reasons: dict[str, str] = {}
        self._warned = False
        self._lock = threading.RLock()

    def is_enabled(self) -> bool:
        return self.enabled and not _switched_off_by_environment()

    def install(self) -> list[PatchState]:
        """Apply every entry that matches this Hydra; idempotent, and re-applies after Hydra's plugin scan."""
        with self._lock:
            if not self.is_enabled():
                self.uninstall()
                reason = f"{ENV_SWITCH}=0" if self.enabled else "switched off by set_patches_enabled(False)"
                self._reasons = {patch.name: reason for patch in self.patches}
                return self.status()
            import hydra

            for patch in self.patches:
                self._install_one(patch, hydra.__version__)
            states = self.status()
        self._warn_once(states, hydra.__version__)
        return states

    def _install_one(self, patch: Patch, version: str) -> None:
        related = patch.needs + patch.unless
        live = {name for name in related if self._is_live(name)}
        reason = _refusal(patch, version, live)
        if reason is None:
            owner = _resolve(f"{patch.module}:{patch.owner}" if patch.owner else patch.module)
            current = _current(owner, patch.attribute)
            if getattr(current, MARK, None) == patch.name:
                reason = "live"
            else:
                reason = self._apply(patch, owner, current)
        elif patch.name in self._applied:
            self._undo(patch)
        self._reasons[patch.name] = reason

    def _apply(self, patch: Patch, owner: Any, current: Any) -> str:
        reason = _code_refusal(patch, current)
        if reason is not None:
            return reason
        replacement = _resolve(patch.factory)(None if current is _MISSING else current)
        setattr(replacement, MARK, patch.name)
        setattr(owner, patch.attribute, replacement)
        self._applied[patch.name] = _Applied(owner, current, replacement)
        return "live"

    def uninstall(self) -> None:
        """Put back every original this table replaced (patches replaced by someone else are left)."""
        with self._lock:
            for patch in reversed(self.patches):
                if patch.name in self._applied:
                    self._undo(patch)
            self._reasons = {patch.name: "uninstalled" for patch in self.patches}

    def _undo(self, patch: Patch) -> None:
        applied = self._applied.pop(patch.name)
        if _current(applied.owner, patch.attribute) is not applied.replacement:
            return
        if applied.original is _MISSING:
            delattr(applied.owner, patch.attribute)
        else:
            setattr(applied.owner, patch.attribute, applied.original)

    def original(self, patch: Patch) -> Any:
        """What Hydra has (or had, before this table replaced it) at the patch's target."""
        applied = self._applied.get(patch.name)
        if applied is not None:
            return None if applied.original is _MISSING else applied.original
        owner = _resolve(f"{patch.module}:{patch.owner}" if patch.owner else patch.module)
        current = _current(owner, patch.attribute)
        return None if current is _MISSING else current

    def _is_live(self, name: str) -> bool:
        applied = self._applied.get(name)
        if applied is None:
            return False
        patch = next(patch for patch in self.patches if patch.name == name)
        try:
            owner = _resolve(f"{patch.module}:{patch.owner}" if patch.owner else patch.module)
        except (ImportError, AttributeError):
            return False
        return owner is applied.owner and _current(owner, patch.attribute) is applied.replacement

    def status(self) -> list[PatchState]:
        """One state per entry: live, or off with the reason (a stale patch counts as off)."""
        states = []
        for patch in self.patches:
            live = self._is_live(patch.name)
            reason = self._reasons.get(patch.name, "not installed")
            if not live and reason == "live":
                reason = "stale: Hydra's code was replaced after install (re-run install())"
            states.append(PatchState(patch, live, reason))
        return states

    def _warn_once(self, states: list[PatchState], version: str) -> None:
        off = [state for state in states if not state.live and not state.patch.unless]
        if not off or self._warned:
            return
        self._warned = True
        warnings.warn(_partial_message(off, version), HydraPatchWarning, stacklevel=3)

    def fail(self, error: BaseException) -> None:
        """Turn every patch off after an unexpected error, with one warning."""
        try:
            self.uninstall()
        finally:
            self._reasons = {patch.name: f"off after an error: {error!r}" for patch in self.patches}
            if not self._warned:
                self._warned = True
                warnings.warn(_failure_message(error), HydraPatchWarning, stacklevel=3)


def _current(owner: Any, attribute: str) -> Any:
    if isinstance(owner, type):
        return owner.__dict__.get(attribute, _MISSING)
    return getattr(owner, attribute, _MISSING)


def _refusal(patch: Patch, version: str, live: set[str]) -> str | None:
    """Why ``patch`` must stay off before looking at the code it replaces, or None."""
    if ANY not in patch.checked and version not in patch.checked:
        return f"Hydra {version} was not checked (checked: {patch.checked[0]} to {patch.checked[-1]})"
    missing = [name for name in patch.needs if name not in live]
    if missing:
        return f"needs {', '.join(missing)}, which is off"
    if any(name in live for name in patch.unless):
        return f"not needed while {', '.join(patch.unless)} is live"
    absent = [name for name in patch.reads if not _has_read(name)]
    if absent:
        return f"Hydra has no {', '.join(absent)}"
    return None


def _code_refusal(patch: Patch, current: Any) -> str | None:
    if patch.fingerprint == ANY:
        return None if callable(current) else f"Hydra has no {patch.target}"
    if patch.fingerprint is None:
        return None if current is _MISSING else f"{patch.target} already exists"
    if current is _MISSING:
        return f"Hydra has no {patch.target}"
    found = fingerprint(current)
    if found != patch.fingerprint:
        return f"{patch.target} differs from the code it was checked against ({found} != {patch.fingerprint})"
    return None


def _partial_message(off: list[PatchState], version: str) -> str:
    lines = [f"hydrareg: {len(off)} of its patches of Hydra {version} are off, so composition is slower"]
    lines += [f"  {state}" for state in off]
    if any(state.patch.name == "compose" for state in off):
        lines.append("  _delete_ in config files is refused with an error instead of applied")
    lines.append("  `hydrareg doctor` shows the patches; HYDRAREG_PATCHES=0 turns them all off")
    return "\n".join(lines)


def _failure_message(error: BaseException) -> str:
    return (
        f"hydrareg could not patch this Hydra ({type(error).__name__}: {error}); every hydrareg patch "
        "is off and the app runs on plain Hydra (_delete_ in config files is refused by "
        "hydrareg.instantiate). `hydrareg doctor` shows the patches."
    )


#: This process's patches (like Hydra's own singletons; one table per process).
TABLE = PatchTable(PATCHES)


def install() -> list[PatchState]:
    """Apply the patch table to the Hydra in this process; returns the state of every patch."""
    return TABLE.install()


def install_guarded(table: PatchTable | None = None) -> list[PatchState]:
    """:func:`install` for the plugin: any exception turns every patch off with one warning."""
    table = TABLE if table is None else table
    try:
        return table.install()
    except Exception as error:  # never let hydrareg stop a Hydra app
        table.fail(error)
        return table.status()


def uninstall() -> None:
    """Restore Hydra's originals of every patch this process applied."""
    TABLE.uninstall()


def status() -> list[PatchState]:
    """The state of every patch in this process."""
    return TABLE.status()


def set_patches_enabled(enabled: bool) -> list[PatchState]:
    """The API switch: False uninstalls every patch and keeps them off (Hydra's plugin scan included)."""
    TABLE.enabled = enabled
    return TABLE.install()


def warn_if_scan_will_undo() -> None:
    """Warn when Hydra's plugin scan is still to come and hydrareg's plugin will not re-apply the patches."""
    import importlib.util

    from hydra.core.plugins import Plugins

    if Plugins in getattr(type(Plugins), "_instances", {}):
        return  # the scan has run: what was installed stays
    if importlib.util.find_spec("hydra_plugins.hydrareg_plugin") is None:
        warnings.warn(
            "hydrareg's plugin (hydra_plugins/hydrareg_plugin) is not importable: Hydra's plugin scan will "
            "replace the classes patched now, and the config cache and _delete_ will be off",
            HydraPatchWarning,
            stacklevel=3,
        )
