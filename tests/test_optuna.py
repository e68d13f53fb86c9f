"""Optuna sweeps: run.py's return value is the objective; the summary shows the study.

The fast tests build sweep dirs as the Optuna sweeper leaves them; the slow one runs a real
search over the digits classifier (``hydra/sweeper=optuna``).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

from hydrareg.errors import ConfigValueError
from hydrareg.summary import write_summary
from hydrareg_zoo.tasks.objective import Figures

# ---------------------------------------------------------------------------- the objective


def test_float_of_the_figures_is_the_objective_and_they_stay_a_mapping():
    figures = Figures({"accuracy": 0.93, "loss": 0.2, "checkpoint": "a.pth"}, "accuracy")
    assert float(figures) == 0.93
    assert figures == {"accuracy": 0.93, "loss": 0.2, "checkpoint": "a.pth"}
    copy = pickle.loads(pickle.dumps(figures))  # sent back from launcher workers
    assert float(copy) == 0.93 and copy.objective == "accuracy"


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        (None, "a sweeper asked for one number, but the config names no objective: set objective to one of"),
        ("top5", "objective 'top5' is not a figure of this task; its figures with numbers are"),
        ("checkpoint", "objective 'checkpoint' is not a figure of this task"),
    ],
)
def test_a_missing_or_unusable_objective_names_the_config_key_and_the_choices(objective, message):
    figures = Figures({"accuracy": 0.93, "loss": 0.2, "checkpoint": "a.pth"}, objective)
    with pytest.raises(ConfigValueError) as caught:
        float(figures)
    assert message in str(caught.value)
    assert caught.value.config_path == "objective"
    assert "['accuracy', 'loss']" in str(caught.value)


# ---------------------------------------------------------------------------- the summary


def make_study_sweep(
    sweep: Path, trials: list[tuple[str, float | None]], direction: str, results: dict
) -> None:
    """A sweep dir as the Optuna sweeper leaves it: one job dir per trial and its results file."""
    for job, (overrides, accuracy) in enumerate(trials):
        hydra_dir = sweep / str(job) / ".hydra"
        hydra_dir.mkdir(parents=True)
        (hydra_dir / "config.yaml").write_text("objective: accuracy\nseed: 0\n")
        (hydra_dir / "hydra.yaml").write_text(
            yaml.safe_dump({"hydra": {"sweeper": {"direction": direction}}})
        )
        record = {"status": "completed", "overrides": overrides.split(), "figures": {"accuracy": accuracy}}
        if accuracy is None:
            record = {
                "status": "failed",
                "overrides": overrides.split(),
                "figures": {},
                "error": "RuntimeError: x",
            }
        (sweep / str(job) / "result.json").write_text(json.dumps(record))
    (sweep / "optimization_results.yaml").write_text(yaml.safe_dump(results, sort_keys=False))


def best_line_heights(svg: str) -> list[float]:
    """The y of each point of the best-so-far line (SVG y grows downwards)."""
    points = svg.split('<polyline points="')[1].split('"')[0].split()
    return [float(point.split(",")[1]) for point in points]


TRIALS = [
    ("optim.lr=0.05 backbone=mmcls_resnet18", 0.81),
    ("optim.lr=0.002 backbone=mmcls_mobilenetv3", None),
    ("optim.lr=0.09 backbone=mmcls_resnet18", 0.95),
    ("optim.lr=0.03 backbone=mmcls_mobilenetv3", 0.9),
]


def test_the_summary_names_the_best_trial_and_plots_the_objective_over_trials(tmp_path):
    results = {
        "name": "optuna",
        "best_params": {"optim.lr": 0.09, "backbone": "mmcls_resnet18"},
        "best_value": 0.95,
    }
    make_study_sweep(tmp_path, TRIALS, "maximize", results)
    written = write_summary(tmp_path, "accuracy")
    markdown = (tmp_path / "summary.md").read_text()
    assert "3 of 4 jobs completed." in markdown
    assert "## Hyper-parameter search\n\n4 trials, direction: maximize." in markdown
    assert "- Best trial: job 2 (optim.lr=0.09 backbone=mmcls_resnet18), accuracy = 0.95." in markdown
    assert "- Best parameters: optim.lr=0.09, backbone=mmcls_resnet18." in markdown
    assert "![accuracy over trials](summary_trials.svg)" in markdown
    svg = (tmp_path / "summary_trials.svg").read_text()
    assert tmp_path / "summary_trials.svg" in written
    assert svg.count("<circle") == 3  # the failed trial is a cross, not a dot
    best_so_far = best_line_heights(svg)
    assert len(best_so_far) == 3 and best_so_far[0] > best_so_far[1] == best_so_far[2]  # up at 0.95, stays


def test_minimising_studies_track_the_lowest_value(tmp_path):
    trials = [("optim.lr=0.1", 0.5), ("optim.lr=0.01", 0.3), ("optim.lr=0.2", 0.4)]
    make_study_sweep(tmp_path, trials, "minimize", {"best_params": {"optim.lr": 0.01}, "best_value": 0.3})
    write_summary(tmp_path)
    assert "- Best trial: job 1 (optim.lr=0.01), accuracy = 0.3." in (tmp_path / "summary.md").read_text()
    best_so_far = best_line_heights((tmp_path / "summary_trials.svg").read_text())
    assert best_so_far[0] < best_so_far[1] == best_so_far[2]  # down to 0.3 (drawn lower), then kept


def test_a_sweep_that_was_no_search_gets_no_search_section(tmp_path):
    make_study_sweep(tmp_path, TRIALS[:1], "maximize", {})
    (tmp_path / "optimization_results.yaml").unlink()
    write_summary(tmp_path, "accuracy")
    assert "Hyper-parameter search" not in (tmp_path / "summary.md").read_text()
    assert not (tmp_path / "summary_trials.svg").exists()


def test_several_objectives_list_the_pareto_front(tmp_path):
    solutions = [{"params": {"optim.lr": 0.05}, "values": [0.9, 12.0]}]
    make_study_sweep(tmp_path, TRIALS[:1], "maximize", {"name": "optuna", "solutions": solutions})
    write_summary(tmp_path)
    assert "Pareto front:\n\n- [0.9, 12.0]: optim.lr=0.05" in (tmp_path / "summary.md").read_text()


# ---------------------------------------------------------------------------- a real search


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("hydra_plugins.hydra_optuna_sweeper") is None,
    reason="needs the optuna extra: pip install '.[optuna]'",
)
def test_an_optuna_search_over_the_digits_classifier_reaches_090_and_summarises_the_study(tmp_path):
    command = [
        sys.executable,
        str(REPO / "run.py"),
        "-m",
        "hydra/sweeper=optuna",
        "hydra.sweeper.direction=maximize",
        "hydra.sweeper.n_trials=6",
        "hydra.sweeper.sampler.seed=0",
        "task=train",
        "optim.lr=interval(0.001,0.1)",
        "backbone=choice(mmcls_resnet18,mmcls_mobilenetv3)",
        # small enough for a slow test: 16x16 digits, 2 epochs, one thread per job
        "dataset.size=16",
        "task.epochs=2",
        "task.num_threads=1",
        "task.progress=false",
        "hydra.sweep.dir=sweep",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=3000)
    assert result.returncode == 0, result.stdout + result.stderr
    sweep = tmp_path / "sweep"
    study = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    with open(sweep / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6 and all(row["status"] == "completed" for row in rows)
    accuracies = [float(row["accuracy"]) for row in rows]
    assert study["best_value"] == max(accuracies) >= 0.9  # Optuna read the returned accuracy
    assert len({row["overrides"] for row in rows}) == 6  # six different points of the search space
    best_job = accuracies.index(max(accuracies))
    markdown = (sweep / "summary.md").read_text()
    assert f"- Best trial: job {best_job} ({rows[best_job]['overrides']})" in markdown
    assert (sweep / "summary_trials.svg").read_text().count("<circle") == 6
    assert (sweep / "summary_accuracy.svg").is_file()


# ---------------------------------------------------------------------------- checking a search first

needs_optuna_sweeper = pytest.mark.skipif(
    importlib.util.find_spec("hydra_plugins.hydra_optuna_sweeper") is None,
    reason="needs the optuna extra: pip install '.[optuna]'",
)


def check(tmp_path: Path, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            str(REPO / "run.py"),
            "--check",
            "-m",
            "hydra/sweeper=optuna",
            "task=train",
            *overrides,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


@needs_optuna_sweeper
def test_checking_an_optuna_search_composes_every_choice_and_both_bounds_of_each_interval(tmp_path):
    space = ["optim.lr=interval(0.001,0.1)", "backbone=choice(mmcls_resnet18,mmcls_mobilenetv3)"]
    result = check(tmp_path, *space, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == {"jobs": 3, "problems": []}  # lr low, lr high, the other backbone
    assert "3 jobs checked: no problems" in check(tmp_path, *space).stdout
    assert not (tmp_path / "multirun").exists()  # nothing ran


@needs_optuna_sweeper
def test_a_search_space_optuna_would_refuse_and_a_bound_that_does_not_fit_are_reported(tmp_path):
    result = check(
        tmp_path,
        "optim.lr=tag(log,interval(0.1,0.001))",  # bounds swapped: Optuna stops the search at its start
        "model.backbone.frozen_stages=interval(0,2)",  # floats: the constructor takes an int
    )
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    assert problems == [
        "✗ optim.lr: Optuna refuses optim.lr=tag(log,interval(0.1,0.001)): the low bound 0.1 is above "
        "the high bound 0.001",
        "✗ model.backbone.frozen_stages: mmcls.ResNet expects frozen_stages: int, got 0.0",
        "✗ model.backbone.frozen_stages: mmcls.ResNet expects frozen_stages: int, got 2.0",
    ]
    assert "    set by:    optim.lr=tag(log,interval(0.1,0.001))" in result.stdout
    log_from_zero = check(tmp_path, "optim.lr=tag(log,interval(0,0.1))")
    assert "a log scale needs a low bound above 0, got 0" in log_from_zero.stdout
