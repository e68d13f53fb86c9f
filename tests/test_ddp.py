"""Data-parallel training of the ``train`` task over CPU processes (torch.distributed, gloo).

A real 2-process gloo group checks the gradient averaging against the arithmetic; the slow test
starts ``run.py`` with torchrun, as PyTorch users do, and compares it with one process.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO

from hydrareg.errors import ConfigValueError
from hydrareg_zoo.tasks.distributed import (
    GradientAveragingHook,
    Rank,
    is_main_process,
    launched_rank,
    shard_batch_size,
)

torch = pytest.importorskip("torch")
WORLD = 2
LR = 0.5


def test_the_rank_comes_from_torchruns_environment(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert launched_rank() == Rank(0, 1) and not launched_rank().distributed and is_main_process()
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert launched_rank() == Rank(1, 2) and launched_rank().distributed and not is_main_process()


def test_the_global_batch_is_split_over_the_ranks():
    assert shard_batch_size(32, Rank(0, 2)) == 16
    assert shard_batch_size(32, Rank(0, 1)) == 32
    with pytest.raises(ConfigValueError) as caught:
        shard_batch_size(32, Rank(1, 3))
    assert "batch_size 32 does not split over 3 processes: choose a multiple of 3" in str(caught.value)
    assert caught.value.config_path == "task.batch_size"


def small_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 1))


def half_batch(rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(100 + rank)
    return torch.randn(8, 3, generator=generator), torch.randn(8, 1, generator=generator)


def one_step(model: torch.nn.Module, rank: int) -> None:
    inputs, targets = half_batch(rank)
    torch.nn.functional.mse_loss(model(inputs), targets).backward()


def _rank_process(rank: int, init_file: str, out_dir: str) -> None:
    """One rank: a model that starts different from rank 0's, one step on its own half batch."""
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    model = small_model()
    if rank:
        with torch.no_grad():
            model[0].weight.add_(1.0)  # rank 0's weights must win at the start
    runner = SimpleNamespace(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=LR), epoch=0)
    hook = GradientAveragingHook(sampler=None, world_size=WORLD)
    hook.before_train(runner)
    runner.optimizer.zero_grad()
    one_step(model, rank)
    runner.optimizer.step()
    hook.after_train_iter(runner, batch_idx=0, data_batch=None, outputs={})
    torch.save(model.state_dict(), Path(out_dir) / f"rank{rank}.pt")
    dist.destroy_process_group()


def expected_after_one_step() -> dict[str, torch.Tensor]:
    """What averaging the ranks' gradients means: the mean of each half batch's gradient, one SGD step;
    BatchNorm's running statistics are rank 0's."""
    start = small_model()
    grads, buffers = [], None
    for rank in range(WORLD):
        model = copy.deepcopy(start)
        one_step(model, rank)
        grads.append([param.grad for param in model.parameters()])
        buffers = buffers or {name: value.clone() for name, value in model.named_buffers()}
    with torch.no_grad():
        for param, *rank_grads in zip(start.parameters(), *grads, strict=True):
            param -= LR * sum(rank_grads) / WORLD
    return {**start.state_dict(), **buffers}


def test_two_gloo_ranks_average_gradients_and_share_rank_zeros_start_and_buffers(tmp_path):
    import torch.multiprocessing as mp

    mp.spawn(_rank_process, args=(str(tmp_path / "init"), str(tmp_path)), nprocs=WORLD, join=True)
    states = [torch.load(tmp_path / f"rank{rank}.pt") for rank in range(WORLD)]
    expected = expected_after_one_step()
    for name, value in expected.items():
        assert torch.allclose(states[0][name].float(), value.float(), atol=1e-6), name
        assert torch.equal(states[0][name], states[1][name]), name


@pytest.mark.slow
def test_two_process_training_with_torchrun_matches_one_process_within_two_points(tmp_path):
    settings = ["task=train", "dataset.size=16", "task.epochs=3", "task.num_threads=1", "task.progress=false"]
    single = subprocess.run(
        [sys.executable, str(REPO / "run.py"), *settings, "hydra.run.dir=single"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert single.returncode == 0, single.stderr
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={WORLD}"]
    ddp = subprocess.run(
        [*torchrun, str(REPO / "run.py"), *settings, "hydra.run.dir=ddp"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    output = ddp.stdout + ddp.stderr
    assert ddp.returncode == 0, output
    for rank in range(WORLD):  # every rank composed the config and built it through the registries
        assert f"data-parallel training: rank {rank} of {WORLD} processes (gloo)" in output
    one = json.loads((tmp_path / "single" / "result.json").read_text())["figures"]
    two = json.loads((tmp_path / "ddp" / "result.json").read_text())["figures"]
    assert one["accuracy"] >= 0.9
    assert abs(two["accuracy"] - one["accuracy"]) <= 0.02, (one, two)
    assert (tmp_path / "ddp" / "checkpoint.pth").is_file() and (tmp_path / "ddp" / "history.json").is_file()
