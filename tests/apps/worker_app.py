"""A Hydra app for the multirun tests: what does a job's process see of the main process's state?

It registers a class in ``__main__`` (a worker cannot re-import that), lists a plugin module in
``custom_imports`` (a worker must import it itself) and composes a ``_delete_`` option. Each job
writes ``report.json`` with what it found *before* building anything, then builds the model.
"""

import json
import os
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from hydrareg import instantiate
from hydrareg.registry import MODELS


@MODELS.register_module()
class MainOnly:
    """Registered by __main__: workers get it only through hydrareg's callback."""

    def __init__(self, size=1, part=None):
        self.size = size
        self.part = MODELS.build(part) if part else None


@hydra.main(config_path="conf", config_name="worker", version_base="1.3")
def main(cfg: DictConfig) -> dict:
    report = {
        "pid": os.getpid(),
        "main_only_registered": "MainOnly" in MODELS.module_dict,
        "plugin_registered": "PluginPart" in MODELS.module_dict,
        "part": OmegaConf.to_container(cfg.model.part, resolve=False),
    }
    model = instantiate(cfg.model)
    report["built"] = [type(model).__name__, type(model.part).__name__, model.part.depth]
    Path(HydraConfig.get().runtime.output_dir, "report.json").write_text(json.dumps(report))
    if cfg.get("fail"):
        raise RuntimeError("this job was asked to fail")
    return {"depth": model.part.depth}


if __name__ == "__main__":
    main()
