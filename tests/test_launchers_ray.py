"""Multirun on a real local Ray cluster (hydra-ray-launcher): what each job's Ray worker sees.

The module starts one Ray head on 127.0.0.1 (2 CPUs, its own temp dir) and stops it afterwards;
every test's app connects to it with ``hydra/launcher=ray_cluster`` (``conf/hydra/launcher``).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from test_hydra import assert_jobs_saw_everything, reports, run_app

pytest.importorskip("hydra_plugins.hydra_ray_launcher", reason="needs the ray extra: pip install '.[ray]'")

pytestmark = pytest.mark.slow

TINY = ["--config-dir", str(REPO / "tests" / "apps" / "conf"), "--config-name", "tiny"]
START_TIMEOUT = 180  # seconds for the head to come up on a loaded machine
STOP_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ray_command() -> str:
    beside_python = Path(sys.executable).with_name("ray")
    return str(beside_python) if beside_python.exists() else shutil.which("ray") or "ray"


def _wait_until_started(head: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if "Ray runtime started" in log.read_text(errors="replace"):
            return
        if head.poll() is not None:
            break
        time.sleep(0.5)
    raise RuntimeError(f"the Ray head did not start:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(head: subprocess.Popen) -> None:
    """Ctrl-C to ``ray start --block`` stops what it started; then nothing of its session is left."""
    if head.poll() is None:
        head.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGKILL)  # our own session: leftovers of this head only
    head.wait(STOP_TIMEOUT)


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A Ray head on the loopback address for this module's tests, stopped at the end.

    Token authentication is off for the head and every app the tests start: Ray turns it on by
    itself when ``~/.ray/auth_token`` exists (any earlier ``ray.init`` may have written one).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_AUTH_MODE", "disabled")
        yield from _ray_head()


def _ray_head() -> Iterator[str]:
    temp_dir = Path(tempfile.mkdtemp(prefix="hr-ray-", dir="/tmp"))  # short: Ray's socket paths
    log = temp_dir / "head.log"
    port = _free_port()
    command = [
        _ray_command(),
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={port}",
        f"--ray-client-server-port={_free_port()}",
        "--num-cpus=2",
        "--include-dashboard=false",
        "--disable-usage-stats",
        f"--temp-dir={temp_dir / 'session'}",
    ]
    with open(log, "w") as output:
        head = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_started(head, log)
        yield f"127.0.0.1:{port}"
    finally:
        _stop(head)
        shutil.rmtree(temp_dir, ignore_errors=True)


def on_ray(address: str) -> list[str]:
    return ["hydra/launcher=ray_cluster", f"hydra.launcher.ray.init.address={address}"]


APP_CONF = ["--config-dir", str(REPO / "conf")]  # where the test app finds hydra/launcher=ray_cluster


def run_py(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "run.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_a_run_py_sweep_with_a_failing_job_keeps_three_results_and_marks_the_failure(tmp_path, ray_address):
    result = run_py(
        tmp_path, *TINY, "-m", "model.out_channels=4,-1,8,16", *on_ray(ray_address), "hydra.sweep.dir=sweep"
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output  # Hydra re-raises the failed job's error
    assert "Ray Launcher is launching 4 jobs" in output and "Connected to Ray cluster" in output, output
    sweep = tmp_path / "sweep"
    for job in range(4):  # each job ran as a Ray task, not in the driver
        hydra_cfg = yaml.safe_load((sweep / str(job) / ".hydra" / "hydra.yaml").read_text())
        assert hydra_cfg["hydra"]["job"]["id"] == f"job_id_for_{job}"
    completed = [json.loads(path.read_text()) for path in sorted(sweep.glob("*/result.json"))]
    assert [record["status"] for record in completed] == ["completed", "failed", "completed", "completed"]
    with open(sweep / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["overrides"], row["status"], row["params"]) for row in rows] == [
        ("model.out_channels=4", "completed", "112"),
        ("model.out_channels=-1", "failed", ""),
        ("model.out_channels=8", "completed", "224"),
        ("model.out_channels=16", "completed", "448"),
    ]
    assert rows[1]["error"].startswith("RuntimeError")
    markdown = (sweep / "summary.md").read_text()
    assert "3 of 4 jobs completed." in markdown
    assert "## Failures" in markdown and "- job 1 (model.out_channels=-1): RuntimeError" in markdown


def test_ray_workers_get_main_registrations_custom_imports_and_delete(tmp_path, ray_address):
    run_app(tmp_path, *APP_CONF, "-m", "part=plain,replaced", "+x=1,2", *on_ray(ray_address))
    (sweep,) = (tmp_path / "multirun").glob("*/*")  # Hydra's default, relative sweep dir
    found = reports(sweep)
    assert len(found) == 4
    assert_jobs_saw_everything(found)
    assert os.getpid() not in {report["pid"] for report in found.values()}
    summary = (sweep / "summary.md").read_text()
    assert "4 of 4 jobs completed." in summary
