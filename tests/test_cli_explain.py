"""`hydrareg explain`: the chain of files, lines, `_delete_`, interpolations and overrides behind a key."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_probe import make_probe_app
from conftest import REPO

from hydrareg.cli import main


@pytest.fixture
def probe(syspath: Path) -> Path:
    return make_probe_app(syspath)


def explain(capsys, *argv: str) -> str:
    status = main(["explain", *argv])
    out = capsys.readouterr()
    assert status == 0, out.err
    return out.out


def test_run_py_neck_in_channels_names_the_group_file_and_the_interpolation(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    out = explain(capsys, "run.py", "model.neck.in_channels", "model=retinanet", "backbone=mmcls_mobilenetv3")
    fpn_line = next(
        i
        for i, line in enumerate((REPO / "conf/neck/fpn.yaml").read_text().splitlines(), 1)
        if line.startswith("in_channels")
    )
    assert out.splitlines()[0] == "model.neck.in_channels = ${backbone_channels:model.backbone}"
    assert f"1. set in conf/neck/fpn.yaml:{fpn_line}" in out
    assert "neck/fpn, in the defaults list of model/retinanet" in out
    assert "interpolation: resolver backbone_channels(model.backbone)" in out
    assert "reads model.backbone = " in out
    assert "conf/backbone/mmcls_mobilenetv3.yaml" in out
    assert "chosen on the command line: backbone=mmcls_mobilenetv3" in out
    assert "value: [24, 48, 96]" in out  # MobileNetV3-small's channels at out_indices [3, 8, 11]


def test_a_reference_and_a_command_line_override(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    out = explain(
        capsys, "run.py", "model.bbox_head.in_channels", "model=retinanet", "model.neck.out_channels=64"
    )
    assert "interpolation: ${model.neck.out_channels}" in out
    assert "refers to model.neck.out_channels = 64, command-line override model.neck.out_channels=64" in out
    assert "value: 64" in out


def test_every_setter_in_merge_order_with_delete(probe, capsys, monkeypatch):
    monkeypatch.chdir(probe.parent)
    out = explain(capsys, str(probe), "thing.head.channels", "net=fresh", "--no-resolve")
    lines = out.splitlines()
    assert lines[0] == "thing.head.channels = [16]"
    assert (
        lines[1] == "  1. set in conf/net/large.yaml:7: [4, 8] (net/large, in the defaults list of net/fresh)"
    )
    assert lines[2].startswith("  2. replaced (_delete_: true) in conf/net/fresh.yaml:6")
    assert (
        lines[3]
        == "  3. set in conf/net/fresh.yaml:9: [16] (net/fresh, chosen on the command line: net=fresh)"
    )
    assert "value:" not in out


def test_a_type_names_its_class_file_registry_and_scope(probe, capsys, monkeypatch):
    monkeypatch.chdir(probe.parent)
    out = explain(capsys, str(probe), "thing.type", "net=wide")
    assert "type: probe_lib.registry.Wide" in out
    assert "defined in probe_lib/registry.py:" in out
    assert "found in extra::thing, looked up from probe::thing" in out
    assert "default scope: none" in out


def test_without_a_key_every_leaf_is_annotated(probe, capsys, monkeypatch):
    monkeypatch.chdir(probe.parent)
    out = explain(capsys, str(probe), "thing.depth=7")
    rows = {line.split(" = ")[0]: line for line in out.splitlines()}
    assert rows["thing.type"].endswith("# conf/net/small.yaml:2")
    assert rows["thing.depth"].endswith("# command line: thing.depth=7")
    assert rows["seed"].endswith("# conf/config.yaml:5")
    assert rows["thing.head.channels"].startswith("thing.head.channels = [1, 2]")


def test_an_unknown_key_or_a_config_that_does_not_compose_is_an_error(probe, capsys):
    assert main(["explain", str(probe), "thing.nothing"]) == 2
    assert "thing.nothing is not in the composed config" in capsys.readouterr().err
    assert main(["explain", str(probe), "thing.depth", "net=nosuch"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hydrareg explain: cannot compose the config: ") and "nosuch" in err


def test_run_py_explain_flag(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "run.py"),
            "--explain",
            "model.neck.out_channels",
            "model=retinanet",
            "--no-resolve",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("model.neck.out_channels = 128\n  1. set in ")
    assert "conf/neck/fpn.yaml:" in result.stdout
    assert not (tmp_path / "outputs").exists()
