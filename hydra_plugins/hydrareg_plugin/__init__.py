"""Imported by Hydra's plugin discovery in every process that composes (multirun workers too).

It installs hydrareg's composition hook (``_delete_: true`` replaces nodes), the per-process
cache of loaded config files, and a faster writer of each job's ``.hydra/*.yaml``. Hydra may
execute this module twice in one process; every install is idempotent.
"""

from hydrareg.config_cache import install_config_cache
from hydrareg.hydra import install_composition_hook, install_fast_config_saving

install_composition_hook()
install_config_cache()
install_fast_config_saving()
