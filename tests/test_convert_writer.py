"""The YAML writer: every scalar reads back unchanged in OmegaConf; the layout is readable."""

from __future__ import annotations

import pytest
from conftest import assert_same
from omegaconf import OmegaConf

from hydrareg.convert.comments import KeyComments
from hydrareg.convert.compose import Interp
from hydrareg.convert.writer import render, yaml_scalar

TRICKY = [
    "1", "1.0", "1e-4", "1e4", "-1", "+1", "0x10", "0o7", "010", "1_000", ".inf", "-.inf", ".nan",
    "true", "True", "yes", "no", "on", "off", "y", "n", "null", "~", "", " ", " lead", "trail ",
    "a: b", "a #b", "#x", "- x", "[x]", "{x}", "x, y", "@x", "`x", "!x", "&x", "*x", "%x", "|", ">",
    "?", "? x", ":", "x:", "http://a:b/c", "C:\\dir", "tab\there", "two\nlines", "quote'd", 'dq"x',
    "ünïcödé", "${x}", "a${x}b", "\\${x}", "\\\\${x}", "$", "${", "}", "???", "??", "=", "<<",
]  # fmt: skip
VALUES = [
    0,
    -5,
    10**20,
    0.1,
    1e-5,
    1e16,
    -0.0,
    2.5e-10,
    float("inf"),
    float("-inf"),
    float("nan"),
    True,
    False,
    None,
]


@pytest.mark.parametrize("value", TRICKY + VALUES)
@pytest.mark.parametrize("flow", [True, False])
def test_scalars_read_back_unchanged(value: object, flow: bool) -> None:
    text = f"k: {yaml_scalar(value, flow=flow)}\nl: [{yaml_scalar(value)}]\n"
    loaded = OmegaConf.to_container(OmegaConf.create(text), resolve=True, throw_on_missing=True)
    assert_same(loaded, {"k": value, "l": [value]})


def test_interpolations_are_not_escaped() -> None:
    interp = Interp(("model", "depth"), 50, "cfg", ("d",))
    text = render({"depth": interp, "model": {"depth": 50}, "l": [interp]}, [])
    assert "depth: ${model.depth}\n" in text and "l: ['${model.depth}']" in text
    assert OmegaConf.to_container(OmegaConf.create(text), resolve=True) == {
        "depth": 50,
        "model": {"depth": 50},
        "l": [50],
    }


def test_layout() -> None:
    content = {
        "model": {"_delete_": True, "type": "Net", "sizes": [1, 2], "empty": {}, "none": []},
        "pipeline": [{"type": "Load"}, {"type": "Resize", "scale": [1, 2]}, [1, [2, 3]]],
        1: "int key",
    }
    comments = KeyComments(
        above={("model",): [" model settings", None, ""], ("pipeline", 1): [" resize"]},
        trailing={("model", "type"): " the net"},
        footer=[" the end"],
    )
    text = render(content, ["/_base_/a", "/b"], comments=comments, header=[" header"])
    assert text == (
        "# @package _global_\n"
        "# header\n"
        "\n"
        "defaults:\n"
        "  - /_base_/a\n"
        "  - /b\n"
        "  - _self_\n"
        "\n"
        "# model settings\n"
        "\n"
        "#\n"
        "model:\n"
        "  _delete_: true\n"
        "  type: Net  # the net\n"
        "  sizes: [1, 2]\n"
        "  empty: {}\n"
        "  none: []\n"
        "pipeline:\n"
        "  - type: Load\n"
        "  # resize\n"
        "  - type: Resize\n"
        "    scale: [1, 2]\n"
        "  - [1, [2, 3]]\n"
        "1: int key\n"
        "\n"
        "# the end\n"
    )
    assert_same(
        OmegaConf.to_container(OmegaConf.create(text.split("defaults:")[0] + text.split("_self_\n")[1])),
        content,
    )


def test_long_lists_go_to_block_style() -> None:
    text = render({"keys": ["img_id", "img_path", "ori_shape", "img_shape", "scale_factor"] * 3}, [])
    assert text.count("\n  - ") == 15
