"""`hydrareg check`: every job of a sweep composed and checked against registries and signatures,
nothing built; all problems reported once each, with path, file and line, registry, jobs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_probe import make_probe_app
from conftest import REPO
from omegaconf import OmegaConf
from patch_modes import PATCHES_ON

from hydrareg.cli import main
from hydrareg.commands.app import BuildSpec
from hydrareg.commands.checker import check_config


@pytest.fixture
def probe(syspath: Path) -> Path:
    return make_probe_app(syspath)


def check_json(capsys, *argv: str) -> tuple[int, dict]:
    status = main(["check", *argv, "--json"])
    return status, json.loads(capsys.readouterr().out)


def built(syspath: Path) -> list:
    return sys.modules["probe_lib.registry"].BUILT


def test_a_clean_sweep_passes_and_builds_nothing(probe, capsys, syspath):
    status = main(["check", str(probe), "-m", "net=small,large,wide", "seed=1,2"])
    out = capsys.readouterr().out
    assert status == 0
    assert "6 jobs checked: no problems" in out
    assert built(syspath) == []


def test_a_misspelt_argument_in_one_group_option_is_reported_once_with_file_and_line(syspath, capsys):
    large = "conf/net/large.yaml"
    app = make_probe_app(syspath, **{large: "# @package thing\ntype: Net\ndepth: 50\nwidht: 2.0\n"})
    status, report = check_json(capsys, str(app), "-m", "net=small,large", "seed=1,2")
    assert status == 1 and report["jobs"] == 4
    [problem] = report["problems"]
    assert problem["kind"] == "unknown-argument"
    assert problem["path"] == "thing.widht"
    assert problem["hint"] == "did you mean: width?"
    assert Path(problem["file"]).resolve() == (syspath / large).resolve() and problem["line"] == 4
    assert problem["registry"] == "found in probe::thing"
    assert problem["jobs"] == [["net=large", "seed=1"], ["net=large", "seed=2"]]
    assert built(syspath) == []


def test_terminal_report_names_path_suggestion_origin_registry_and_jobs(syspath, capsys):
    app = make_probe_app(syspath, **{"conf/net/small.yaml": "# @package thing\ntype: Nett\ndepth: 2\n"})
    assert main(["check", str(app), "-m", "net=small,large"]) == 1
    out = capsys.readouterr().out
    assert "thing.type: Nett is not in the probe::thing registry" in out
    assert "did you mean: probe.Net?" in out
    assert "net/small.yaml:2" in out
    assert "probe::thing" in out
    assert "jobs 1/2:" in out and "net=small" in out
    assert "1 problem in 2 jobs" in out


def test_every_kind_of_problem_is_reported_at_once(probe, capsys, syspath):
    status, report = check_json(
        capsys,
        str(probe),
        "thing.depth=deep",  # not an int
        "+thing.mode=c",  # not one of the Literal's values
        "thing.head.type=Hed",  # unknown type
        "+thing._scope_=nowhere",  # unknown scope
        "+thing.width=${missing.key}",  # a reference to nothing
    )
    assert status == 1
    found = {(p["kind"], p["path"]) for p in report["problems"]}
    assert found == {
        ("wrong-type", "thing.depth"),
        ("wrong-type", "thing.mode"),
        ("unknown-type", "thing.head.type"),
        ("scope", "thing._scope_"),
        ("reference", "thing.width"),
    }
    by_path = {p["path"]: p for p in report["problems"]}
    assert by_path["thing.depth"]["origin"] == "thing.depth=deep"  # set on the command line
    assert by_path["thing.head.type"]["hint"] == "did you mean: probe.Head?"
    assert built(syspath) == []


def test_custom_imports_are_imported_and_a_failing_one_is_a_problem(probe, capsys, syspath):
    status, report = check_json(capsys, str(probe), "thing.head.type=Extra")
    assert status == 1 and [p["kind"] for p in report["problems"]] == ["unknown-type"]
    imports = "+custom_imports=${custom_imports:probe_lib.extras}"
    status, report = check_json(capsys, str(probe), "thing.head.type=Extra", imports)
    assert (status, report["problems"]) == (0, [])
    status, report = check_json(capsys, str(probe), "+custom_imports=${custom_imports:probe_lib.nothing}")
    assert status == 1
    [problem] = report["problems"]
    assert problem["kind"] == "import" and problem["path"] == "custom_imports"
    assert "probe_lib.nothing" in problem["message"]
    assert problem["origin"] == "+custom_imports=${custom_imports:probe_lib.nothing}"
    assert built(syspath) == []


def test_missing_required_arguments_except_those_the_app_passes(probe, capsys):
    status, report = check_json(capsys, str(probe), "~thing.depth")
    assert status == 1
    [problem] = report["problems"]
    assert problem["kind"] == "missing-argument" and problem["path"] == "thing"
    assert "depth" in problem["message"] and "context" not in problem["message"]


def test_kwargs_accept_any_argument_and_scoped_prefixes_resolve(probe, capsys):
    status, report = check_json(capsys, str(probe), "net=wide", "+thing.whatever=1")
    assert (status, report["problems"]) == (0, [])


def test_a_job_that_does_not_compose_is_a_problem_of_that_job(probe, capsys):
    status, report = check_json(capsys, str(probe), "-m", "net=small,nosuch")
    assert status == 1
    [problem] = report["problems"]
    assert problem["kind"] == "compose" and "nosuch" in problem["message"]
    assert problem["jobs"] == [["net=nosuch"]]


def test_without_the_app_the_options_say_the_same(probe, capsys):
    argv = ["--config-dir", str(probe.parent / "conf"), "--config-name", "config"]
    status, report = check_json(capsys, *argv)  # `thing` is then looked up as a model
    assert status == 1
    problems = {p["path"]: p for p in report["problems"]}
    assert sorted(problems) == ["thing.head.type", "thing.type"]
    assert (
        "no registry is declared for 'thing': pass --registry thing=module:ATTR"
        in problems["thing.type"]["hint"]
    )
    status, report = check_json(capsys, *argv, "--registry", "thing=probe_lib.registry:THINGS")
    assert status == 1  # the app passes `context` itself, but nobody said so
    assert [p["message"] for p in report["problems"]] == [
        "probe.Net needs context, which the config does not give"
    ]
    status, report = check_json(
        capsys, *argv, "--registry", "thing=probe_lib.registry:THINGS", "--runtime-args", "thing=context"
    )
    assert (status, report["problems"]) == (0, [])


def test_hydra_sweeper_params_in_the_config_are_swept_as_the_basic_sweeper_does(syspath, capsys):
    config = (
        "defaults:\n  - net: small\n  - _self_\nseed: 0\nhydra:\n  sweeper:\n    params:\n      seed: 1,2,3\n"
    )
    app = make_probe_app(syspath, **{"conf/config.yaml": config})
    status, report = check_json(capsys, str(app), "-m", "net=small,large")
    assert status == 0 and report["jobs"] == 6
    status, report = check_json(capsys, str(app), "-m", "seed=7")  # the command line wins
    assert status == 0 and report["jobs"] == 1


def test_bad_usage_exits_2_with_a_message(capsys, tmp_path):
    assert main(["check", "model=x"]) == 2
    assert "--config-dir" in capsys.readouterr().err


@pytest.mark.parametrize("as_dictconfig", [False, True])
def test_check_config_takes_a_dict_or_a_dictconfig_and_leaves_it_alone(probe, as_dictconfig):
    cfg = {"thing": {"type": "Net", "depth": "x", "head": {"type": "Head", "chanels": [1]}}}
    given = OmegaConf.create(cfg) if as_dictconfig else cfg
    before = OmegaConf.to_container(given) if as_dictconfig else json.loads(json.dumps(cfg))
    problems = check_config(given, {"thing": BuildSpec("probe_lib.registry:THINGS", ("context",))})
    assert {(p.kind, p.path) for p in problems} == {
        ("wrong-type", "thing.depth"),
        ("unknown-argument", "thing.head.chanels"),
        ("missing-argument", "thing.head"),  # channels
    }
    assert (OmegaConf.to_container(given) if as_dictconfig else given) == before


# -- run.py ----------------------------------------------------------------------------------------


def run_cli(cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_run_py_sweep_with_a_misspelt_backbone_argument(tmp_path):
    conf = tmp_path / "conf"
    shutil.copytree(REPO / "conf", conf)
    option = conf / "backbone" / "mmcls_mobilenetv3.yaml"
    lines = option.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("out_indices:"))
    lines[index] = lines[index].replace("out_indices", "out_indice")
    option.write_text("\n".join(lines) + "\n")
    result = run_cli(
        tmp_path,
        sys.executable,
        "-m",
        "hydrareg.cli",
        "check",
        str(REPO / "run.py"),
        "--config-dir",
        str(conf),
        "-m",
        "model=retinanet",
        "backbone=mmcls_resnet18,mmcls_mobilenetv3",
        "--json",
    )
    assert result.returncode == 1, result.stderr
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["path"] == "model.backbone.out_indice"
    assert problem["hint"] == "did you mean: out_indices?"
    assert problem["origin"] == f"conf/backbone/mmcls_mobilenetv3.yaml:{index + 1}"
    assert problem["jobs"] == [["model=retinanet", "backbone=mmcls_mobilenetv3"]]
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "multirun").exists()


def test_run_py_check_flag_on_a_clean_sweep_exits_0_and_runs_nothing(tmp_path):
    tasks = ["summary", "train", "track", "pipeline"]  # every task but mmengine (its own test) ...
    if PATCHES_ON:  # ... and train_det, whose Mosaic dataset needs _delete_ (refused with the patches off)
        tasks.append("train_det")
    result = run_cli(
        tmp_path,
        sys.executable,
        str(REPO / "run.py"),
        "--check",
        "-m",
        f"task={','.join(tasks)}",
        "backbone=mmcls_resnet18,mmcls_mobilenetv3,mmcls_convnext",
        "model=retinanet,yolox",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(tasks) * 6} jobs checked: no problems" in result.stdout
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "multirun").exists()


def test_checking_run_py_constructs_no_torch_module(monkeypatch, capsys):
    torch = pytest.importorskip("torch")
    constructed = []
    original = torch.nn.Module.__init__

    def recording_init(self, *args, **kwargs):
        constructed.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "__init__", recording_init)
    status = main(
        ["check", str(REPO / "run.py"), "-m", "model=retinanet,yolox", "backbone=mmcls_mobilenetv3"]
    )
    assert status == 0, capsys.readouterr().out
    assert constructed == []


def test_a_hundred_job_sweep_of_run_py(capsys):
    status = main(["check", str(REPO / "run.py"), "-m", "task=train", "optim.lr=range(1,101)"])
    assert status == 0
    assert "100 jobs checked: no problems" in capsys.readouterr().out
