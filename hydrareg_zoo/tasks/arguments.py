"""Checks of a task's own arguments, so a bad count names the key the user wrote (``task.epochs``)."""

from __future__ import annotations

from typing import Any

from hydrareg.errors import ConfigValueError

TASK_PATH = "task"  # where run.py's tasks sit in the composed config


def require_positive_ints(**values: Any) -> None:
    """Each value must be an int of at least 1; the error names ``task.<key>``."""
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigValueError(
                f"{key} must be a positive int, got {value!r}", config_path=f"{TASK_PATH}.{key}"
            )
