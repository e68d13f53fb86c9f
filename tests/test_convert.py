"""``hydrareg convert`` end to end, one construct at a time: convert, compose with Hydra, compare.

Each expected dict is what ``mmengine.Config.fromfile`` makes of the config, written out by hand.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import assert_same, compose, read_yaml, write_tree
from patch_modes import PATCHES_ON

from hydrareg.cli import main as cli_main
from hydrareg.errors import ConversionError

MODEL = """
model = dict(
    type='FasterRCNN',
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='BN', requires_grad=True)),
    roi_head=dict(bbox_head=dict(num_classes=80, reg=[0.1, 0.1, 0.2, 0.2])))
"""
DATA = """
data_root = 'data/coco/'
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
]
train_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root, pipeline=train_pipeline))
"""
SCHEDULE = """
max_epochs = 12
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.02, momentum=0.9), clip_grad=None)
param_scheduler = [dict(type='MultiStepLR', milestones=[8, 11])]
"""
RUNTIME = """
default_scope = 'mmdet'
custom_imports = dict(imports=['mmdet.models'], allow_failed_imports=False)
log_level = 'INFO'
"""
BASES = {
    "_base_/models/faster.py": MODEL,
    "_base_/datasets/coco.py": DATA,
    "_base_/schedules/1x.py": SCHEDULE,
    "_base_/runtime.py": RUNTIME,
}
BASE_LIST = (
    "_base_ = ['../_base_/models/faster.py', '../_base_/datasets/coco.py',\n"
    "          '../_base_/schedules/1x.py', '../_base_/runtime.py']\n"
)
PIPELINE = [
    {"type": "LoadImageFromFile", "backend_args": None},
    {"type": "Resize", "scale": [1333, 800], "keep_ratio": True},
]
BASE_RESULT = {
    "model": {
        "type": "FasterRCNN",
        "backbone": {
            "type": "ResNet",
            "depth": 50,
            "norm_cfg": {"type": "BN", "requires_grad": True},
        },
        "roi_head": {"bbox_head": {"num_classes": 80, "reg": [0.1, 0.1, 0.2, 0.2]}},
    },
    "data_root": "data/coco/",
    "backend_args": None,
    "train_pipeline": PIPELINE,
    "train_dataloader": {
        "batch_size": 2,
        "dataset": {"data_root": "data/coco/", "pipeline": PIPELINE},
    },
    "max_epochs": 12,
    "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.02, "momentum": 0.9}, "clip_grad": None},
    "param_scheduler": [{"type": "MultiStepLR", "milestones": [8, 11]}],
    "default_scope": "mmdet",
    "custom_imports": {"imports": ["mmdet.models"], "allow_failed_imports": False},
    "log_level": "INFO",
}


def with_changes(**changes: object) -> dict:
    result = json.loads(json.dumps(BASE_RESULT))
    result.update(changes)
    return result


def test_bases_become_a_defaults_list_and_compose_to_mmengines_dict(converted, tmp_path: Path) -> None:
    compose_ = converted({**BASES, "faster_rcnn/plain.py": BASE_LIST})
    assert_same(compose_("faster_rcnn/plain"), BASE_RESULT)
    text = read_yaml(tmp_path / "out", "faster_rcnn/plain")
    document = yaml.safe_load(text)
    assert text.startswith("# @package _global_\n")
    assert document["defaults"] == [
        "/_base_/models/faster",
        "/_base_/datasets/coco",
        "/_base_/schedules/1x",
        "/_base_/runtime",
        "_self_",
    ]
    assert set(document) == {"defaults"}  # nothing of its own: the content stays in the bases
    for base in ("_base_/models/faster", "_base_/runtime"):
        assert (tmp_path / "out" / (base + ".yaml")).is_file()


def test_child_merges_dicts_and_replaces_lists_and_scalars(converted) -> None:
    child = BASE_LIST + textwrap.dedent(
        """
        model = dict(backbone=dict(depth=101), roi_head=dict(bbox_head=dict(reg=[1.0])))
        param_scheduler = [dict(type='LinearLR')]
        max_epochs = 24
        work_dir = None
        """
    )
    compose_ = converted({**BASES, "exp/child.py": child})
    expected = with_changes(param_scheduler=[{"type": "LinearLR"}], max_epochs=24, work_dir=None)
    expected["model"]["backbone"]["depth"] = 101
    expected["model"]["roi_head"]["bbox_head"]["reg"] = [1.0]
    assert_same(compose_("exp/child"), expected)


def test_chains_and_several_bases_in_one_directory(converted) -> None:
    files = {
        "exp/a.py": "x = dict(a=1, b=[1])\n",
        "exp/b.py": "_base_ = './a.py'\nx = dict(b=[2])\ny = 1\n",
        "exp/c.py": "_base_ = './b.py'\nx = dict(c=3)\n",
        "exp/d.py": "_base_ = ['./c.py', './e.py', './f.py']\nz = 3\n",
        "exp/e.py": "e = 'e'\n",
        "exp/f.py": "f = 'f'\n",
        "exp/empty.py": "",
        "exp/g.py": "_base_ = ['./empty.py', './h.py']\n",
        "exp/h.py": "_base_ = './empty.py'\nh = 1\n",
    }
    compose_ = converted(files)
    assert_same(compose_("exp/c"), {"x": {"a": 1, "b": [2], "c": 3}, "y": 1})
    assert_same(compose_("exp/d"), {"x": {"a": 1, "b": [2], "c": 3}, "y": 1, "e": "e", "f": "f", "z": 3})
    assert_same(compose_("exp/g"), {"h": 1})  # a diamond through a base with no keys


def test_delete_replaces_what_the_bases_give(converted, tmp_path: Path) -> None:
    child = BASE_LIST + textwrap.dedent(
        """
        model = dict(backbone=dict(_delete_=True, type='Swin', embed_dims=96))
        optim_wrapper = dict(_delete_=True, optimizer=dict(type='AdamW', lr=1e-4))
        train_dataloader = dict(dataset=dict(_delete_=False, data_root='x/'))
        """
    )
    compose_ = converted({**BASES, "exp/swin.py": child})
    expected = with_changes(optim_wrapper={"optimizer": {"type": "AdamW", "lr": 0.0001}})
    expected["model"]["backbone"] = {"type": "Swin", "embed_dims": 96}
    expected["train_dataloader"]["dataset"]["data_root"] = "x/"
    assert_same(compose_("exp/swin"), expected)
    document = yaml.safe_load(read_yaml(tmp_path / "out", "exp/swin"))
    assert document["model"]["backbone"]["_delete_"] is True
    assert next(iter(document["optim_wrapper"])) == "_delete_"


def test_a_leftover_delete_is_dropped(convert) -> None:
    report, out = convert({"a.py": "opt = dict(_delete_=True, grad_clip=None)\n"})
    assert not report.failed
    assert_same(compose(out, "a"), {"opt": {"grad_clip": None}})  # MMEngine would keep _delete_
    assert any("MMEngine leaves _delete_" in note for note in report.notes)


@pytest.mark.parametrize("form", ["{{_base_.train_pipeline}}", "_base_.train_pipeline"])
def test_references_keep_the_value_bound_when_read(converted, tmp_path: Path, form: str) -> None:
    files = {
        **BASES,
        "exp/ref.py": BASE_LIST
        + f"test_pipeline = {form}\n"
        + f"val = dict(pipeline={form}, depth=_base_.model.backbone.depth + 1)\n",
        "exp/rebound.py": "_base_ = './ref.py'\ntrain_pipeline = [dict(type='Other')]\n",
    }
    compose_ = converted(files)
    ref = with_changes(test_pipeline=PIPELINE, val={"pipeline": PIPELINE, "depth": 51})
    assert_same(compose_("exp/ref"), ref)
    # MMEngine bound test_pipeline when ref.py was read: a child's train_pipeline does not reach it
    rebound = json.loads(json.dumps(ref))
    rebound["train_pipeline"] = [{"type": "Other"}]
    assert_same(compose_("exp/rebound"), rebound)


def test_interpolations_where_the_meaning_is_the_same(converted, tmp_path: Path) -> None:
    files = {
        "base.py": "lr = 0.1\nopt = dict(lr=lr)\nsched = dict(lr=lr)\n",
        "kept.py": "_base_ = './base.py'\nextra = dict(lr=_base_.lr)\n",
        "changed.py": "_base_ = './base.py'\nlr = 0.5\nopt = dict(lr=lr)\n",
    }
    compose_ = converted(files)
    assert_same(
        compose_("kept"),
        {"lr": 0.1, "opt": {"lr": 0.1}, "sched": {"lr": 0.1}, "extra": {"lr": 0.1}},
    )
    assert_same(compose_("changed"), {"lr": 0.5, "opt": {"lr": 0.5}, "sched": {"lr": 0.1}})
    base = yaml.safe_load(read_yaml(tmp_path / "out", "base"))
    kept = yaml.safe_load(read_yaml(tmp_path / "out", "kept"))
    changed = yaml.safe_load(read_yaml(tmp_path / "out", "changed"))
    # sched.lr stays 0.1 in changed.py, so base.py writes the value; opt.lr is rewritten anyway
    assert base["sched"]["lr"] == 0.1 and base["opt"]["lr"] == "${lr}"
    assert kept["extra"]["lr"] == "${lr}" and changed["opt"]["lr"] == "${lr}"
    # an override on the command line follows the interpolation, as in any Hydra config
    assert compose_("kept", ["lr=0.3"])["extra"] == {"lr": 0.3}


def test_edits_of_the_bases_are_written_out(converted, tmp_path: Path) -> None:
    child = BASE_LIST + textwrap.dedent(
        """
        detector = _base_.model
        detector.pop('roi_head')
        detector.backbone.update(dict(depth=18))
        _base_.train_pipeline[1].scale = (640, 640)
        _base_.pop('log_level')
        del _base_.model
        model = dict(type='Tracker', detector=detector)
        del detector
        """
    )
    compose_ = converted({**BASES, "exp/track.py": child})
    expected = with_changes()
    expected.pop("log_level")
    expected["train_pipeline"] = [PIPELINE[0], {**PIPELINE[1], "scale": [640, 640]}]
    backbone = {"type": "ResNet", "depth": 18, "norm_cfg": {"type": "BN", "requires_grad": True}}
    expected["model"] = {
        "type": "Tracker",
        "detector": {"type": "FasterRCNN", "backbone": backbone},
    }
    assert_same(compose_("exp/track"), expected)
    document = yaml.safe_load(read_yaml(tmp_path / "out", "exp/track"))
    # runtime.py defines log_level, which this config removes: its content is written here instead
    assert "/_base_/runtime" not in document["defaults"] and "/_base_/models/faster" in document["defaults"]
    assert document["model"]["_delete_"] is True


def test_python_expressions_are_evaluated_when_converting(converted) -> None:
    files = {
        "a.py": """
            depths = [2, 2, 6, 2]
            custom_keys = {'backbone': dict(lr_mult=0.1)}
            custom_keys.update({
                f'backbone.stages.{i}.blocks.{j}.norm': dict(decay_mult=0.0)
                for i, n in enumerate(depths) for j in range(n) if j < 1})
            img_scale = (640, 640)
            border = (-img_scale[0] // 2, -img_scale[1] // 2)
            scales = [(x, 1333) for x in range(480, 800 + 1, 160)]
            lr = 0.01 * 4 / 8
            name = 'r' + str(50) + ('-dcn' if lr < 1 else '')
            """,
    }
    expected = {
        "depths": [2, 2, 6, 2],
        "custom_keys": {
            "backbone": {"lr_mult": 0.1},
            **{f"backbone.stages.{i}.blocks.0.norm": {"decay_mult": 0.0} for i in range(4)},
        },
        "img_scale": [640, 640],
        "border": [-320, -320],
        "scales": [[480, 1333], [640, 1333], [800, 1333]],
        "lr": 0.005,
        "name": "r50-dcn",
    }
    assert_same(converted(files)("a"), expected)


def test_package_bases_scope_and_location(converted, tmp_path: Path) -> None:
    files = {
        "ext/configs/_base_/runtime.py": ("default_scope = 'ext'\nhooks = dict(timer=dict(type='Timer'))\n"),
        "ext/configs/_base_/data.py": "_base_ = './runtime.py'\npipeline = [dict(type='Load')]\n",
        "mine/cls.py": "_base_ = ['ext::_base_/data.py']\nmodel = dict(type='mine.Net')\n",
    }
    write_tree(tmp_path / "pkg", {k: v for k, v in files.items() if k.startswith("ext/")})
    compose_ = converted(
        {k[len("mine/") :]: v for k, v in files.items() if k.startswith("mine/")},
        package_roots={"ext": str(tmp_path / "pkg/ext/configs")},
    )
    expected = {
        "default_scope": "ext",
        "hooks": {"timer": {"type": "Timer", "_scope_": "ext"}},
        "pipeline": [{"type": "Load", "_scope_": "ext"}],
        "model": {"type": "mine.Net"},
    }
    assert_same(compose_("cls"), expected)
    assert yaml.safe_load(read_yaml(tmp_path / "out", "cls"))["defaults"] == [
        "/ext/_base_/data",
        "_self_",
    ]
    assert (tmp_path / "out/ext/_base_/runtime.yaml").is_file()


def test_integer_keys_types_and_special_strings(converted, tmp_path: Path) -> None:
    files = {
        "a.py": r"""
            palette = {0: (220, 20, 60), 1: (119, 11, 32)}
            names = {'1': 'one', 'true': 'yes', 'null': None}
            values = [1, 1.0, True, None, '1', '1.0', 'true', '1e-4', 1e-4, float('inf'), '',
                      'yes', '0o7']
            interp = '${not.an.interpolation}'
            escaped = 'a\\${x}'
            missing = '???'
            multi = 'two\nlines'
            url = 'http://a.b/c:d#e'
            """,
    }
    expected = {
        "palette": {0: [220, 20, 60], 1: [119, 11, 32]},
        "names": {"1": "one", "true": "yes", "null": None},
        "values": [
            1,
            1.0,
            True,
            None,
            "1",
            "1.0",
            "true",
            "1e-4",
            0.0001,
            float("inf"),
            "",
            "yes",
            "0o7",
        ],
        "interp": "${not.an.interpolation}",
        "escaped": "a\\${x}",
        "missing": "???",
        "multi": "two\nlines",
        "url": "http://a.b/c:d#e",
    }
    assert_same(converted(files)("a"), expected)


def test_predefined_variables(converted, tmp_path: Path) -> None:
    files = {
        "exp/a.py": ("work_dir = './work_dirs/{{ fileBasenameNoExtension }}'\nroot = '{{ fileDirname }}/'\n")
    }
    result = converted(files)("exp/a")
    assert_same(result, {"work_dir": "./work_dirs/a", "root": f"{(tmp_path / 'configs/exp').as_posix()}/"})


def test_comments_and_source_order_are_kept(convert) -> None:
    _report, out = convert(
        {
            "a.py": """
                # model settings
                model = dict(
                    type='Net',  # the detector
                    # backbone settings
                    backbone=dict(depth=50))
                zeta = 1
                alpha = 2
                """,
        }
    )
    text = read_yaml(out, "a")
    assert "# model settings\nmodel:\n  type: Net  # the detector\n  # backbone settings\n  backbone:" in text
    assert text.index("zeta:") < text.index("alpha:")


def test_failures_are_reported_and_the_rest_converts(convert, capsys) -> None:
    report, out = convert(
        {
            "good.py": "x = 1\n",
            "bad/import.py": "y = 1\nimport os\n",
            "bad/child.py": "_base_ = './import.py'\n",
            "bad/lambda.py": "z = dict(fn=lambda x: x)\n",
            "bad/reserved.py": "defaults = [1]\n",
        }
    )
    assert (out / "good.yaml").is_file() and not (out / "bad").exists()
    failed = {Path(path).name: error for path, error in report.failed.items()}
    assert set(failed) == {"import.py", "child.py", "lambda.py", "reserved.py"}
    assert all(isinstance(e, ConversionError) for e in failed.values())
    assert failed["import.py"].line == 2 and "import of 'os'" in str(failed["import.py"])
    assert failed["child.py"].line == 1 and "import.py" in str(failed["child.py"])
    assert failed["lambda.py"].line == 1 and "at z.fn: YAML cannot express it" in str(failed["lambda.py"])
    assert failed["reserved.py"].line == 1 and "'defaults' is reserved by Hydra" in str(failed["reserved.py"])


def test_files_hydra_cannot_name(tmp_path: Path) -> None:
    from hydrareg.convert import convert_tree

    write_tree(
        tmp_path, {"outside.py": "x = 1\n", "src/a.py": "_base_ = '../outside.py'\n", "src/b@c.py": ""}
    )
    report = convert_tree(str(tmp_path / "src"), str(tmp_path / "out"), root=str(tmp_path / "src"))
    failed = {Path(path).name: error for path, error in report.failed.items()}
    assert isinstance(failed["outside.py"], ConversionError)
    assert f"lies outside the converted directory ({tmp_path / 'src'})" in str(failed["outside.py"])
    assert failed["a.py"].line == 1 and "base '../outside.py' cannot be converted" in str(failed["a.py"])
    assert "a Hydra config name cannot contain '@'" in str(failed["b@c.py"])


def test_cli_exit_status_and_summary(tmp_path: Path, capsys) -> None:
    src = write_tree(tmp_path / "src", {"a.py": "x = 1\n", "b.py": "x = (\n"})
    assert cli_main(["convert", str(src), str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert "1 of 2 configs converted, 1 failed" in captured.out
    assert f"{src / 'b.py'}:1: syntax error" in captured.err
    assert cli_main(["convert", str(tmp_path / "src/a.py"), str(tmp_path / "one")]) == 0
    assert (tmp_path / "one/a.yaml").is_file()
    assert f"--config-dir {tmp_path / 'one'} --config-name a" in capsys.readouterr().out
    assert cli_main(["convert", str(tmp_path / "nothing"), str(tmp_path / "o")]) == 2
    with pytest.raises(SystemExit) as info:
        cli_main(["convert", str(src), str(tmp_path / "o"), "--package-root", "no-equals-sign"])
    assert info.value.code == 2


def test_a_subdirectory_pulls_its_bases_from_the_enclosing_tree(tmp_path: Path, capsys) -> None:
    src = write_tree(
        tmp_path / "configs",
        {**BASES, "faster_rcnn/x.py": BASE_LIST + "max_epochs = 1\n", "faster_rcnn/y.py": BASE_LIST},
    )
    assert cli_main(["convert", str(src / "faster_rcnn"), str(tmp_path / "out"), "-q"]) == 0
    out = capsys.readouterr().out
    assert f"bases outside {src / 'faster_rcnn'} come from the enclosing tree {src}" in out
    assert "6 of 6 configs converted, 0 failed" in out  # the two configs and their four bases
    assert_same(compose(tmp_path / "out", "faster_rcnn/x"), with_changes(max_epochs=1))
    assert_same(compose(tmp_path / "out", "faster_rcnn/y"), BASE_RESULT)


def test_root_names_the_tree_and_must_contain_the_source(tmp_path: Path, capsys) -> None:
    src = write_tree(tmp_path / "configs", {**BASES, "faster_rcnn/x.py": BASE_LIST})
    assert (
        cli_main(["convert", str(src / "faster_rcnn"), str(tmp_path / "out"), "--root", str(tmp_path)]) == 0
    )
    assert_same(compose(tmp_path / "out", "configs/faster_rcnn/x"), BASE_RESULT)
    assert cli_main(["convert", str(src), str(tmp_path / "o2"), "--root", str(src / "faster_rcnn")]) == 2
    assert f"--root {src / 'faster_rcnn'} does not contain {src}" in capsys.readouterr().err


def test_an_empty_source_is_an_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "notes.txt").write_text("not a config\n")
    assert cli_main(["convert", str(tmp_path / "empty"), str(tmp_path / "out")]) == 2
    assert (
        f"hydrareg convert: no .py configs in {tmp_path / 'empty'}: nothing to convert"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "out").exists()


def test_single_file_keeps_the_tree_layout(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "configs", {**BASES, "faster_rcnn/x.py": BASE_LIST + "max_epochs = 1\n"})
    assert cli_main(["convert", str(src / "faster_rcnn/x.py"), str(tmp_path / "out"), "-q"]) == 0
    assert_same(compose(tmp_path / "out", "faster_rcnn/x"), with_changes(max_epochs=1))
    assert not (tmp_path / "out/faster_rcnn/other.yaml").exists()


def test_a_hydra_app_runs_a_converted_config_with_overrides(converted, tmp_path: Path) -> None:
    child = BASE_LIST + "model = dict(backbone=dict(_delete_=True, type='Swin'))\n"
    converted({**BASES, "exp/swin.py": child})
    app = tmp_path / "run.py"
    app.write_text(
        textwrap.dedent(
            """
            import json
            import hydra
            from omegaconf import OmegaConf

            @hydra.main(config_path=None, version_base="1.3")
            def main(cfg):
                print(json.dumps(OmegaConf.to_container(cfg, resolve=True)))

            main()
            """
        )
    )
    command = [
        sys.executable,
        str(app),
        "--config-dir",
        str(tmp_path / "out"),
        "--config-name",
        "exp/swin",
    ]
    overrides = [
        "+model.backbone.depths=[2,2,6,2]",  # a new key: Hydra wants the +
        "train_dataloader.batch_size=8",
        "hydra.run.dir=" + str(tmp_path / "run"),
    ]
    done = subprocess.run(command + overrides, capture_output=True, text=True, check=True, cwd=tmp_path)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not PATCHES_ON:  # HYDRAREG_PATCHES=0: plain Hydra merged, and the marker shows it
        assert result["model"]["backbone"]["_delete_"] is True
        result["model"]["backbone"] = {k: result["model"]["backbone"][k] for k in ("type", "depths")}
    assert result["model"]["backbone"] == {"type": "Swin", "depths": [2, 2, 6, 2]}
    assert result["train_dataloader"]["batch_size"] == 8


def test_a_terminal_sees_progress_and_a_pipe_does_not(tmp_path: Path, monkeypatch) -> None:
    import io

    from hydrareg.convert import convert_tree

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    src = write_tree(tmp_path / "configs", {**BASES, "faster_rcnn/x.py": BASE_LIST})
    for stream, expected in ((Terminal(), True), (io.StringIO(), False)):
        monkeypatch.setattr(sys, "stderr", stream)
        convert_tree(str(src / "faster_rcnn"), str(tmp_path / "out"), progress=True)
        drawn = stream.getvalue()
        assert ("reading:" in drawn and "converting:" in drawn and "/5 " in drawn) is expected, drawn
