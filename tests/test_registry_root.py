"""The 23 root registries: MMEngine's names, scope 'mmengine', torch classes registered lazily."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import hydrareg.registry as registry_module
from hydrareg.registry import (
    MODELS,
    OPTIMIZERS,
    PARAM_SCHEDULERS,
    RUNNERS,
    Registry,
    build_from_cfg,
    build_model_from_cfg,
    build_runner_from_cfg,
    build_scheduler_from_cfg,
)
from hydrareg.registry.build_functions import build_optimizer_from_cfg
from hydrareg.registry.root import ROOT_REGISTRIES

MMENGINE_NAMES = {
    "RUNNERS": "runner",
    "RUNNER_CONSTRUCTORS": "runner constructor",
    "LOOPS": "loop",
    "HOOKS": "hook",
    "STRATEGIES": "strategy",
    "DATASETS": "dataset",
    "DATA_SAMPLERS": "data sampler",
    "TRANSFORMS": "transform",
    "MODELS": "model",
    "MODEL_WRAPPERS": "model_wrapper",
    "WEIGHT_INITIALIZERS": "weight initializer",
    "OPTIMIZERS": "optimizer",
    "OPTIM_WRAPPERS": "optim_wrapper",
    "OPTIM_WRAPPER_CONSTRUCTORS": "optimizer wrapper constructor",
    "PARAM_SCHEDULERS": "parameter scheduler",
    "METRICS": "metric",
    "EVALUATOR": "evaluator",
    "TASK_UTILS": "task util",
    "VISUALIZERS": "visualizer",
    "VISBACKENDS": "vis_backend",
    "LOG_PROCESSORS": "log_processor",
    "INFERENCERS": "inferencer",
    "FUNCTIONS": "function",
}


def test_the_public_names_match_mmengine_registry():
    expected = set(MMENGINE_NAMES) | {
        "Registry",
        "DefaultScope",
        "build_from_cfg",
        "build_model_from_cfg",
        "build_runner_from_cfg",
        "build_scheduler_from_cfg",
        "init_default_scope",
        "count_registered_modules",
        "traverse_registry_tree",
    }
    assert len(expected) == 32
    assert set(registry_module.__all__) == expected | set(registry_module.HYDRAREG_NAMES)
    for name in expected:
        assert getattr(registry_module, name) is not None


@pytest.mark.parametrize(("attr", "name"), sorted(MMENGINE_NAMES.items()))
def test_each_root_registry_has_mmengines_name_and_root_scope(attr, name):
    registry = getattr(registry_module, attr)
    assert isinstance(registry, Registry)
    assert (registry.name, registry.scope, registry.parent) == (name, "mmengine", None)
    assert ROOT_REGISTRIES[attr] is registry


def test_root_build_functions_are_mmengines():
    assert RUNNERS.build_func is build_runner_from_cfg
    assert MODELS.build_func is build_model_from_cfg
    assert OPTIMIZERS.build_func is build_optimizer_from_cfg
    assert PARAM_SCHEDULERS.build_func is build_scheduler_from_cfg
    assert registry_module.HOOKS.build_func is build_from_cfg


def test_importing_the_registry_imports_neither_torch_nor_numpy():
    code = (
        "import sys, hydrareg.registry, hydrareg\n"
        "print([m for m in ('torch', 'numpy', 'mmengine', 'hydrareg_zoo') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_torch_classes_register_on_first_lookup_of_a_root_registry():
    pytest.importorskip("torch")
    code = (
        "import sys, json\n"
        "from hydrareg.registry import MODELS, OPTIMIZERS, PARAM_SCHEDULERS\n"
        "before = [len(MODELS), len(OPTIMIZERS), 'torch' in sys.modules]\n"
        "found = [MODELS.get('Conv2d').__name__, OPTIMIZERS.get('AdamW').__name__,\n"
        "         PARAM_SCHEDULERS.get('CosineAnnealingLR').__name__]\n"
        "losses = [name for name in MODELS.module_dict if name.endswith('Loss')]\n"
        "print(json.dumps([before, found, losses]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, found, losses = json.loads(out.stdout)
    assert before == [0, 0, False]
    assert found == ["Conv2d", "AdamW", "CosineAnnealingLR"]
    assert losses == []  # a root-level torch loss would shadow libraries' own losses


def test_optimizers_build_from_a_config_with_runtime_params():
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(2, 2)
    optimizer = OPTIMIZERS.build({"type": "AdamW", "lr": 0.01}, default_args={"params": layer.parameters()})
    assert isinstance(optimizer, torch.optim.AdamW) and optimizer.defaults["lr"] == 0.01


def test_lazy_torch_registration_leaves_names_a_user_took_first():
    code = (
        "from hydrareg.registry import MODELS\n"
        "class Linear: pass\n"
        "MODELS.register_module(module=Linear)\n"
        "print(MODELS.get('Linear') is Linear, MODELS.get('Conv2d') is not None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]
