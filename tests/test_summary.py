"""The sweep summary and its chart, in process: what the labels say, the best job, counting the jobs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hydrareg.callbacks import HydraregCallback, expected_jobs
from hydrareg.summary import (
    best_row,
    collect_rows,
    differing_overrides,
    finish_sweep,
    mark_failed_sweep,
    sweep_has_failed,
    write_result,
    write_summary,
)

JOBS = [  # (overrides, accuracy or None for a failed job)
    ("task=train optim.lr=0.01 backbone=mmcls_resnet18 task.epochs=1", 0.95),
    ("task=train optim.lr=0.01 backbone=mmcls_mobilenetv3 task.epochs=1", 0.9),
    ("task=train optim.lr=0.1 backbone=mmcls_resnet18 task.epochs=1", None),
    ("task=train optim.lr=0.1 backbone=mmcls_mobilenetv3 task.epochs=1", 0.97),
]


def make_sweep(sweep: Path) -> Path:
    for job, (overrides, accuracy) in enumerate(JOBS):
        (sweep / str(job) / ".hydra").mkdir(parents=True)
        if accuracy is None:
            write_result(sweep / str(job), "failed", overrides=overrides.split(), error="RuntimeError: boom")
        else:
            write_result(sweep / str(job), "completed", {"accuracy": accuracy}, overrides.split())
    return sweep


def svg_texts(path: Path) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text())


def test_chart_labels_hold_the_swept_values_in_full_and_mark_the_failed_job(tmp_path):
    pytest.importorskip("matplotlib")
    sweep = make_sweep(tmp_path / "sweep")
    written = write_summary(sweep, "accuracy")
    assert [p.name for p in written] == [
        "summary.csv",
        "summary.md",
        "summary_accuracy.png",
        "summary_accuracy.svg",
    ]
    texts = svg_texts(sweep / "summary_accuracy.svg")
    assert [t for t in texts if t.startswith("job ")] == [
        "job 0: optim.lr=0.01 backbone=mmcls_resnet18",
        "job 1: optim.lr=0.01 backbone=mmcls_mobilenetv3",
        "job 2: optim.lr=0.1 backbone=mmcls_resnet18",
        "job 3: optim.lr=0.1 backbone=mmcls_mobilenetv3",
    ]  # what every job shares (task=train task.epochs=1) is left out
    assert texts.count("failed") == 1 and {"0.95", "0.9", "0.97"} <= set(texts)
    assert (sweep / "summary_accuracy.png").read_bytes()[:4] == b"\x89PNG"


def test_chart_labels_sit_left_of_the_axis_where_no_bar_reaches(tmp_path):
    pytest.importorskip("matplotlib")
    sweep = make_sweep(tmp_path / "sweep")
    write_summary(sweep, "accuracy")
    svg = (sweep / "summary_accuracy.svg").read_text()
    labels = re.findall(r'<text style="[^"]*text-anchor: end[^"]*" x="([\d.]+)"[^>]*>job ', svg)
    origin = re.search(r'text-anchor: middle" x="([\d.]+)"[^>]*>0\.0<', svg)
    assert len(labels) == 4 and origin
    assert all(float(x) < float(origin[1]) for x in labels)  # right-aligned, ending before x=0


def test_without_matplotlib_the_summary_is_written_and_no_chart(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    sweep = make_sweep(tmp_path / "sweep")
    assert [p.name for p in write_summary(sweep, "accuracy")] == ["summary.csv", "summary.md"]


def test_markdown_names_the_best_job_and_the_failures(tmp_path):
    sweep = make_sweep(tmp_path / "sweep")
    write_summary(sweep, "accuracy")
    text = (sweep / "summary.md").read_text()
    assert "3 of 4 jobs completed." in text
    assert f"Best accuracy: 0.97, job 3 ({JOBS[3][0]})." in text
    assert f"- job 2 ({JOBS[2][0]}): RuntimeError: boom" in text


def test_best_row_by_max_or_min_ignores_failed_and_missing_values(tmp_path):
    rows = collect_rows(make_sweep(tmp_path / "sweep"))
    assert best_row(rows, "accuracy")["job"] == "3"
    assert best_row(rows, "accuracy", "min")["job"] == "1"
    assert best_row(rows, "loss") is None and best_row(rows, None) is None


def test_differing_overrides_keep_everything_for_a_single_job():
    rows = [{"overrides": "a=1 b=2"}]
    assert differing_overrides(rows) == ["a=1 b=2"]
    rows.append({"overrides": "a=1 b=3"})
    assert differing_overrides(rows) == ["b=2", "b=3"]


def test_the_failure_marker_lives_in_a_hidden_folder_that_finishing_removes(tmp_path):
    mark_failed_sweep(tmp_path)
    assert sweep_has_failed(tmp_path) and (tmp_path / ".hydrareg" / "has_failed_jobs").is_file()
    finish_sweep(tmp_path)
    assert not sweep_has_failed(tmp_path) and list(tmp_path.iterdir()) == []


def sweep_config(sweeper: dict, task_overrides: list[str]) -> object:
    return OmegaConf.create({"hydra": {"sweeper": sweeper, "overrides": {"task": task_overrides}}})


BASIC = {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper", "max_batch_size": None}


@pytest.mark.parametrize(
    ("sweeper", "overrides", "jobs"),
    [
        (BASIC, ["optim.lr=0.01,0.1", "backbone=a,b,c", "task=train"], 6),
        (BASIC, ["x=range(0,4)", "+y=1"], 4),
        (BASIC, ["seed=1"], 1),
        ({**BASIC, "params": {"z": "1,2"}}, ["x=1,2"], 4),
        (
            {"_target_": "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper", "n_trials": 8},
            [],
            8,
        ),
        ({"_target_": "some.other.Sweeper"}, ["x=1,2"], None),
    ],
)
def test_expected_jobs_counts_what_the_sweeper_will_launch(sweeper, overrides, jobs):
    assert expected_jobs(sweep_config(sweeper, overrides)) == jobs


def test_overrides_are_read_as_typed_not_resolved():
    config = sweep_config(BASIC, ["+custom_imports=${custom_imports:nope.mod}", "x=1,2"])
    assert expected_jobs(config) == 2  # nothing imported, no error


def test_metric_mode_is_checked():
    with pytest.raises(ValueError, match="metric_mode must be 'max' or 'min', got 'best'"):
        HydraregCallback(metric_mode="best")
