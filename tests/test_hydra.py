"""Hydra integration: _delete_ in composition (every process), and the multirun callback."""

from __future__ import annotations

import csv
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf
from patch_modes import PATCHES_ON, assert_replaced, delete_refused, needs_patches

from hydrareg.callbacks import restore_registrations, snapshot_main_registrations
from hydrareg.hydra import composition_hook_installed, install
from hydrareg.registry import MODELS

APPS = Path(__file__).parent / "apps"
#: The sweeps' options of `part`; `replaced` needs `_delete_`, which is refused with the patches off.
PARTS = ["plain", "replaced"] if PATCHES_ON else ["plain"]
WORKER_APP = APPS / "worker_app.py"


def run_app(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(APPS), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, str(WORKER_APP), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"app failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def reports(root: Path) -> dict[str, dict]:
    """job overrides -> the job's report.json, for every job under ``root``."""
    found = {}
    for path in root.rglob("report.json"):
        overrides = (path.parent / ".hydra" / "overrides.yaml").read_text()
        found[" ".join(line[2:] for line in overrides.splitlines())] = json.loads(path.read_text())
    return found


@pytest.fixture
def composed():
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(APPS / "conf"), version_base="1.3"):
        yield lambda *overrides: compose("worker", overrides=list(overrides))
    GlobalHydra.instance().clear()


# ---------------------------------------------------------------------------- composition


def test_delete_replaces_the_node_in_hydras_compose_api(composed):
    merged = composed("part=plain")
    replaced = composed("part=replaced")
    assert composition_hook_installed() == PATCHES_ON
    assert OmegaConf.to_container(merged.model.part) == {"type": "PluginPart", "depth": 3, "width": 8}
    assert_replaced(replaced.model.part, {"type": "PluginPart", "depth": 5})


@needs_patches
def test_installing_twice_and_reimporting_the_plugin_module_are_harmless(composed):
    import hydra_plugins.hydrareg_plugin as plugin

    install()
    install()
    assert composition_hook_installed()
    importlib.reload(plugin)  # Hydra's plugin discovery executes it again in the same process
    assert OmegaConf.to_container(composed("part=replaced").model.part) == {"type": "PluginPart", "depth": 5}


def test_delete_applies_in_a_single_run_and_the_saved_config_has_no_marker(tmp_path):
    result = run_app(tmp_path, "part=replaced", "hydra.run.dir=run", check=PATCHES_ON)
    if not PATCHES_ON:  # refused, naming _delete_, before anything was built
        assert result.returncode != 0 and delete_refused(result.stderr)
        assert not (tmp_path / "run" / "report.json").exists()
        return
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["part"] == {"type": "PluginPart", "depth": 5}
    assert report["built"] == ["MainOnly", "PluginPart", 5]
    saved = OmegaConf.load(tmp_path / "run" / ".hydra" / "config.yaml")
    assert OmegaConf.to_container(saved.model.part) == {"type": "PluginPart", "depth": 5}


def test_delete_applies_to_cfg_job(tmp_path):
    out = run_app(tmp_path, "part=replaced", "--cfg", "job").stdout
    printed = OmegaConf.create(out)
    if not PATCHES_ON:  # plain Hydra merged: the marker is shown, not silently dropped
        assert printed.model.part._delete_ is True and printed.model.part.width == 8
        return
    assert OmegaConf.to_container(printed.model.part) == {"type": "PluginPart", "depth": 5}
    assert "_delete_" not in out


# ---------------------------------------------------------------------------- multirun workers


def assert_jobs_saw_everything(found: dict[str, dict]) -> None:
    for overrides, report in found.items():
        assert report["main_only_registered"], overrides
        assert report["plugin_registered"], overrides
        expected = (
            {"type": "PluginPart", "depth": 5}
            if "replaced" in overrides
            else {"type": "PluginPart", "depth": 3, "width": 8}
        )
        assert report["part"] == expected, overrides
        assert report["built"] == ["MainOnly", "PluginPart", expected["depth"]]


