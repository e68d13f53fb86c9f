"""What a user sees when a config is wrong: run.py prints the hydrareg message alone, in few lines.

The messages are checked word for word; HYDRA_FULL_ERROR=1 brings the trace back, and the job's
run.log and result.json record the failure either way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from patch_modes import PATCHES_ON

from hydrareg.app import JobFailed, check_findings, config_error, reported_errors, short_report
from hydrareg.errors import ConfigValueError, UnknownTypeError, note_config_path

TINY = ["--config-dir", str(REPO / "tests" / "apps" / "conf"), "--config-name", "tiny"]
MAX_LINES = 15


def run(cwd: Path, *args: str, full_error: bool = False) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "HYDRA_FULL_ERROR"}
    if full_error:
        env["HYDRA_FULL_ERROR"] = "1"
    cut = args.index("--cfg") if "--cfg" in args else len(args)  # Hydra wants overrides before --cfg
    return subprocess.run(
        [sys.executable, str(REPO / "run.py"), *args[:cut], "hydra.run.dir=job", *args[cut:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def assert_short_failure(result: subprocess.CompletedProcess, *lines: str) -> None:
    """Failed, no traceback, at most MAX_LINES lines in all, and ``lines`` in a row on stderr."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    printed = (result.stdout + result.stderr).splitlines()
    assert len(printed) <= MAX_LINES, result.stdout + result.stderr
    assert "\n".join(lines) in result.stderr, result.stderr


def test_a_misspelt_type_names_the_scopes_registry_and_nothing_else(tmp_path):
    result = run(tmp_path, "model.backbone.type=mmcls.ConvNext")
    assert_short_failure(
        result,
        "UnknownTypeError: mmcls.ConvNext is not in the mmcls::model registry",
        "  config path: model.backbone.type",
        "  searched:    mmcls::model -> mmengine::model",
        "  did you mean: mmcls.ConvNeXt, mmengine.Conv?",
    )
    record = json.loads((tmp_path / "job" / "result.json").read_text())
    assert record["status"] == "failed"
    assert record["error"] == "UnknownTypeError: mmcls.ConvNext is not in the mmcls::model registry"
    log = (tmp_path / "job" / "run.log").read_text()
    assert "the job failed: UnknownTypeError: mmcls.ConvNext" in log and "Traceback" in log
    assert f"the trace is in {tmp_path / 'job' / 'run.log'}" in result.stderr


def test_full_error_brings_the_trace_back(tmp_path):
    result = run(tmp_path, "model.backbone.type=mmcls.ConvNext", full_error=True)
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert (
        "hydrareg.errors.UnknownTypeError: mmcls.ConvNext is not in the mmcls::model registry"
        in result.stderr
    )


def test_printing_the_resolved_config_reports_a_config_error_briefly_too(tmp_path):
    result = run(tmp_path, "model.backbone.type=mmcls.ConvNext", "--cfg", "job", "--resolve")
    assert_short_failure(
        result,
        "UnknownTypeError: mmcls.ConvNext is not in the mmcls::model registry",
        "  config path: model.backbone.type",
    )
    hydras_own = run(tmp_path, "model.backbone.out_channels=4", "--cfg", "job")  # printed as Hydra does
    assert hydras_own.returncode == 1 and hydras_own.stderr.startswith(
        "Could not override 'model.backbone.out_channels'.\nTo append to your config use +model.backbone"
    )
    assert "Traceback" not in hydras_own.stderr


def test_an_unknown_scope_lists_the_installed_scopes_not_yet_loaded(tmp_path):
    result = run(tmp_path, "model.backbone.type=mmfoo.ConvNeXt")
    assert_short_failure(
        result,
        "UnknownTypeError: mmfoo.ConvNeXt is not in the mmdet::model registry",
        "  config path: model.backbone.type",
        "  searched:    no registry with scope 'mmfoo' in the mmengine::model tree (its scopes: mmdet, "
        "mmengine; installed: mmcls, mmpretrain, mmrotate, mmtrack), and no importable module path "
        "'mmfoo.ConvNeXt'",
    )


def test_a_string_for_out_indices_is_reported_whole(tmp_path):
    result = run(tmp_path, "model.backbone.out_indices=foo")
    assert_short_failure(
        result,
        "ConfigValueError: CSPDarknet: out_indices must be an int or a list of ints, got 'foo'",
        "while building CSPDarknet from config path model.backbone",
    )


@pytest.mark.parametrize(
    ("task", "key", "value"), [("train", "epochs", "0"), ("train_det", "batch_size", "-1")]
)
def test_a_training_count_below_one_names_the_key_the_user_wrote(tmp_path, task, key, value):
    result = run(tmp_path, f"task={task}", f"task.{key}={value}")
    assert_short_failure(
        result, f"ConfigValueError: {key} must be a positive int, got {value}", f"  config path: task.{key}"
    )


