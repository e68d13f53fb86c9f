"""Planning each file: what Hydra cannot do by merging, and which interpolations survive."""

from __future__ import annotations

from pathlib import Path

import yaml
from conftest import assert_same, read_yaml


def doc(out: Path, name: str) -> dict:
    return yaml.safe_load(read_yaml(out, name))


def test_removing_a_top_level_key_opens_up_the_base_that_brings_it(converted, tmp_path: Path) -> None:
    files = {
        "grand.py": "g = 1\nkeep = dict(a=1)\n",
        "base.py": "_base_ = './grand.py'\nb = 2\n",
        "other.py": "o = 3\n",
        "child.py": "_base_ = ['./base.py', './other.py']\n_base_.pop('g')\nc = 4\n",
    }
    compose_ = converted(files)
    assert_same(compose_("child"), {"keep": {"a": 1}, "b": 2, "o": 3, "c": 4})
    document = doc(tmp_path / "out", "child")
    assert document["defaults"] == ["/other", "_self_"]  # base.py and grand.py both bring `g`
    assert document["keep"] == {"a": 1} and document["b"] == 2
    text = read_yaml(tmp_path / "out", "child")
    assert "note: the content of base is written here" in text and "removes its top-level g" in text


def test_a_mapping_that_becomes_a_list(converted, tmp_path: Path) -> None:
    files = {
        "base1.py": "x = dict(a=1)\n",
        "base2.py": "model = dict(neck=dict(type='FPN'), head=1)\n",
        "child.py": (
            "_base_ = ['./base1.py', './base2.py']\nx = [1, 2]\nmodel = dict(neck=[dict(type='A')])\n"
        ),
    }
    compose_ = converted(files)
    assert_same(compose_("child"), {"x": [1, 2], "model": {"neck": [{"type": "A"}], "head": 1}})
    document = doc(tmp_path / "out", "child")
    assert document["defaults"] == ["/base2", "_self_"]  # a top-level mapping cannot become a list
    assert document["model"]["_delete_"] is True  # OmegaConf cannot merge a list onto a mapping


def test_an_interpolation_that_a_child_merges_into_is_dropped(converted, tmp_path: Path) -> None:
    files = {
        "base.py": "a = dict(x=1)\nb = a\n",
        "child.py": "_base_ = './base.py'\nb = dict(y=2)\n",
        "other.py": "_base_ = './base.py'\nc = 1\n",
    }
    compose_ = converted(files)
    assert_same(compose_("child"), {"a": {"x": 1}, "b": {"x": 1, "y": 2}})
    assert_same(compose_("other"), {"a": {"x": 1}, "b": {"x": 1}, "c": 1})
    assert doc(tmp_path / "out", "base")["b"] == {"x": 1}


def test_references_that_cannot_be_interpolations(converted, tmp_path: Path) -> None:
    files = {
        "base.py": "d = {'a-b': 1}\nmodel = dict(depth=50)\n",
        "child.py": "_base_ = './base.py'\nx = _base_.d['a-b']\nmodel = dict(sub=_base_.model)\n",
    }
    compose_ = converted(files)
    assert_same(compose_("child"), {"d": {"a-b": 1}, "model": {"depth": 50, "sub": {"depth": 50}}, "x": 1})
    document = doc(tmp_path / "out", "child")
    assert document["x"] == 1  # 'a-b' is no interpolation key
    assert document["model"]["sub"] == {"depth": 50}  # ${model} inside model would be a cycle


def test_two_files_that_would_share_a_yaml_name(convert) -> None:
    report, _ = convert({"a.py": "x = 1\n", "a.yaml": "y: 2\n", "b.py": "_base_ = ['a.py', 'a.yaml']\n"})
    messages = [str(e) for e in report.failed.values()]
    assert any("converts to a.yaml, like" in m for m in messages)
