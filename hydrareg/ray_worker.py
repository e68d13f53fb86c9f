"""Ray worker set-up for hydra-ray-launcher: work in the driver's directory, as local launchers do.

Ray starts its workers in the directory of ``ray start``, so a relative ``hydra.sweep.dir`` (Hydra's
default ``multirun/...``) would land there instead of beside the sweep's driver. The launcher config
``conf/hydra/launcher/ray_cluster.yaml`` names :func:`follow_driver_directory` as Ray's
``worker_process_setup_hook`` and passes the driver's directory in ``HYDRAREG_DRIVER_CWD``.
"""

from __future__ import annotations

import logging
import os

__all__ = ["DRIVER_CWD_VARIABLE", "follow_driver_directory"]

DRIVER_CWD_VARIABLE = "HYDRAREG_DRIVER_CWD"

log = logging.getLogger(__name__)


def follow_driver_directory() -> None:
    """Change into the driver's directory when this node has it (a shared file system, or one machine)."""
    directory = os.environ.get(DRIVER_CWD_VARIABLE)
    if not directory:
        return
    if os.path.isdir(directory):
        os.chdir(directory)
    else:
        log.warning(
            "%s=%s does not exist on this Ray node: relative output paths are relative to %s",
            DRIVER_CWD_VARIABLE,
            directory,
            os.getcwd(),
        )
