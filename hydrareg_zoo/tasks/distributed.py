"""Data-parallel training for the ``train`` task over CPU processes (``torch.distributed``, gloo).

Started the way PyTorch users start it; every rank runs ``run.py``, composes the same config and
builds the model, datasets, optimizer and hooks through the registries::

    torchrun --standalone --nproc-per-node 2 run.py task=train hydra.run.dir=runs/ddp

Each rank trains on its share of every epoch (a ``DistributedSampler``) with ``batch_size /
world size`` samples per step, so the global batch is the single-process one; gradients are
averaged across ranks before every optimizer step and rank 0's buffers (BatchNorm statistics)
are copied to the others after it, so all ranks hold the same model and report the same accuracy.
Only rank 0 writes files and logs below warnings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hydrareg.errors import ConfigValueError
from hydrareg_zoo.engine.hooks import Hook

from .ranks import Rank, is_main_process, launched_rank

log = logging.getLogger(__name__)

__all__ = [
    "GradientAveragingHook",
    "Rank",
    "distributed_training",
    "is_main_process",
    "shard_batch_size",
    "training_loader",
]


@contextmanager
def distributed_training() -> Iterator[Rank]:
    """Join the gloo process group for the task's duration when launched with several ranks."""
    rank = launched_rank()
    if not rank.distributed:
        yield rank
        return
    import torch.distributed as dist

    started = not dist.is_initialized()
    if started:
        dist.init_process_group("gloo", rank=rank.rank, world_size=rank.world_size)
    log.info("data-parallel training: rank %d of %d processes (gloo)", rank.rank, rank.world_size)
    quiet = rank.rank != 0 and logging.getLogger().isEnabledFor(logging.INFO)
    if quiet:
        logging.getLogger().setLevel(logging.WARNING)
    try:
        yield rank
    finally:
        if quiet:
            logging.getLogger().setLevel(logging.INFO)
        if started:
            dist.destroy_process_group()


def shard_batch_size(batch_size: int, rank: Rank) -> int:
    """Samples per step on each rank, so that the global batch is ``batch_size``."""
    if batch_size % rank.world_size:
        raise ConfigValueError(
            f"batch_size {batch_size} does not split over {rank.world_size} processes: "
            f"choose a multiple of {rank.world_size}",
            config_path="task.batch_size",
        )
    return batch_size // rank.world_size


def training_loader(dataset: Any, batch_size: int, seed: int, rank: Rank) -> tuple[Any, list[Hook]]:
    """The training batches of this rank, and the hooks that keep the ranks in step (none for one)."""
    import torch
    from torch.utils.data import DataLoader, DistributedSampler

    if not rank.distributed:
        generator = torch.Generator().manual_seed(seed)
        return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator), []
    sampler = DistributedSampler(
        dataset, num_replicas=rank.world_size, rank=rank.rank, shuffle=True, seed=seed
    )
    loader = DataLoader(dataset, batch_size=shard_batch_size(batch_size, rank), sampler=sampler)
    return loader, [GradientAveragingHook(sampler, rank.world_size)]


class GradientAveragingHook(Hook):
    """Keeps every rank's model identical: same start, averaged gradients, rank 0's buffers."""

    def __init__(self, sampler: Any, world_size: int) -> None:
        self.sampler = sampler
        self.world_size = world_size

    def before_train(self, runner: Any) -> None:
        import torch.distributed as dist

        for tensor in (*runner.model.parameters(), *runner.model.buffers()):
            dist.broadcast(tensor.data, src=0)
        runner.optimizer.register_step_pre_hook(self._average_gradients)

    def before_train_epoch(self, runner: Any) -> None:
        self.sampler.set_epoch(runner.epoch)

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: Any, outputs: dict[str, Any]) -> None:
        import torch.distributed as dist

        for buffer in runner.model.buffers():
            dist.broadcast(buffer, src=0)

    def _average_gradients(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        import torch.distributed as dist

        for group in optimizer.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    dist.all_reduce(param.grad, op=dist.ReduceOp.SUM)
                    param.grad.div_(self.world_size)
