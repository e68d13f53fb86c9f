"""Hostile or broken config files fail fast, with an error naming the file (through hydrareg's patches)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from hydrareg.errors import CompositionError
from hydrareg.hydra import patches
from hydrareg.hydra.cache import CACHE
from hydrareg.hydra.limits import MAX_ALIAS_EXPANSION, check_yaml_text

needs_patches = pytest.mark.skipif(
    not patches.patches_enabled(), reason="the limits are checked by hydrareg's patches (HYDRAREG_PATCHES=0)"
)

BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


@pytest.fixture
def conf(tmp_path: Path):
    """Write config files, then compose ``config`` (with hydrareg's patches, unless they are switched off)."""
    patches.install()
    CACHE.clear()

    def composer(files: dict[str, str | bytes], *overrides: str):
        for name, body in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body if isinstance(body, bytes) else body.encode())
        GlobalHydra.instance().clear()
        with initialize_config_dir(config_dir=str(tmp_path), version_base="1.3"):
            return compose("config", overrides=list(overrides))

    yield composer
    GlobalHydra.instance().clear()


@needs_patches
def test_a_cycle_of_defaults_lists_is_an_error_naming_the_files(conf):
    files = {
        "config.yaml": "defaults:\n  - a\n  - _self_\n",
        "a.yaml": "defaults:\n  - b\n  - _self_\nx: 1\n",
        "b.yaml": "defaults:\n  - a\n  - _self_\ny: 2\n",
    }
    with pytest.raises(CompositionError, match="include each other in a cycle") as info:
        conf(files)
    assert "a -> b -> a" in str(info.value) or "b -> a -> b" in str(info.value)


@needs_patches
def test_a_config_that_includes_itself_is_an_error(conf):
    with pytest.raises(CompositionError, match="cycle") as info:
        conf({"config.yaml": "defaults:\n  - config\n  - _self_\n"})
    assert "config" in str(info.value)


@needs_patches
def test_a_recursive_yaml_alias_is_an_error_naming_the_file_and_line(conf, tmp_path):
    files = {"config.yaml": "defaults:\n  - model: loop\n", "model/loop.yaml": "node: &n\n  child: *n\n"}
    with pytest.raises(CompositionError, match=r"alias \*n refers to a node that contains it") as info:
        conf(files)
    assert str(tmp_path / "model" / "loop.yaml") in str(info.value)
    assert "line:        2" in str(info.value)


@needs_patches
def test_an_alias_bomb_is_refused_before_anything_is_built(conf, tmp_path):
    with pytest.raises(CompositionError, match="expand to more than") as info:
        conf({"config.yaml": BOMB})
    assert str(tmp_path / "config.yaml") in str(info.value)


@needs_patches
def test_binary_garbage_is_an_error_naming_the_file(conf, tmp_path):
    files = {
        "config.yaml": "defaults:\n  - data: junk\n",
        "data/junk.yaml": b"a: 1\n\xff\xfe\x00\x9c garbage",
    }
    with pytest.raises(CompositionError, match="not UTF-8 text") as info:
        conf(files)
    assert str(tmp_path / "data" / "junk.yaml") in str(info.value)


def test_ordinary_aliases_and_merge_keys_still_compose(conf):
    files = {
        "config.yaml": textwrap.dedent(
            """\
            base: &base {lr: 0.1, momentum: 0.9}
            optim:
              <<: *base
              lr: 0.01
            copies: [*base, *base]
            glob: "**/*.png"
            """
        )
    }
    cfg = OmegaConf.to_container(conf(files))
    assert cfg["optim"] == {"lr": 0.01, "momentum": 0.9}
    assert cfg["copies"] == [{"lr": 0.1, "momentum": 0.9}] * 2


def test_the_alias_limit_counts_expansion_not_file_size():
    many = "".join(f"k{i}: {i}\n" for i in range(MAX_ALIAS_EXPANSION + 10))
    check_yaml_text(many.encode(), "big.yaml")  # no aliases: any size is fine
    anchors = "base: &b [1, 2, 3]\n" + "".join(f"c{i}: *b\n" for i in range(1000))
    check_yaml_text(anchors.encode(), "anchors.yaml")


@needs_patches
def test_on_the_command_line_the_user_sees_the_message_not_a_traceback(tmp_path):
    (tmp_path / "config.yaml").write_text(BOMB)
    (tmp_path / "app.py").write_text(
        "import hydra\n"
        "@hydra.main(config_path='.', config_name='config', version_base='1.3')\n"
        "def main(cfg):\n    print('built', len(cfg))\n"
        "main()\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "HYDRA_FULL_ERROR"}
    result = subprocess.run(
        [sys.executable, "app.py", "hydra.run.dir=out"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0 and "built" not in result.stdout
    assert "expand to more than" in result.stderr and str(tmp_path / "config.yaml") in result.stderr
    assert "Traceback" not in result.stderr
