"""MMEngine's registry, name for name: change ``mmengine.registry`` to ``hydrareg.registry``.

See the README's "Where hydrareg differs from MMEngine" for the deliberate differences (per-context
default scope, atomic name lists, no imports on a miss, scope prefixes at any depth, ...).
"""

from ._scopes import demo_scope_names
from .build_functions import (
    build_from_cfg,
    build_model_from_cfg,
    build_runner_from_cfg,
    build_scheduler_from_cfg,
    resolve_type,
)
from .default_scope import DefaultScope
from .registry import Registry
from .root import (
    DATA_SAMPLERS,
    DATASETS,
    EVALUATOR,
    FUNCTIONS,
    HOOKS,
    INFERENCERS,
    LOG_PROCESSORS,
    LOOPS,
    METRICS,
    MODEL_WRAPPERS,
    MODELS,
    OPTIM_WRAPPER_CONSTRUCTORS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
    PARAM_SCHEDULERS,
    RUNNER_CONSTRUCTORS,
    RUNNERS,
    STRATEGIES,
    TASK_UTILS,
    TRANSFORMS,
    VISBACKENDS,
    VISUALIZERS,
    WEIGHT_INITIALIZERS,
)
from .scope import current_scope_name, use_scope
from .tree import walk_registry_tree
from .utils import count_registered_modules, init_default_scope, traverse_registry_tree

#: hydrareg's own public names, beside MMEngine's 32.
HYDRAREG_NAMES = ("current_scope_name", "demo_scope_names", "resolve_type", "use_scope", "walk_registry_tree")

__all__ = [
    "DATASETS",
    "DATA_SAMPLERS",
    "EVALUATOR",
    "FUNCTIONS",
    "HOOKS",
    "INFERENCERS",
    "LOG_PROCESSORS",
    "LOOPS",
    "METRICS",
    "MODELS",
    "MODEL_WRAPPERS",
    "OPTIMIZERS",
    "OPTIM_WRAPPERS",
    "OPTIM_WRAPPER_CONSTRUCTORS",
    "PARAM_SCHEDULERS",
    "RUNNERS",
    "RUNNER_CONSTRUCTORS",
    "STRATEGIES",
    "TASK_UTILS",
    "TRANSFORMS",
    "VISBACKENDS",
    "VISUALIZERS",
    "WEIGHT_INITIALIZERS",
    "DefaultScope",
    "Registry",
    "build_from_cfg",
    "build_model_from_cfg",
    "build_runner_from_cfg",
    "build_scheduler_from_cfg",
    "count_registered_modules",
    "current_scope_name",
    "demo_scope_names",
    "init_default_scope",
    "resolve_type",
    "traverse_registry_tree",
    "use_scope",
    "walk_registry_tree",
]