def test_joblib_workers_get_main_registrations_custom_imports_and_delete(tmp_path):
    run_app(
        tmp_path,
        "-m",
        "part=" + ",".join(PARTS),
        "+x=1,2,3",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "hydra.sweep.dir=sweep",
    )
    found = reports(tmp_path / "sweep")
    assert len(found) == 3 * len(PARTS)
    assert_jobs_saw_everything(found)
    pids = [report["pid"] for report in found.values()]
    assert len(set(pids)) < len(pids)  # loky reused a worker, and the results did not change


def test_submitit_local_jobs_get_main_registrations_custom_imports_and_delete(tmp_path):
    run_app(
        tmp_path, "-m", "part=" + ",".join(PARTS), "hydra/launcher=submitit_local", "hydra.sweep.dir=sweep"
    )
    found = reports(tmp_path / "sweep")
    assert len(found) == len(PARTS)
    assert_jobs_saw_everything(found)
    assert os.getpid() not in {report["pid"] for report in found.values()}


@pytest.mark.skipif(not PATCHES_ON, reason="its rows include part=replaced jobs, which need _delete_")
def test_a_failing_job_is_recorded_and_the_other_jobs_results_are_kept(tmp_path):
    result = run_app(
        tmp_path,
        "-m",
        "+fail=false,true",
        "part=plain,replaced",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "hydra.sweep.dir=sweep",
        check=False,
    )
    assert result.returncode != 0 and "this job was asked to fail" in result.stderr
    with open(tmp_path / "sweep" / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["status"] for row in rows] == ["completed", "completed", "failed", "failed"]
    assert [row["depth"] for row in rows] == ["3", "5", "", ""]
    assert rows[2]["error"] == "RuntimeError: this job was asked to fail"
    markdown = (tmp_path / "sweep" / "summary.md").read_text()
    assert (
        "2 of 4 jobs completed." in markdown
        and "| 1 | +fail=False part=replaced | completed | 5 |" in markdown
    )
    chart = (tmp_path / "sweep" / "summary_depth.svg").read_text()
    assert chart.count(">failed</text>") == 2 and "job 3: +fail=True part=replaced</text>" in chart
    assert (
        "job 3 failed (+fail=True part=replaced): RuntimeError: this job was asked to fail" in result.stdout
    )
    assert "sweep finished: 2 done, 2 failed (sweep)" in result.stdout
    assert not (tmp_path / "sweep" / ".hydrareg").exists()


def test_basic_launcher_sweep_writes_the_summary_at_the_end(tmp_path):
    run_app(tmp_path, "-m", "part=" + ",".join(PARTS), "hydra.sweep.dir=sweep")
    summary = (tmp_path / "sweep" / "summary.md").read_text()
    assert f"{len(PARTS)} of {len(PARTS)} jobs completed." in summary
    assert len(reports(tmp_path / "sweep")) == len(PARTS)


# ---------------------------------------------------------------------------- the snapshot


def test_snapshot_finds_what_main_registered_and_restore_registers_it_again():
    class FromMain:
        pass

    FromMain.__module__ = "__main__"
    MODELS.register_module(module=FromMain)
    snapshot = snapshot_main_registrations()
    assert ("MODELS", (), "FromMain", FromMain) in snapshot
    del MODELS.module_dict["FromMain"]
    restore_registrations(snapshot)
    assert MODELS.module_dict["FromMain"] is FromMain


# ---------------------------------------------------------------------------- saving configs


def test_configs_are_saved_byte_identical_to_omegaconfs_yaml(tmp_path):
    from hydrareg.hydra.saving import config_to_yaml, save_config

    cfg = OmegaConf.create(
        {
            "strings": ["true", "1", "1.0", "null", "plain", "ünïcödé", "multi\nline", "${interp}", ""],
            "numbers": [1, 1.5, -0.0, 1e-08, True, None],
            "nested": {"list": [{"a": 1}, []], "empty": {}, 3: "int key"},
            "missing": "???",
        }
    )
    assert config_to_yaml(cfg) == OmegaConf.to_yaml(cfg)
    save_config(cfg, "config.yaml", tmp_path / ".hydra")
    assert (tmp_path / ".hydra" / "config.yaml").read_text() == OmegaConf.to_yaml(cfg)
