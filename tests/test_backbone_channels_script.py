"""scripts/backbone_channels.py, run as a user would (a subprocess from the repository root)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "backbone_channels.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _levels(stdout: str) -> list[tuple[int, ...]]:
    shapes = re.findall(r"level \d+: \(([\d, ]+)\)", stdout)
    return [tuple(int(x) for x in shape.split(",")) for shape in shapes]


@pytest.fixture
def probe_config(tmp_path):
    """A primary config of our own, so the test does not depend on conf/config.yaml."""
    (tmp_path / "probe.yaml").write_text("defaults:\n  - model: yolox\n  - _self_\n")
    return [
        "--config-dir",
        str(tmp_path),
        "--config-name",
        "probe",
        f"hydra.run.dir={tmp_path / 'run'}",
    ]


def test_prints_each_level_of_mmcls_convnext(probe_config):
    result = _run(*probe_config, "backbone=mmcls_convnext")
    assert result.returncode == 0, result.stderr
    assert "mmcls.ConvNeXt" in result.stdout
    assert _levels(result.stdout) == [(1, 192, 8, 8), (1, 384, 4, 4), (1, 768, 2, 2)]


def test_image_size_and_another_backbone(probe_config):
    result = _run(*probe_config, "backbone=mmcls_mobilenetv3", "+image_size=96")
    assert result.returncode == 0, result.stderr
    assert _levels(result.stdout) == [(1, 24, 12, 12), (1, 48, 6, 6), (1, 96, 3, 3)]


def test_unknown_backbone_option_fails_with_hydras_message(probe_config):
    result = _run(*probe_config, "backbone=no_such_backbone")
    assert result.returncode != 0
    assert "no_such_backbone" in result.stderr


@pytest.mark.skipif(
    not (ROOT / "conf" / "config.yaml").exists(),
    reason="conf/config.yaml (the lead's) not merged yet",
)
def test_runs_with_the_projects_own_config(tmp_path):
    result = _run("backbone=mmcls_convnext", f"hydra.run.dir={tmp_path}")
    assert result.returncode == 0, result.stderr
    assert _levels(result.stdout) == [(1, 192, 8, 8), (1, 384, 4, 4), (1, 768, 2, 2)]
