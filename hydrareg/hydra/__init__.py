"""hydrareg's glue to Hydra, one concept per module.

- :mod:`.table`: the one table of patches of Hydra's private code (what, checked against what);
- :mod:`.patches`: ``install()``, ``uninstall()``, ``status()`` and the switches;
- :mod:`.compose_hook`: ``_delete_`` while the defaults list is merged;
- :mod:`.delete_guard`: ``_delete_`` refused, never silently dropped, without the compose hook;
- :mod:`.cache`: the per-process cache of composition, in layers;
- :mod:`.limits`: safe loading of config files; :mod:`.saving`: faster saving of job configs;
- :mod:`.doctor`: the report behind ``hydrareg doctor``.

The multirun callback and the sweep summary are :mod:`hydrareg.callbacks` and :mod:`hydrareg.summary`.
Importing this package imports nothing of Hydra; installing does.
"""

from __future__ import annotations

from .patches import (
    ENV_SWITCH,
    HydraPatchWarning,
    PatchState,
    install,
    patches_enabled,
    set_patches_enabled,
    status,
    uninstall,
)

__all__ = [
    "ENV_SWITCH",
    "HydraPatchWarning",
    "PatchState",
    "composition_hook_installed",
    "config_to_yaml",
    "install",
    "install_config_cache",
    "patches_enabled",
    "set_patches_enabled",
    "status",
    "uninstall",
]

_CACHE_PATCHES = ("file_source", "package_source", "structured_source", "defaults_list", "load_configuration")


def composition_hook_installed() -> bool:
    """Whether ``_delete_`` is applied by the compose patch in this process."""
    return any(state.live for state in status() if state.patch.name == "compose")


def install_config_cache() -> bool:
    """Install the patch table; True when every layer of the config cache is live.

    Called before Hydra's plugin scan (which re-creates Hydra's config source classes), the patches
    are applied again by hydrareg's plugin during the scan; without that plugin this warns.
    """
    from .patches import warn_if_scan_will_undo

    states = install()
    warn_if_scan_will_undo()
    return all(state.live for state in states if state.patch.name in _CACHE_PATCHES)


def config_to_yaml(cfg: object) -> str:
    """``OmegaConf.to_yaml(cfg)`` with libyaml's emitter (same text); see :mod:`.saving`."""
    from .saving import config_to_yaml as to_yaml

    return to_yaml(cfg)  # type: ignore[arg-type]
