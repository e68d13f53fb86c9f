"""Where a scope that is not in the tree yet comes from, and who owns a scope name.

MMEngine guesses: on any miss with a prefix it tries ``import_module(f'{prefix}.registry')``, which
imports whatever happens to be called that (mmengine-registry.md #14a). Here a scope comes from:

1. an **installed top-level package of that name**: its own ``{scope}.registry`` (MMEngine's
   convention, so an installed ``mmdet`` is found as MMEngine finds it). A real package owns its
   name: nothing else may answer to it;
2. otherwise a package that declares the scope in its metadata::

       [project.entry-points."hydrareg.scopes"]
       mydet = "mydet.registry"      # the module whose import attaches the 'mydet' registries

Nothing else is ever imported on a miss. When MMEngine's registry is loaded in the process,
:func:`link_mmengine_if_loaded` joins its tree to hydrareg's (:mod:`.mmengine_bridge`).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import importlib.util
import sys
import threading
import warnings

ENTRY_POINT_GROUP = "hydrareg.scopes"
DEMO_PREFIX = "demo_"

_declared: dict[str, str] | None = None
_installed: dict[str, bool] = {}  # a cache of the environment, like _declared
_said: set[str] = set()
_prepared: set[str] = set()
_lock = threading.Lock()
_link_lock = threading.RLock()
_mmengine_linked = False


class ScopeImportError(ImportError):
    """The module that provides a scope exists but failed to import (``__cause__`` says why)."""

    def __init__(self, module: str) -> None:
        super().__init__(module)
        self.module = module


def declared_scopes() -> dict[str, str]:
    """Scope name -> registry module, read once per process from installed packages' metadata."""
    global _declared
    if _declared is None:
        with _lock:
            if _declared is None:
                from importlib.metadata import entry_points  # 20 ms: only on a scope miss

                _declared = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return _declared


def forget_declared_scopes() -> None:
    """Re-read the metadata and the installed packages on next use (after installing a package)."""
    global _declared
    _declared = None
    _installed.clear()
    _prepared.clear()


def listed_scopes() -> list[str]:
    """The declared scopes worth naming to a user: a demo's ``demo_<name>`` only where it is in use."""
    declared = declared_scopes()
    return [
        name
        for name in declared
        if not (name.startswith(DEMO_PREFIX) and not is_installed_package(name[len(DEMO_PREFIX) :]))
    ]


def is_installed_package(name: str) -> bool:
    """True if a top-level package or module called ``name`` is importable (nothing is imported)."""
    found = _installed.get(name)
    if found is None:
        found = name.isidentifier() and (name in sys.modules or importlib.util.find_spec(name) is not None)
        _installed[name] = found
    return found


def owner_of(scope: str) -> str | None:
    """The module to import for ``scope``: an installed package's own registry, else a declared one."""
    declared = declared_scopes().get(scope)
    if not is_installed_package(scope) or (declared and declared.partition(".")[0] == scope):
        return declared
    if declared is not None:
        say_once(scope, f"the installed package {scope!r} owns the scope {scope!r}; {declared} is not used")
    return _package_registry(scope)


def _package_registry(package: str) -> str | None:
    """``package.registry`` if the installed package has one (MMEngine's convention), else None."""
    try:  # found on the package's path without importing it: a lookup never runs a module's code
        parent = sys.modules.get(package) or importlib.util.find_spec(package)
        locations = getattr(parent, "submodule_search_locations", None) or getattr(parent, "__path__", None)
        spec = (
            None
            if not locations
            else importlib.machinery.PathFinder.find_spec(f"{package}.registry", locations)
        )
    except Exception:  # a broken installation: not a scope provider we can use
        return None
    return None if spec is None else f"{package}.registry"


def import_scope(scope: str) -> str | None:
    """Import the module that provides ``scope``; its name, or None when nothing provides it."""
    module = owner_of(scope)
    if module is None:
        return None
    try:
        importlib.import_module(module)
    except Exception as exc:
        raise ScopeImportError(module) from exc
    return module


def prepare_scope(scope: str) -> None:
    """Before a switch to ``scope``: import an installed package's own ``{scope}.registry`` once.

    MMEngine imports it on every switch; here it happens once per scope, and only for an installed
    top-level package of that name, so that a package built on MMEngine joins the trees (and
    MMEngine's default scope follows the switch) before anything is built under it.
    """
    if not _mmengine_linked and scope not in _prepared and is_installed_package(scope):
        _prepared.add(scope)
        module = _package_registry(scope)
        if module is not None:
            with contextlib.suppress(Exception):  # reported where the scope is looked up
                importlib.import_module(module)
    link_mmengine_if_loaded()


def demo_scope_names(scope: str, *aliases: str) -> tuple[str, tuple[str, ...]]:
    """The names a demo library may answer to: those no installed package owns.

    ``scope`` becomes ``demo_<scope>`` when a package of that name is installed; an owned alias is
    dropped. Each such decision is said once (a UserWarning).
    """
    if is_installed_package(scope):
        say_once(
            scope, f"the installed package {scope!r} owns the scope; the demo answers to {DEMO_PREFIX}{scope}"
        )
        scope = DEMO_PREFIX + scope
    kept = []
    for alias in aliases:
        if is_installed_package(alias):
            say_once(alias, f"the installed package {alias!r} owns the scope; the demo does not answer to it")
        else:
            kept.append(alias)
    return scope, tuple(kept)


def say_once(scope: str, message: str) -> None:
    """Warn once per process and scope about who won a scope name."""
    if scope in _said:
        return
    _said.add(scope)
    warnings.warn(f"scope {scope!r}: {message}", UserWarning, stacklevel=3)


def link_mmengine_if_loaded() -> bool:
    """Join MMEngine's registry tree and DefaultScope to hydrareg's if mmengine.registry is loaded.

    True once linked. Never imports mmengine itself: the bridge is loaded only when some code
    (an OpenMMLab package, a ``{scope}.registry``, the user) has imported MMEngine's registry.
    """
    global _mmengine_linked
    if _mmengine_linked:
        return True
    if "mmengine.registry" not in sys.modules:
        return False
    with _link_lock:
        if not _mmengine_linked:
            _mmengine_linked = True  # lookups made while linking see the link under way
            try:
                importlib.import_module(f"{__package__}.mmengine_bridge").link()
            except BaseException:
                _mmengine_linked = False
                raise
    return True


def is_mmengine_linked() -> bool:
    return _mmengine_linked
