"""``python run.py task=mmengine``: MMEngine's own Runner trains from the Hydra-composed config.

The runner's hooks, optimizer wrapper, schedulers, loops and evaluator come from MMEngine's
registries, the model, dataset and metric from hydrareg's; a ``-m`` sweep gets the summary.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mmengine")
pytest.importorskip("sklearn")

REPO = Path(__file__).resolve().parents[1]
ONE_EPOCH = ["task=mmengine", "task.runner.train_cfg.max_epochs=1"]


def run(cwd: Path, *args: str, status: int = 0) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "HYDRA_FULL_ERROR"}
    result = subprocess.run(
        [sys.executable, str(REPO / "run.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert result.returncode == status, f"run.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
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


MISTAKES = [
    "task.runner.optim_wrapper.optimizer.type=SGDD",
    "+task.runner.model.bogus=1",
    "task.runner.param_scheduler.0.type=MultiStep",
]


def test_check_reads_the_runner_config_as_mmengines_runner_does(tmp_path):
    """Below ``runner``: MMEngine's keys, its default_scope, its injected arguments, its schedulers."""
    assert "1 job checked: no problems" in run(tmp_path, "--check", "task=mmengine").stdout
    report = run(tmp_path, "--check", "task=mmengine", *MISTAKES, status=1).stdout
    assert "3 problems in 1 job" in report
    lines = [line for line in report.splitlines() if line.startswith("✗")]
    assert lines == [
        "✗ task.runner.model.bogus: zoo_digits.DigitsNet takes no argument 'bogus'",
        "✗ task.runner.optim_wrapper.optimizer.type: SGDD is not in the mmengine::optimizer registry",
        "✗ task.runner.param_scheduler[0].type: MultiStep is not in the mmengine::parameter scheduler registry",
    ]
    assert "did you mean: mmengine.SGD, mmengine.ASGD?" in report
    assert "did you mean: mmengine.MultiStepLR?" in report


@pytest.mark.parametrize(
    ("mistake", "finding"),
    [
        (
            MISTAKES[0],  # MMEngine itself says only "None is not a callable object"
            "  task.runner.optim_wrapper.optimizer.type: SGDD is not in the mmengine::optimizer registry "
            "(did you mean: mmengine.SGD, mmengine.ASGD?)",
        ),
        (
            MISTAKES[1],
            "  task.runner.model.bogus: zoo_digits.DigitsNet takes no argument 'bogus' "
            "(it takes: in_features, hidden, num_classes, data_preprocessor)",
        ),
    ],
)
def test_an_error_inside_mmengines_runner_is_short_and_names_the_key_at_fault(tmp_path, mistake, finding):
    result = run(tmp_path, "task=mmengine", mistake, "hydra.run.dir=job", status=1)
    printed = result.stdout + result.stderr
    assert "Traceback" not in printed and len(printed.splitlines()) <= 15, printed
    assert (
        f"while building mmengine_runner from config path task\nhydrareg check finds below task:\n{finding}\n"
        in (result.stderr)
    )
    log = (tmp_path / "job" / "run.log").read_text()
    assert finding in log and "Traceback" in log  # the job's log has the finding and the trace
    assert json.loads((tmp_path / "job" / "result.json").read_text())["status"] == "failed"


def test_check_of_a_runner_config_uses_mmengines_classes_even_before_mmengine_is_imported():
    """The Runner builds ``MultiStepLR`` from MMEngine's registry, so the check does too, whatever else
    the process has imported (here: nothing that imports mmengine)."""
    code = """
import sys
from hydrareg.commands.checker import check_config
runner = {"default_scope": "mmengine",
          "param_scheduler": [{"type": "MultiStepLR", "by_epoch": True, "milestones": [1]}]}
assert "mmengine" not in sys.modules
problems = check_config({"task": {"runner": runner}})
assert problems == [], [problem.message for problem in problems]
wrong = check_config({"task": {"runner": {**runner, "param_scheduler": [{"type": "MultiStepLRR"}]}}})
assert [(problem.path, problem.hint) for problem in wrong] == [
    ("task.runner.param_scheduler[0].type", "did you mean: mmengine.MultiStepLR, mmengine.StepLR?")
], wrong
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
