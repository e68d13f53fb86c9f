"""The 23 root registries, with MMEngine's names and root scope ``mmengine``.

Downstream libraries create children of these (``Registry('model', parent=MODELS, scope='mmdet')``).
``MODELS``, ``OPTIMIZERS`` and ``PARAM_SCHEDULERS`` register torch's own classes lazily, through
their ``locations``, the first time they are searched and only if torch is installed.
"""

from __future__ import annotations

from .build_functions import (
    build_model_from_cfg,
    build_optimizer_from_cfg,
    build_runner_from_cfg,
    build_scheduler_from_cfg,
)
from .registry import Registry

ROOT_SCOPE = "mmengine"
_TORCH = ["hydrareg.registry.torch_modules"]

RUNNERS = Registry("runner", build_func=build_runner_from_cfg, scope=ROOT_SCOPE)
RUNNER_CONSTRUCTORS = Registry("runner constructor", scope=ROOT_SCOPE)
LOOPS = Registry("loop", scope=ROOT_SCOPE)
HOOKS = Registry("hook", scope=ROOT_SCOPE)
STRATEGIES = Registry("strategy", scope=ROOT_SCOPE)
DATASETS = Registry("dataset", scope=ROOT_SCOPE)
DATA_SAMPLERS = Registry("data sampler", scope=ROOT_SCOPE)
TRANSFORMS = Registry("transform", scope=ROOT_SCOPE)
MODELS = Registry("model", build_func=build_model_from_cfg, scope=ROOT_SCOPE, locations=_TORCH)
MODEL_WRAPPERS = Registry("model_wrapper", scope=ROOT_SCOPE)
WEIGHT_INITIALIZERS = Registry("weight initializer", scope=ROOT_SCOPE)
OPTIMIZERS = Registry("optimizer", build_func=build_optimizer_from_cfg, scope=ROOT_SCOPE, locations=_TORCH)
OPTIM_WRAPPERS = Registry("optim_wrapper", scope=ROOT_SCOPE)
OPTIM_WRAPPER_CONSTRUCTORS = Registry("optimizer wrapper constructor", scope=ROOT_SCOPE)
PARAM_SCHEDULERS = Registry(
    "parameter scheduler", build_func=build_scheduler_from_cfg, scope=ROOT_SCOPE, locations=_TORCH
)
METRICS = Registry("metric", scope=ROOT_SCOPE)
EVALUATOR = Registry("evaluator", scope=ROOT_SCOPE)
TASK_UTILS = Registry("task util", scope=ROOT_SCOPE)
VISUALIZERS = Registry("visualizer", scope=ROOT_SCOPE)
VISBACKENDS = Registry("vis_backend", scope=ROOT_SCOPE)
LOG_PROCESSORS = Registry("log_processor", scope=ROOT_SCOPE)
INFERENCERS = Registry("inferencer", scope=ROOT_SCOPE)
FUNCTIONS = Registry("function", scope=ROOT_SCOPE)

ROOT_REGISTRIES: dict[str, Registry] = {
    name: value for name, value in globals().items() if isinstance(value, Registry)
}
for _attr, _registry in ROOT_REGISTRIES.items():
    _registry._pickle_address = (__name__, _attr)  # pickled by reference: a worker gets its live tree
del _attr, _registry
