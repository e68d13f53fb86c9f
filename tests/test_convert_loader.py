"""Reading config files as MMEngine does: bases, merge rules, references, edits, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_same, write_tree

from hydrareg.convert.attrdict import plain
from hydrareg.convert.loader import Loader
from hydrareg.errors import ConversionError


def load(tmp_path: Path, files: dict[str, str], name: str, **options: object):
    write_tree(tmp_path, files)
    return Loader(**options).load(str(tmp_path / name))  # type: ignore[arg-type]


BASES = {
    "base/model.py": """
        model = dict(type='Det', backbone=dict(type='ResNet', depth=50, norm=dict(type='BN')),
                     head=dict(num_classes=80, sizes=[8, 16]))
        """,
    "base/data.py": """
        root = 'data/'
        pipeline = [dict(type='Load'), dict(type='Resize', scale=(1333, 800))]
        loader = dict(batch_size=2, dataset=dict(root=root, pipeline=pipeline))
        """,
}


def test_merge_rules(tmp_path: Path) -> None:
    files = {
        **BASES,
        "exp/a.py": """
            _base_ = ['../base/model.py', '../base/data.py']
            model = dict(backbone=dict(depth=101, norm=dict(_delete_=True, type='GN', groups=32)),
                         head=dict(sizes=[4]))
            pipeline = [dict(type='Load')]
            lr = 0.01
            """,
    }
    loaded = load(tmp_path, files, "exp/a.py")
    assert_same(
        plain(loaded.result),
        {
            "model": {
                "type": "Det",
                "backbone": {"type": "ResNet", "depth": 101, "norm": {"type": "GN", "groups": 32}},
                "head": {"num_classes": 80, "sizes": [4]},
            },
            "root": "data/",
            "pipeline": [{"type": "Load"}],
            "loader": {
                "batch_size": 2,
                "dataset": {
                    "root": "data/",
                    "pipeline": [{"type": "Load"}, {"type": "Resize", "scale": [1333, 800]}],
                },
            },
            "lr": 0.01,
        },
    )
    assert list(loaded.result) == [
        "model",
        "root",
        "pipeline",
        "loader",
        "lr",
    ]  # bases first, then new keys
    assert loaded.own["model"]["backbone"]["norm"]["_delete_"] is True  # the writer still sees the source
    assert [b.ref for b in loaded.bases] == ["../base/model.py", "../base/data.py"]


def test_references_bind_when_the_file_is_read(tmp_path: Path) -> None:
    files = {
        **BASES,
        "exp/b.py": """
            _base_ = '../base/data.py'
            root = 'other/'
            copy1 = {{_base_.root}}
            copy2 = _base_.loader.dataset
            depth_plus = _base_.loader.batch_size * 2
            """,
    }
    loaded = load(tmp_path, files, "exp/b.py")
    assert loaded.result["copy1"] == "data/" and loaded.result["root"] == "other/"
    assert loaded.result["copy2"]["root"] == "data/" and loaded.result["depth_plus"] == 4
    assert loaded.references[("copy1",)] == ("root",)
    assert loaded.references[("copy2",)] == ("loader", "dataset")
    assert ("depth_plus",) not in loaded.references


def test_edits_of_the_bases(tmp_path: Path) -> None:
    files = {
        **BASES,
        "exp/c.py": """
            _base_ = ['../base/model.py', '../base/data.py']
            detector = _base_.model
            detector.pop('head')
            detector.backbone.update(dict(norm=dict(eps=0.1)))
            _base_.pipeline[1].scale = (640, 640)
            _base_.pop('root')
            del _base_.model
            model = dict(type='Tracker', detector=detector)
            del detector
            """,
    }
    result = plain(load(tmp_path, files, "exp/c.py").result)
    assert "root" not in result and "detector" not in result
    assert_same(
        result["model"],
        {
            "type": "Tracker",
            "detector": {
                "type": "Det",
                "backbone": {"type": "ResNet", "depth": 50, "norm": {"type": "BN", "eps": 0.1}},
            },
        },
    )
    assert result["pipeline"][1] == {"type": "Resize", "scale": (640, 640)}
    assert result["loader"]["dataset"]["pipeline"][1]["scale"] == (1333, 800)  # bound when read


def test_leftover_delete_and_predefined_variables(tmp_path: Path) -> None:
    files = {
        "a.py": """
            opt = dict(_delete_=True, grad_clip=None)
            work_dir = './work_dirs/{{ fileBasenameNoExtension }}'
            here = '{{fileDirname}}/x{{ fileExtname }}'
            """,
    }
    result = load(tmp_path, files, "a.py").result
    assert result["opt"] == {"_delete_": True, "grad_clip": None}  # MMEngine keeps it: no base key
    assert result["work_dir"] == "./work_dirs/a"
    assert result["here"] == f"{tmp_path.as_posix()}/x.py"


def test_environment_variables_bind_when_converting(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HYDRAREG_TEST_ROOT", "/data/set")
    monkeypatch.delenv("HYDRAREG_TEST_UNSET", raising=False)
    files = {"a.py": "root = '{{$HYDRAREG_TEST_ROOT:/x}}/'\nn = {{'$HYDRAREG_TEST_UNSET:80'}}\n"}
    loaded = load(tmp_path, files, "a.py")
    assert loaded.result == {"root": "/data/set/", "n": 80}
    assert any("HYDRAREG_TEST_ROOT" in note and "environment" in note for note in loaded.notes)
    files = {"b.py": "root = '{{$HYDRAREG_TEST_UNSET:}}'\n"}
    with pytest.raises(ConversionError, match=r"b\.py:1: `HYDRAREG_TEST_UNSET` cannot be found"):
        load(tmp_path, files, "b.py")


def test_package_bases_get_a_scope(tmp_path: Path) -> None:
    files = {
        "ext/configs/_base_/rt.py": """
            default_scope = 'ext'
            hooks = dict(timer=dict(type='Timer'), log=dict(type='Log', _scope_='keep'))
            pipeline = [dict(type='Load', sub=dict(type='X'))]
            plain = dict(a=1)
            """,
        "mine/exp.py": """
            _base_ = 'ext::_base_/rt.py'
            """,
    }
    loaded = load(tmp_path, files, "mine/exp.py", package_roots={"ext": str(tmp_path / "ext/configs")})
    assert_same(
        plain(loaded.result),
        {
            "default_scope": "ext",
            "hooks": {
                "timer": {"type": "Timer", "_scope_": "ext"},
                "log": {"type": "Log", "_scope_": "keep"},
            },
            "pipeline": [{"type": "Load", "sub": {"type": "X"}, "_scope_": "ext"}],
            "plain": {"a": 1},
        },
    )
    assert loaded.bases[0].scope == "ext"


def test_package_next_to_an_installed_tree(tmp_path: Path) -> None:
    files = {
        "site/other/.mim/configs/b.py": "x = dict(type='T')\n",
        "site/mine/.mim/configs/a.py": "_base_ = ['other::b.py']\n",
    }
    loaded = load(tmp_path, files, "site/mine/.mim/configs/a.py")
    assert plain(loaded.result) == {"x": {"type": "T", "_scope_": "other"}}


@pytest.mark.parametrize(
    ("files", "line", "words"),
    [
        ({"a.py": "x = 1\ny = (\n"}, 2, "syntax error: '(' was never closed"),
        ({"a.py": "_base_ = ['nope.py']\n"}, 1, "no such file"),
        (
            {
                "a.py": "# two bases\n_base_ = ['b.py', 'c.py']\n",
                "b.py": "x = 1\n",
                "c.py": "x = 2\n",
            },
            2,
            "duplicate key",
        ),
        (
            {"a.py": "_base_ = 'b.py'\nx = dict(y=1)\n", "b.py": "x = 3\n"},
            2,
            "cannot inherit from base",
        ),
        (
            {"a.py": "_base_ = 'b.py'\ny = {{_base_.nope}}\n", "b.py": "x = 3\n"},
            2,
            "the bases define no 'nope'",
        ),
        (
            {"a.py": "_base_ = 'b.py'\ny = '{{_base_.x}}' + 'c'\n", "b.py": "x = 'a'\n"},
            2,
            "inside an expression",
        ),
        ({"a.py": "_base_ = 'pkg::b.py'\n"}, 1, "cannot find the configs of package 'pkg'"),
        ({"a.py": "_base_ = [1]\n"}, 1, "must be file paths"),
        ({"a.py": "_base_ = '::b.py'\n"}, 1, "bad package base '::b.py'"),
        ({"a.py": "x = 1\n_base_ = 'b.txt'\n", "b.txt": "x\n"}, 2, "only .py, .yaml, .yml and .json"),
        ({"a.py": "_base_ = 'b.yaml'\n", "b.yaml": "x: [\n"}, 1, "cannot parse"),
        ({"a.py": "_base_ = 'b.yaml'\n", "b.yaml": "- 1\n"}, 1, "does not hold a mapping"),
    ],
)
def test_errors_name_the_file_and_line(tmp_path: Path, files: dict[str, str], line: int, words: str) -> None:
    with pytest.raises(ConversionError) as info:
        load(tmp_path, files, "a.py")
    assert info.value.file == str(tmp_path / "a.py") and info.value.line == line
    assert words in str(info.value) and str(info.value).startswith(f"{tmp_path / 'a.py'}:{line}: ")


def test_a_broken_base_is_named_by_its_child(tmp_path: Path) -> None:
    files = {"a.py": "_base_ = 'b.py'\n", "b.py": "import os\n"}
    with pytest.raises(ConversionError) as info:
        load(tmp_path, files, "a.py")
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'a.py'}:1: base 'b.py' cannot be read: ")
    assert f"{tmp_path / 'b.py'}:1: import of 'os'" in message


def test_circular_bases(tmp_path: Path) -> None:
    files = {"a.py": "_base_ = 'b.py'\n", "b.py": "_base_ = 'a.py'\n"}
    with pytest.raises(ConversionError, match=r"circular _base_ chain: a\.py -> b\.py -> a\.py"):
        load(tmp_path, files, "a.py")


def test_yaml_and_json_bases(tmp_path: Path) -> None:
    files = {
        "a.py": "_base_ = ['b.yaml', 'c.json']\nx = dict(k=2)\n",
        "b.yaml": "x: {k: 1, j: [1, 2]}\n",
        "c.json": '{"y": {"_base_ignored": false}}',
    }
    assert plain(load(tmp_path, files, "a.py").result) == {
        "x": {"k": 2, "j": [1, 2]},
        "y": {"_base_ignored": False},
    }


def test_comments_are_kept_by_path(tmp_path: Path) -> None:
    files = {
        "a.py": """
            # the bases
            _base_ = []

            # model settings
            model = dict(
                # the depth
                depth=50,  # ResNet-50
                norm=dict(type='BN'))
            # the edit
            model['depth'] = 101  # deeper
            # closing remark
            """,
    }
    loaded = load(tmp_path, files, "a.py")
    assert loaded.comments.defaults == [" the bases"]
    assert loaded.comments.above[("model",)] == [" model settings"]
    assert loaded.comments.trailing[("model", "depth")] == " ResNet-50"
    assert loaded.comments.above[("model", "depth")] == [" the depth", " the edit"]
    assert loaded.comments.footer == [" closing remark"]
