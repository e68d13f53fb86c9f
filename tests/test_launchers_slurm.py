"""SLURM through submitit: the job pickles the SLURM executor submits carry what each job needs.

There is no SLURM here, so its three commands are stand-ins (``sbatch``, ``srun``, ``sacct`` on
PATH); everything else is real. ``hydra/launcher=slurm_cluster`` (``conf/hydra/launcher``) makes
hydra-submitit-launcher's SLURM executor write the submission file and the job pickles exactly as
for a cluster; the stand-in ``sbatch`` keeps the file and runs its array tasks one after another
on this machine, as SLURM would: the submission file itself, with the ``SLURM_*`` variables of
each array task, and ``srun`` running its command. Each task is submitit's own
``python -m submitit.core._submit`` on the pickle; the sweep's driver collects the results.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from test_hydra import assert_jobs_saw_everything, reports, run_app

from hydrareg.callbacks import HydraregCallback

pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="needs the slurm extra")

pytestmark = pytest.mark.slow

JOB_ID = "4242"

SBATCH = """\
#!{python}
# Stand-in for SLURM's sbatch: keep the submission file, then run its array tasks here, in order.
import os, re, shutil, subprocess, sys

record = os.environ["FAKE_SLURM_DIR"]
if sys.argv[1] != "--run-tasks":
    shutil.copy(sys.argv[-1], os.path.join(record, "submission.sh"))
    runner = subprocess.Popen([sys.executable, __file__, "--run-tasks", sys.argv[-1]],
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    open(os.path.join(record, "runner.pid"), "w").write(str(runner.pid))
    print("Submitted batch job {job}")
    sys.exit(0)
script = sys.argv[2]
first, last = re.search(r"^#SBATCH --array=(\\d+)-(\\d+)", open(script).read(), re.M).groups()
for task in range(int(first), int(last) + 1):
    env = dict(os.environ, SLURM_JOB_ID=str({job} + 1 + task), SLURM_ARRAY_JOB_ID="{job}",
               SLURM_ARRAY_TASK_ID=str(task), SLURM_NTASKS="1", SLURM_JOB_NUM_NODES="1", SLURM_NODEID="0",
               SLURM_PROCID="0", SLURM_LOCALID="0", SLURM_JOB_NODELIST="localhost")
    with open(os.path.join(record, f"task_{{task}}.log"), "w") as log:
        subprocess.run(["bash", script], env=env, stdout=log, stderr=subprocess.STDOUT, timeout=600)
"""

SRUN = """\
#!/bin/sh
# Stand-in for SLURM's srun: drop its options, run the command.
while [ $# -gt 0 ]; do
  case "$1" in
    --output|--error) shift 2 ;;
    --*) shift ;;
    *) break ;;
  esac
done
exec "$@"
"""

SACCT = """\
#!/bin/sh
# Stand-in for SLURM's sacct: no job is known; submitit then waits for the result pickles.
echo "JobID|State|NodeList"
"""


@pytest.fixture
def fake_slurm(tmp_path: Path):
    """PATH and FAKE_SLURM_DIR for the stand-ins; the task runner is stopped if a test leaves it."""
    record = tmp_path / "slurm"
    bin_dir = record / "bin"
    bin_dir.mkdir(parents=True)
    for name, text in {
        "sbatch": SBATCH.format(python=sys.executable, job=JOB_ID),
        "srun": SRUN,
        "sacct": SACCT,
    }.items():
        (bin_dir / name).write_text(textwrap.dedent(text))
        (bin_dir / name).chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_SLURM_DIR": str(record)}
    yield record, env
    pid_file = record / "runner.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)


def submitted_callbacks(sweep: Path) -> list[HydraregCallback]:
    """The HydraregCallback inside each job pickle (the launcher travels in it, callbacks included)."""
    found = []
    for path in sorted((sweep / ".submitit").glob(f"{JOB_ID}_*/{JOB_ID}_*_submitted.pkl")):
        with open(path, "rb") as handle:
            delayed = pickle.load(handle)
        callbacks = delayed.function.hydra_context.callbacks.callbacks
        found += [callback for callback in callbacks if isinstance(callback, HydraregCallback)]
    return found


def test_slurm_job_pickles_carry_main_registrations_and_the_callback_state(tmp_path, fake_slurm, monkeypatch):
    record, env = fake_slurm
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run_app(
        tmp_path,
        "--config-dir",
        str(REPO / "conf"),
        "-m",
        "part=plain,replaced",
        "hydra/launcher=slurm_cluster",
        "hydra.launcher.partition=debug",
        "hydra.launcher.timeout_min=30",
        "hydra.launcher.array_parallelism=2",
        "hydra.sweep.dir=sweep",
    )
    submission = (record / "submission.sh").read_text()
    for line in ("--array=0-1%2", "--partition=debug", "--time=30", "--gpus-per-node=1", "--cpus-per-task=4"):
        assert f"#SBATCH {line}\n" in submission
    assert "-m submitit.core._submit" in submission

    sweep = tmp_path / "sweep"
    callbacks = submitted_callbacks(sweep)
    assert len(callbacks) == 2
    for callback in callbacks:  # pickled after on_multirun_start took the snapshot
        assert callback.plot_metric == "depth"
        assert [(root, name) for root, _, name, _ in callback.main_registrations] == [("MODELS", "MainOnly")]

    for task in (0, 1):  # each job ran as its SLURM array task
        hydra_cfg = yaml.safe_load((sweep / str(task) / ".hydra" / "hydra.yaml").read_text())
        assert hydra_cfg["hydra"]["job"]["id"] == f"{JOB_ID}_{task}"
    found = reports(sweep)
    assert len(found) == 2
    assert_jobs_saw_everything(found)
    assert all((record / f"task_{task}.log").is_file() for task in (0, 1))
    summary = (sweep / "summary.md").read_text()
    assert "2 of 2 jobs completed." in summary
    assert (sweep / "summary_depth.svg").is_file()
