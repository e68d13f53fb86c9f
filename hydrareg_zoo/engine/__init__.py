"""A small training engine for the demo tasks (plays MMEngine's Runner, hooks and checkpoints).

Importing it registers ``UnfreezeBackboneHook`` in the root HOOKS and ``DigitsDataset`` in the
root DATASETS.
"""

from .checkpoint import load_checkpoint, save_checkpoint
from .digits import DigitsDataset, load_digits_split
from .hooks import Hook, UnfreezeBackboneHook, unfreeze_backbone
from .runner import Runner, accuracy, classification_loss, parse_losses
from .threads import torch_threads

__all__ = [
    "DigitsDataset",
    "Hook",
    "Runner",
    "UnfreezeBackboneHook",
    "accuracy",
    "classification_loss",
    "load_checkpoint",
    "load_digits_split",
    "parse_losses",
    "save_checkpoint",
    "torch_threads",
    "unfreeze_backbone",
]
