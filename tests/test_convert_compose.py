"""The model of Hydra's composition agrees with Hydra (and hydrareg's _delete_ hook)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import assert_same, compose

from hydrareg.convert.compose import ComposeError, Interp, compose_file, devalue, resolve, same

CASES = [
    ({"a": {"x": 1, "y": [1]}}, {"a": {"y": [2], "z": None}}),
    ({"a": {"x": 1}, "b": 2}, {"a": {"_delete_": True, "z": 3}}),
    ({"a": [1, 2]}, {"a": {"_delete_": True, "k": 1}}),
    ({"a": 1}, {"a": {"k": 1}}),
    ({"a": {"x": {"y": 1}}}, {"a": {"x": 5}}),
    ({"a": {"x": 1}}, {"b": {"_delete_": True, "c": 1}, "a": {"x": {"_delete_": True, "q": 1}}}),
]


@pytest.mark.parametrize(("first", "second"), CASES)
def test_model_matches_hydra(tmp_path: Path, first: dict[str, Any], second: dict[str, Any]) -> None:
    (tmp_path / "first.yaml").write_text("# @package _global_\n" + yaml.safe_dump(first))
    body = {"defaults": ["/first", "_self_"], **second}
    (tmp_path / "second.yaml").write_text("# @package _global_\n" + yaml.safe_dump(body, sort_keys=False))
    assert_same(compose_file(first, second, []), compose(tmp_path, "second"))


def test_merges_that_omegaconf_refuses() -> None:
    with pytest.raises(ComposeError, match="a: a list cannot be merged onto a mapping"):
        compose_file({"a": {"x": 1}}, {"a": [1]}, [])
    with pytest.raises(ComposeError, match="a: a mapping cannot be merged onto a list"):
        compose_file({"a": [1]}, {"a": {"x": 1}}, [])


def test_interpolations() -> None:
    lr = Interp(("lr",), 0.1, "base", ("opt", "lr"))
    acc = compose_file({}, {"lr": 0.1, "opt": {"lr": lr}}, [])
    assert resolve(acc, acc) == {"lr": 0.1, "opt": {"lr": 0.1}}
    later = compose_file(acc, {"lr": 0.5}, [])
    assert resolve(later, later) == {
        "lr": 0.5,
        "opt": {"lr": 0.5},
    }  # resolved at the end, as Hydra does
    conflicts: list[Interp] = []
    compose_file(acc, {"opt": {"lr": {"k": 1}}}, conflicts)
    assert conflicts == [lr]  # OmegaConf would resolve the interpolation while merging
    assert devalue({"opt": {"lr": Interp(("d",), {"k": 1}, "x", ())}}, merged=True) == {
        "opt": {"lr": {"_delete_": True, "k": 1}}
    }


def test_same_is_type_strict() -> None:
    assert same({"a": (1, 2)}, {"a": [1, 2]})
    assert not same(1, 1.0) and not same(1, True) and not same(0.0, False)
    assert not same({"a": 1}, {"a": 1, "b": 2}) and same(float("nan"), float("nan"))
