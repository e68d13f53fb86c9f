"""What the command line tells a new user: ``python -m hydrareg``, ``--version``, ``--help``, ``run.py --help``."""

from __future__ import annotations

import os
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
    for task in ("summary", "train", "train_det", "track", "pipeline", "mmengine"):
        assert f"\n  {task} " in out, task
    # Hydra's list of the config group's options
    assert "task: mmengine, pipeline, summary, track, train" in out
    assert 'eval "$(python run.py -sc install=bash)"' in out


def test_shell_completion_without_its_subcommand_is_a_usage_error_not_a_traceback():
    for extra in ([], ["install=bash", "uninstall=bash"]):
        result = run(str(REPO / "run.py"), "-sc", *extra)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith(
            "--shell-completion (-sc) takes one of install=SHELL, uninstall=SHELL"
        )
        assert 'eval "$(python run.py -sc install=bash)"' in result.stderr


def test_shell_completion_completes_groups_and_keys_of_the_composed_config():
    def complete(line: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, str(REPO / "run.py"), "-sc", "query=bash"],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "COMP_LINE": f"python run.py {line}"},
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert complete("task=tr") == ["task=track", "task=train", "task=train_det"]
    assert complete("model.backbone.de") == ["model.backbone.deepen_factor="]
