"""The ``mmengine`` task: hand the composed ``task.runner`` config to MMEngine's ``Runner.from_cfg``.

MMEngine's hooks, optimizer wrapper, parameter schedulers, loops and evaluator come from MMEngine's
registries; the model, dataset and metric from hydrareg's (scope ``zoo_digits``). Needs the
``mmengine`` extra; this module imports mmengine only when the task runs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from .registry import TASKS

log = logging.getLogger(__name__)


@TASKS.register_module(name="mmengine_runner")
def mmengine_runner(cfg: DictConfig, output_dir: Path, runner: dict[str, Any]) -> dict[str, Any]:
    """Train and validate with MMEngine's Runner in ``output_dir``; returns the validation metrics."""
    from hydrareg_zoo.common.torchvision_ops import ensure_torchvision_importable

    ensure_torchvision_importable()  # the Runner imports torchvision (if installed) to log the environment
    from mmengine.runner import Runner

    from . import mmengine_parts  # noqa: F401  (registers the model, dataset and metric)

    engine = Runner.from_cfg({**runner, "work_dir": str(output_dir)})
    engine.train()
    metrics = engine.val()
    log.info("validation metrics: %s", metrics)
    figures = {key.rpartition("/")[2]: float(value) for key, value in metrics.items()}  # digits/accuracy
    figures["epochs"] = engine.train_loop.max_epochs
    return figures
