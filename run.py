"""hydrareg's app: compose conf/ with Hydra, build through the registry tree, run the chosen task.

python run.py model=yolox backbone=mmcls_convnext
python run.py -m backbone=mmdet_cspdarknet,mmcls_convnext hydra/launcher=joblib
"""

from typing import Any

import hydra
from omegaconf import DictConfig

import hydrareg_zoo  # noqa: F401  (registers the zoo's resolvers; imports no torch)


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> dict[str, Any]:
    from hydrareg_zoo.tasks import run_task

    return run_task(cfg)


if __name__ == "__main__":
    main()
