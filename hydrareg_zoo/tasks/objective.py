"""What ``run.py`` returns: the task's figures, which a sweeper such as Optuna reads as one number.

``float(figures)`` is the figure named by the config's ``objective`` (``conf/config.yaml``:
``objective: accuracy``), so ``hydra/sweeper=optuna`` optimises it while the sweep summary and
``result.json`` keep every figure.
"""

from __future__ import annotations

from typing import Any

from hydrareg.errors import ConfigValueError

__all__ = ["Figures"]


class Figures(dict):
    """A task's figures (a plain mapping to Hydra and the callback) whose ``float`` is the objective."""

    def __init__(self, figures: dict[str, Any], objective: str | None = None) -> None:
        super().__init__(figures)
        self.objective = objective

    def __float__(self) -> float:
        if self.objective is None:
            raise ConfigValueError(
                f"a sweeper asked for one number, but the config names no objective: "
                f"set objective to one of {self._numbers()}",
                config_path="objective",
            )
        if self.objective not in self or not isinstance(self[self.objective], (int, float)):
            raise ConfigValueError(
                f"objective {self.objective!r} is not a figure of this task; its figures with "
                f"numbers are {self._numbers()}",
                config_path="objective",
            )
        return float(self[self.objective])

    def __reduce__(self) -> tuple[Any, ...]:
        return (Figures, (dict(self), self.objective))

    def _numbers(self) -> list[str]:
        return [name for name, value in self.items() if isinstance(value, (int, float))]
