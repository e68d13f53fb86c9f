"""torch's layers, optimizers and LR schedulers, registered into the root registries on first use.

Layers keep their torch names (``Conv2d``, ``ReLU``); loss classes are not registered (use
``torch.nn.CrossEntropyLoss`` as a dotted path, or a library's own loss).

This module is a ``location`` of ``MODELS``, ``OPTIMIZERS`` and ``PARAM_SCHEDULERS``: it is
imported the first time one of them is searched, and registers nothing when torch is missing.
Names already taken (by a user's own ``Linear``, say) are left alone. The schedulers are stand-ins:
once MMEngine is linked, its own class of the same name wins (``MultiStepLR`` with ``by_epoch``, as
in every OpenMMLab config), so hydrareg and MMEngine build the same thing from one config.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

from .registry import Registry


def register_subclasses(
    registry: Registry,
    namespace: ModuleType,
    base: type,
    skip_suffix: str | None = None,
    stand_ins: bool = False,
) -> None:
    """Register every public subclass of ``base`` found in ``namespace`` under its own name
    (``stand_ins``: each yields to the linked MMEngine root's class of that name)."""
    names = []
    for name, obj in vars(namespace).items():
        if name.startswith("_") or not inspect.isclass(obj) or obj is base:
            continue
        if skip_suffix and name.endswith(skip_suffix):
            continue
        if issubclass(obj, base) and name not in registry.module_dict:
            registry.register_module(name=name, module=obj)
            names.append(name)
    if stand_ins:
        registry._stand_ins = registry._stand_ins | frozenset(names)


def register_torch_modules() -> None:
    try:
        import torch.nn
        import torch.optim
        import torch.optim.lr_scheduler as lr_scheduler
    except ImportError:
        return
    from .root import MODELS, OPTIMIZERS, PARAM_SCHEDULERS

    # Losses stay out: libraries define their own (mmdet.CrossEntropyLoss, ...), and a root-level
    # torch loss would shadow them for builds under another library's default scope.
    register_subclasses(MODELS, torch.nn, torch.nn.Module, skip_suffix="Loss")
    register_subclasses(OPTIMIZERS, torch.optim, torch.optim.Optimizer)
    scheduler_base: Any = getattr(lr_scheduler, "LRScheduler", None) or lr_scheduler._LRScheduler
    register_subclasses(PARAM_SCHEDULERS, lr_scheduler, scheduler_base, stand_ins=True)
    if "ReduceLROnPlateau" not in PARAM_SCHEDULERS.module_dict:
        PARAM_SCHEDULERS.register_module(module=lr_scheduler.ReduceLROnPlateau)


register_torch_modules()
