"""Imported by Hydra's plugin discovery in every process that composes (multirun workers too).

It installs hydrareg's composition hook (``_delete_: true`` replaces nodes) and the per-process
cache of loaded config files. Hydra may execute this module twice in one process; both installs
are idempotent.
"""

from hydrareg.config_cache import install_config_cache
from hydrareg.hydra import install_composition_hook

install_composition_hook()
install_config_cache()
