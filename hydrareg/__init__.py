"""hydrareg: Hydra's composition and sweeps with MMEngine's ``type``/``_scope_`` registry tree."""

from .configdict import ConfigDict
from .errors import HydraregError
from .registry import Registry

__version__ = "0.1.0"

__all__ = ["ConfigDict", "HydraregError", "Registry", "__version__"]
