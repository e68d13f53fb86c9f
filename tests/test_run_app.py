"""run.py end to end, through subprocesses: overrides, --cfg job, multirun with two launchers."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

TINY = ["--config-dir", str(REPO / "tests" / "apps" / "conf"), "--config-name", "tiny"]


def run(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(REPO / "run.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"run.py failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def test_overrides_change_the_build_and_the_result_is_saved(tmp_path):
    out = run(tmp_path, *TINY, "model.out_channels=8", "+model.bias=false", "~seed", "hydra.run.dir=job")
    result = json.loads((tmp_path / "job" / "result.json").read_text())
    assert result["status"] == "completed"
    assert result["figures"]["params"] == 3 * 8 * 3 * 3  # bias=false: no bias parameters
    assert result["figures"]["output_shapes"] == [2, 8, 62, 62]
    assert result["overrides"] == ["model.out_channels=8", "+model.bias=false", "~seed"]
    saved = yaml.safe_load((tmp_path / "job" / ".hydra" / "config.yaml").read_text())
    assert "seed" not in saved and saved["model"]["bias"] is False
    assert "mmengine.Conv2d" in out.stdout and "parameters: 216" in out.stdout


def test_cfg_job_prints_the_composed_config_and_runs_nothing(tmp_path):
    out = run(tmp_path, *TINY, "model.out_channels=8", "--cfg", "job").stdout
    assert yaml.safe_load(out)["model"]["out_channels"] == 8
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("launcher", ["basic", "joblib"])
def test_multirun_leaves_a_result_per_job_and_a_summary(tmp_path, launcher):
    run(
        tmp_path, *TINY, "-m", "model.out_channels=4,8", f"hydra/launcher={launcher}", "hydra.sweep.dir=sweep"
    )
    results = sorted((tmp_path / "sweep").glob("*/result.json"))
    assert len(results) == 2
    with open(tmp_path / "sweep" / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["overrides"], row["status"], row["params"]) for row in rows] == [
        ("model.out_channels=4", "completed", "112"),
        ("model.out_channels=8", "completed", "224"),
    ]
    assert (tmp_path / "sweep" / "summary.md").is_file()
    assert (tmp_path / "sweep" / "summary_params.svg").is_file()


def test_an_unknown_type_fails_with_the_config_path(tmp_path):
    result = run(tmp_path, *TINY, "model.type=Conv2dd", "hydra.run.dir=job", check=False)
    assert result.returncode != 0
    assert "Conv2dd is not in the mmengine::model registry" in result.stderr
    assert "config path: model.type" in result.stderr
    assert "did you mean: mmengine.Conv2d" in result.stderr
