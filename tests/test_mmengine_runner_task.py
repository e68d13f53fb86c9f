"""``python run.py task=mmengine``: MMEngine's own Runner trains from the Hydra-composed config.

The runner's hooks, optimizer wrapper, schedulers, loops and evaluator come from MMEngine's
registries, the model, dataset and metric from hydrareg's; a ``-m`` sweep gets the summary.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mmengine")
pytest.importorskip("sklearn")

REPO = Path(__file__).resolve().parents[1]
ONE_EPOCH = ["task=mmengine", "task.runner.train_cfg.max_epochs=1"]


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(REPO / "run.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"run.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_mmengines_runner_trains_from_run_py(tmp_path):
    run(tmp_path, *ONE_EPOCH, "hydra.run.dir=job")
    record = json.loads((tmp_path / "job" / "result.json").read_text())
    assert record["status"] == "completed" and record["figures"]["epochs"] == 1
    assert 0.5 < record["figures"]["accuracy"] <= 1.0  # one epoch of SGD learns the digits
    assert (tmp_path / "job" / "epoch_1.pth").is_file()  # MMEngine's CheckpointHook ran
    dumped = next((tmp_path / "job").glob("*.py")).read_text()  # MMEngine dumps the config it ran
    assert "zoo_digits.DigitsNet" in dumped and "OptimWrapper" in dumped


def test_a_sweep_of_the_runner_gets_the_summary(tmp_path):
    run(
        tmp_path, "-m", *ONE_EPOCH, "task.runner.optim_wrapper.optimizer.lr=0.05,0.2", "hydra.sweep.dir=sweep"
    )
    with open(tmp_path / "sweep" / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 and all(row["status"] == "completed" for row in rows)
    assert all(0.0 <= float(row["accuracy"]) <= 1.0 for row in rows)
    assert {row["overrides"].split()[-1] for row in rows} == {
        "task.runner.optim_wrapper.optimizer.lr=0.05",
        "task.runner.optim_wrapper.optimizer.lr=0.2",
    }
