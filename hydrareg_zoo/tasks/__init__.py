"""The tasks ``run.py`` can run (see ``registry.py`` for the contract)."""

from .registry import TASKS
from .run import run_task

__all__ = ["TASKS", "run_task"]
