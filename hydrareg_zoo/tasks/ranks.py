"""Which process of a job this is (torchrun's ``RANK``/``WORLD_SIZE``): no torch import, so ``run.py``
can ask before any task runs."""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["Rank", "is_main_process", "launched_rank"]


@dataclass(frozen=True)
class Rank:
    """This process's place in the job: ``rank`` of ``world_size`` (0 of 1 when not distributed)."""

    rank: int = 0
    world_size: int = 1

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def launched_rank() -> Rank:
    """The rank torchrun (or any launcher setting ``RANK``/``WORLD_SIZE``) gave this process."""
    return Rank(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)))


def is_main_process() -> bool:
    """True unless this is a rank other than 0 of a distributed job (it then writes nothing)."""
    return launched_rank().rank == 0
