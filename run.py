"""hydrareg's app: compose conf/ with Hydra, build through the registry tree, run the chosen task.

python run.py model=yolox backbone=mmcls_convnext
python run.py -m backbone=mmdet_cspdarknet,mmcls_convnext hydra/launcher=joblib
python run.py --help        (the app, its tasks and config groups)
"""

import sys
from typing import Any

import hydra
from omegaconf import DictConfig

import hydrareg_zoo  # noqa: F401  (registers the zoo's resolvers; imports no torch)
from hydrareg.app import reported_errors, run_main

# For `hydrareg check run.py` (and `run.py --check`): cfg.task is built from TASKS with cfg and output_dir
# passed by run_task; the tasks import hydrareg_zoo.engine (DigitsDataset, UnfreezeBackboneHook) and
# task=mmengine's zoo_digits registries (their classes load lazily, from their location).
HYDRAREG_BUILDS = {
    "task": {
        "registry": "hydrareg_zoo.tasks.registry:TASKS",
        "runtime_args": ["cfg", "output_dir"],
        "imports": ["hydrareg_zoo.engine", "hydrareg_zoo.tasks.mmengine_registry"],
    }
}


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> dict[str, Any]:
    from hydrareg_zoo.tasks import run_task

    # A config error prints its message alone (HYDRA_FULL_ERROR=1: the trace); one raised inside a
    # library's code (MMEngine's Runner) also gets what `run.py --check` finds below the failing node.
    with reported_errors(cfg, HYDRAREG_BUILDS):
        return run_task(cfg)


if __name__ == "__main__":
    if {"--check", "--explain"} & set(sys.argv[1:]):  # `hydrareg check/explain` on these configs
        from hydrareg.commands.app import run_app_flag

        sys.exit(run_app_flag(__file__, sys.argv[1:]))
    run_main(main)  # --cfg job --resolve and --info report config errors briefly too
