"""Which registry builds a config node, by MMEngine's conventions (a node's key and its parent's).

MMEngine's Runner builds ``model`` from MODELS, ``optim_wrapper.optimizer`` from OPTIMIZERS, hooks
from HOOKS, and so on, and a constructor builds its children from its own library's registries:
a detector's ``backbone`` from MODELS, its ``train_cfg.assigner`` from TASK_UTILS, a dataset's
``pipeline`` from TRANSFORMS. Some dicts with a ``type`` are plain data to their owner (mmdet's
``test_cfg.nms``); :data:`DATA` marks those. An app adds its own top-level keys (``HYDRAREG_BUILDS``).
"""

from __future__ import annotations

#: A node that is data to its owner: ``type`` keys below it are not registry names.
DATA = "data"
#: A dataloader's settings: data, except its dataset and sampler.
DATALOADER = "dataloader"
#: An MMEngine Runner config below a built node (what ``Runner.from_cfg`` reads): its keys route as
#: :data:`TOP_LEVEL` does, other keys are data, and its ``default_scope`` is the scope of its builds.
RUNNER = "runner"

#: Top-level keys of a config -> root registry (attribute of ``hydrareg.registry``).
TOP_LEVEL = {
    "model": "MODELS",
    "data_preprocessor": "MODELS",
    "dataset": "DATASETS",
    "optim": "OPTIMIZERS",
    "optimizer": "OPTIMIZERS",
    "optim_wrapper": "OPTIM_WRAPPERS",
    "param_scheduler": "PARAM_SCHEDULERS",
    "schedule": "PARAM_SCHEDULERS",
    "scheduler": "PARAM_SCHEDULERS",
    "custom_hooks": "HOOKS",
    "default_hooks": "HOOKS",
    "train_cfg": "LOOPS",
    "val_cfg": "LOOPS",
    "test_cfg": "LOOPS",
    "val_evaluator": "EVALUATOR",
    "test_evaluator": "EVALUATOR",
    "visualizer": "VISUALIZERS",
    "vis_backends": "VISBACKENDS",
    "log_processor": "LOG_PROCESSORS",
    "train_dataloader": DATALOADER,
    "val_dataloader": DATALOADER,
    "test_dataloader": DATALOADER,
    "env_cfg": DATA,
    "launcher": DATA,
}

#: Keys below a built node -> the root registry its own ``type`` is looked up in.
NESTED = {
    "runner": RUNNER,
    "pipeline": "TRANSFORMS",
    "transforms": "TRANSFORMS",
    "dataset": "DATASETS",
    "sampler": "DATA_SAMPLERS",
    "batch_sampler": "DATA_SAMPLERS",
    "init_cfg": "WEIGHT_INITIALIZERS",
    "optimizer": "OPTIMIZERS",
    "optim": "OPTIMIZERS",
    "assigner": "TASK_UTILS",
    "bbox_coder": "TASK_UTILS",
    "coder": "TASK_UTILS",
    "prior_generator": "TASK_UTILS",
    "anchor_generator": "TASK_UTILS",
    "point_generator": "TASK_UTILS",
    "custom_hooks": "HOOKS",
    "default_hooks": "HOOKS",
    "metric": "METRICS",
    "metrics": "METRICS",
    "vis_backends": "VISBACKENDS",
    "train_cfg": DATA,
    "test_cfg": DATA,
    "nms": DATA,
}

#: Keys inside a :data:`DATA` node that are still built by the owner (a detector's train_cfg.assigner).
INSIDE_DATA = {
    "assigner": "TASK_UTILS",
    "sampler": "TASK_UTILS",
    "pipeline": "TRANSFORMS",
}

#: Keys inside a dataloader's settings that are built.
INSIDE_DATALOADER = {"dataset": "DATASETS", "sampler": "DATA_SAMPLERS", "batch_sampler": "DATA_SAMPLERS"}

#: Arguments MMEngine's builders pass themselves (``default_args``), by root registry.
INJECTED = {
    "OPTIMIZERS": ("params",),
    "PARAM_SCHEDULERS": ("optimizer",),
    "DATA_SAMPLERS": ("dataset", "seed", "sampler", "batch_size"),  # the Runner's build_dataloader
}


#: Arguments a constructor passes when it builds the layer config at a key (mmcv's ``build_norm_layer``...).
INJECTED_BY_KEY = {
    "norm_cfg": ("num_features",),
    "conv_cfg": ("in_channels", "out_channels", "kernel_size"),
}


def nested_kind(parent_kind: str, key: str) -> str:
    """The registry kind of the node at ``key`` below a node of ``parent_kind``."""
    if parent_kind == RUNNER:
        return TOP_LEVEL.get(key, DATA)
    if parent_kind == DATALOADER:
        return INSIDE_DATALOADER.get(key, DATA)
    if parent_kind == DATA:
        return INSIDE_DATA.get(key, DATA)
    return NESTED.get(key, parent_kind)