def test_an_unknown_argument_names_its_path_and_what_is_accepted(tmp_path):
    result = run(tmp_path, "+model.backbone.dpth=3")
    assert_short_failure(
        result,
        "BuildArgumentError: CSPDarknet() rejected the config's arguments: got an unexpected keyword "
        "argument 'dpth'",
        "  config path: model.backbone.dpth",
    )


def test_a_failing_custom_import_is_reported_once_at_custom_imports(tmp_path):
    result = run(tmp_path, "+custom_imports=${custom_imports:nope.mod}")
    assert_short_failure(
        result,
        "CustomImportError: Failed to import custom module 'nope.mod': No module named 'nope'",
        "  config path: custom_imports",
    )
    assert result.stderr.count("Failed to import custom module") == 1
    assert "hydra.overrides" not in result.stderr + result.stdout
    record = json.loads((tmp_path / "job" / "result.json").read_text())
    assert record["status"] == "failed" and record["overrides"] == [
        "+custom_imports=${custom_imports:nope.mod}"
    ]


def test_an_error_raised_inside_a_constructor_is_short_too(tmp_path):
    result = run(tmp_path, *TINY, "model.out_channels=-1")
    assert_short_failure(
        result,
        "RuntimeError: Trying to create tensor with negative dimension -1: [-1, 3, 3, 3]",
        "while building Conv2d from config path model",
    )


def test_a_checkpoint_that_does_not_fit_is_cut_to_a_few_lines(tmp_path):
    import torch

    checkpoint = tmp_path / "wrong.pth"
    torch.save({"state_dict": {"backbone.conv1.weight": torch.zeros(1)}}, checkpoint)
    init_cfg = f"+model.backbone.init_cfg={{type:Pretrained,checkpoint:'{checkpoint}',prefix:backbone.}}"
    result = run(tmp_path, "model=retinanet", "backbone=mmcls_resnet18", init_cfg)
    assert_short_failure(
        result,
        f"ConfigValueError: checkpoint '{checkpoint}' does not fit the module: missing: stem.0.conv.weight, "
        "stem.0.norm.weight, stem.0.norm.bias, ... (120 in all); unexpected: conv1.weight",
        "  config path: model.backbone.init_cfg",
    )


def test_delete_from_the_command_line_never_reaches_a_constructor(tmp_path):
    result = run(tmp_path, "+model.backbone._delete_=true")
    if not PATCHES_ON:  # HYDRAREG_PATCHES=0: a marker may mean a merged node, so it is refused
        assert result.returncode != 0 and "_delete_ was not applied" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "job" / "result.json").read_text())["status"] == "completed"


# ---------------------------------------------------------------------------- in process


def test_reported_errors_turns_a_wrapped_hydrareg_error_into_its_short_report():
    inner = UnknownTypeError("X is not in the mmdet::model registry", config_path="model.type")
    wrapper = RuntimeError("raised while resolving interpolation")
    wrapper.__cause__ = inner
    with pytest.raises(JobFailed) as info, reported_errors():
        raise wrapper
    assert (
        str(info.value)
        == "UnknownTypeError: X is not in the mmdet::model registry\n  config path: model.type"
    )
    assert info.value.__cause__ is wrapper


def test_other_errors_pass_through_unchanged(monkeypatch):
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    with pytest.raises(ZeroDivisionError), reported_errors():
        1 / 0  # noqa: B018
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    with pytest.raises(ConfigValueError), reported_errors():
        raise ConfigValueError("bad", config_path="a")


def test_a_build_note_makes_any_error_a_config_error_and_reports_are_capped():
    error = ValueError("\n".join(f"line {n}" for n in range(30)))
    assert config_error(error) is None
    error.add_note("while building Thing from config path model")
    assert config_error(error) is error
    lines = short_report(error).splitlines()
    assert len(lines) == 12 and lines[0] == "ValueError: line 0"
    assert lines[-1] == "  ... 20 more lines (HYDRA_FULL_ERROR=1 shows all)"


def test_job_failed_survives_pickling_for_process_launchers():
    import pickle

    failed = pickle.loads(pickle.dumps(JobFailed("UnknownTypeError: X\n  config path: a")))
    assert isinstance(failed, JobFailed) and str(failed) == "UnknownTypeError: X\n  config path: a"


def test_check_findings_follow_an_error_that_names_only_the_node_being_built():
    cfg = {"model": {"type": "mmcls.ResNet", "dpth": 18}, "other": {"type": "mmcls.ResNett"}}
    error = TypeError("raised inside a library's own code")
    note_config_path(error, "ResNet", "model")
    assert check_findings(error, cfg) == (  # below `model` only: `other` is not this error's business
        "\nhydrareg check finds below model:\n"
        "  model.dpth: mmcls.ResNet takes no argument 'dpth' (did you mean: depth?)\n"
        "  model: mmcls.ResNet needs depth, which the config does not give"
    )
    own_path = UnknownTypeError("X is not in the mmdet::model registry", config_path="model.type")
    assert check_findings(own_path, cfg) == ""  # it says where it is itself
    assert check_findings(error, None) == ""  # no config given
    assert check_findings(error, 42) == ""  # a check that fails never replaces the error
