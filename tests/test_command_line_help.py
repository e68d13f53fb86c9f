"""What the command line tells a new user: ``python -m hydrareg``, ``--version``, ``--help``, ``run.py --help``."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

import hydrareg


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, cwd=REPO)


def test_python_m_hydrareg_prints_the_version():
    result = run("-m", "hydrareg", "--version")
    assert result.returncode == 0 and result.stdout == f"hydrareg {hydrareg.__version__}\n"


def test_help_is_written_for_users_with_examples():
    result = run("-m", "hydrareg", "--help")
    assert result.returncode == 0
    assert "Hydra's config composition and sweeps with MMEngine's" in result.stdout
    assert "examples:\n  hydrareg convert path/to/mmdet/configs converted/mmdet" in result.stdout
    assert "hydrareg convert configs/retinanet out --root configs" in result.stdout
    missing = run("-m", "hydrareg")
    assert missing.returncode == 2 and "the following arguments are required: COMMAND" in missing.stderr


def test_run_py_help_describes_the_app_its_tasks_and_completion():
    out = run(str(REPO / "run.py"), "--help").stdout
    assert out.startswith("run.py: hydrareg's demo app.")
    for task in ("summary", "train", "train_det", "track", "pipeline"):
        assert f"\n  {task} " in out, task
    # Hydra's list of the config group's options
    assert "task: mmengine, pipeline, summary, track, train" in out
    assert 'eval "$(python run.py -sc install=bash)"' in out
