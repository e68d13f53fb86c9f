"""Imported by Hydra's plugin discovery in every process that composes (multirun workers too).

It installs hydrareg's composition hook so that ``_delete_: true`` replaces nodes everywhere.
Hydra may execute this module twice in one process; installing is idempotent.
"""

from hydrareg.hydra import install_composition_hook

install_composition_hook()
