"""``run_task``: what ``run.py`` does with a composed config (build ``cfg.task``, save its figures)."""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from hydrareg import import_custom_modules, instantiate
from hydrareg.summary import write_result

from .objective import Figures
from .ranks import is_main_process
from .registry import TASKS

log = logging.getLogger(__name__)


def run_task(cfg: DictConfig) -> Figures:
    """Build ``cfg.task`` from TASKS with the whole config, write ``result.json``, return the figures.

    ``float()`` of the result is the config's ``objective`` figure: what a sweeper (Optuna) optimises.
    """
    output_dir, overrides = _job_context()
    task = OmegaConf.select(cfg, "task.type", default="?")
    log.info("task %s with overrides: %s", task, " ".join(overrides) or "(none)")
    import_custom_modules(cfg)
    figures = instantiate(cfg.task, registry=TASKS, cfg=cfg, output_dir=output_dir)
    if is_main_process():  # rank 0 of a torchrun job speaks for all ranks
        path = write_result(output_dir, "completed", figures, overrides)
        log.info("results in %s (result.json and the task's files)", path.parent)
    return Figures(figures, OmegaConf.select(cfg, "objective", default=None))


def _job_context() -> tuple[Path, list[str]]:
    """The Hydra job's output dir and command-line overrides (cwd and none outside Hydra)."""
    from hydra.core.hydra_config import HydraConfig

    from hydrareg.callbacks import job_overrides

    if not HydraConfig.initialized():
        return Path.cwd(), []
    hydra_cfg = HydraConfig.get()
    return Path(hydra_cfg.runtime.output_dir), job_overrides(hydra_cfg)
