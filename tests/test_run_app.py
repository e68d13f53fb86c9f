"""run.py end to end, through subprocesses: overrides, --cfg job, multirun with two launchers."""

from __future__ import annotations

import csv
import json
import re
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
    chart = (tmp_path / "sweep" / "summary_params.svg").read_text()
    assert "job 0: model.out_channels=4</text>" in chart and "job 1: model.out_channels=8</text>" in chart
    assert (tmp_path / "sweep" / "summary_params.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(path.name for path in (tmp_path / "sweep").iterdir()) == [
        "0",
        "1",
        "multirun.yaml",
        "summary.csv",
        "summary.md",
        "summary_params.png",
        "summary_params.svg",
    ]  # nothing stray: the lock and the failure marker are gone


def test_an_unknown_type_fails_with_the_config_path(tmp_path):
    result = run(tmp_path, *TINY, "model.type=Conv2dd", "hydra.run.dir=job", check=False)
    assert result.returncode != 0
    assert "Conv2dd is not in the mmengine::model registry" in result.stderr
    assert "config path: model.type" in result.stderr
    assert "did you mean: mmengine.Conv2d" in result.stderr


def test_a_sweep_reports_each_job_and_ends_with_one_short_block(tmp_path):
    out = run(tmp_path, *TINY, "-m", "model.out_channels=4,8,6", "hydra.sweep.dir=sweep").stdout
    progress = [
        re.sub(r"^\[.*?\] (- )?", "", line)
        for line in out.splitlines()
        if re.search(r"job \d+ (completed|failed)|sweep finished", line)
    ]
    assert progress == [
        "job 0 completed (model.out_channels=4): params 112 | 1 done, 0 failed, 2 left | best params 112 (job 0)",
        "job 1 completed (model.out_channels=8): params 224 | 2 done, 0 failed, 1 left | best params 224 (job 1)",
        "job 2 completed (model.out_channels=6): params 168 | 3 done, 0 failed, 0 left | best params 224 (job 1)",
        "sweep finished: 3 done, 0 failed (sweep)",
    ]
    block = out[out.index("sweep finished") :].splitlines()[1:4]
    assert block == [
        "  best params: 224, job 1 (model.out_channels=8)",
        "  summary: sweep/summary.md (and summary.csv)",
        "  chart:   sweep/summary_params.png (and .svg)",
    ]
    assert (
        "Best params: 224, job 1 (model.out_channels=8)." in (tmp_path / "sweep" / "summary.md").read_text()
    )


def test_a_sweep_with_a_failing_job_records_it_and_keeps_the_others(tmp_path):
    result = run(tmp_path, *TINY, "-m", "model.out_channels=4,-1,8", "hydra.sweep.dir=sweep", check=False)
    assert result.returncode != 0
    assert "sweep finished: 2 done, 1 failed (sweep)" in result.stdout
    assert not (tmp_path / "sweep" / ".hydrareg").exists()
    assert len(result.stderr.splitlines()) <= 15 and "Traceback" not in result.stderr
    with open(tmp_path / "sweep" / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["status"] for row in rows] == ["completed", "failed", "completed"]
    assert rows[1]["error"].startswith("RuntimeError")
    assert [row["params"] for row in rows] == ["112", "", "224"]


def test_the_readme_demo_builds_yolox_with_an_mmcls_backbone(tmp_path):
    out = run(tmp_path, "model=yolox", "backbone=mmcls_convnext", "hydra.run.dir=job").stdout
    figures = json.loads((tmp_path / "job" / "result.json").read_text())["figures"]
    assert figures["model"] == "mmdet.YOLOX"
    assert "mmcls.ConvNeXt" in out and "mmdet.YOLOXPAFPN" in out
    assert [shape[:2] for shape in figures["output_shapes"][0]] == [[2, 80]] * 3  # class scores per level


def test_running_a_task_imports_torch_only_if_the_task_does():
    """run.py's own machinery (the task registry, run_task, the rank check) stays light: a task that needs
    no torch (the benchmark's no-op, a user's data task) pays nothing for it."""
    code = (
        "import sys; import hydrareg_zoo.tasks; from hydrareg_zoo.tasks.ranks import is_main_process; "
        "assert is_main_process(); hydrareg_zoo.tasks.TASKS.get('train')  # imports every task module; "
        "\nassert 'torch' not in sys.modules, 'torch imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
