"""hydrareg: Hydra's composition and sweeps with MMEngine's ``type``/``_scope_`` registry tree.

``import hydrareg`` registers the ``${custom_imports:...}`` resolver with OmegaConf; everything else
is imported on first use, so the import stays cheap (no torch, no numpy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .resolvers import register_resolvers

__version__ = "0.1.0"

__all__ = [
    "ConfigDict",
    "HydraregError",
    "Registry",
    "__version__",
    "import_custom_modules",
    "instantiate",
    "register_resolvers",
]

_LAZY = {
    "ConfigDict": "hydrareg.configdict",
    "HydraregError": "hydrareg.errors",
    "Registry": "hydrareg.registry",
    "import_custom_modules": "hydrareg.resolvers",
    "instantiate": "hydrareg.instantiation",
}

if TYPE_CHECKING:
    from .configdict import ConfigDict
    from .errors import HydraregError
    from .instantiation import instantiate
    from .registry import Registry
    from .resolvers import import_custom_modules


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hydrareg' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


register_resolvers()
