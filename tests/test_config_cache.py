"""The per-process config cache: same results as uncached Hydra, and edits are always seen."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf
from patch_modes import assert_replaced, needs_patches

from hydrareg.hydra import install_config_cache
from hydrareg.hydra.cache import CACHE

PRIMARY = """\
defaults:
  - model: small
  - _self_
name: ${model.type}_run
"""
SMALL = """\
# @package model
type: Small
depth: 1
backbone:
  type: Base
  width: 8
"""
REPLACE = """\
# @package model
_delete_: true
type: Replaced
"""


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    (tmp_path / "model").mkdir()
    (tmp_path / "config.yaml").write_text(PRIMARY)
    (tmp_path / "model" / "small.yaml").write_text(SMALL)
    (tmp_path / "model" / "replaced.yaml").write_text(REPLACE)
    return tmp_path


@pytest.fixture
def composer(conf):
    install_config_cache()
    CACHE.clear()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(conf), version_base="1.3"):
        yield lambda *overrides: compose("config", overrides=list(overrides))
    GlobalHydra.instance().clear()


def touch_later(path: Path, text: str) -> None:
    """Rewrite a file so that its mtime surely differs (coarse file-system clocks)."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 10_000_000, before + 10_000_000))


@needs_patches
def test_repeated_composes_are_served_from_the_cache_and_equal(composer):
    first = OmegaConf.to_container(composer(), resolve=True)
    second = OmegaConf.to_container(composer(), resolve=True)
    third = OmegaConf.to_container(composer(), resolve=True)
    expected = {
        "model": {"type": "Small", "depth": 1, "backbone": {"type": "Base", "width": 8}},
        "name": "Small_run",
    }
    assert first == second == third == expected
    assert CACHE.stats.loaded_hits == 1  # kept from the second compose on


@needs_patches
def test_composes_with_new_values_reuse_the_defaults_list_and_merge(composer):
    """Copies are kept from the second use on (a process that composes once pays nothing)."""
    for depth in (2, 3):
        assert composer(f"model.depth={depth}").model.depth == depth
    assert (CACHE.stats.composed_hits, CACHE.stats.defaults_hits) == (0, 0)
    assert composer("model.depth=4").model.depth == 4
    assert (CACHE.stats.composed_hits, CACHE.stats.defaults_hits) == (1, 1)


def test_value_overrides_apply_on_top_of_a_cached_composition(composer):
    composer()
    assert composer("model.depth=5").model.depth == 5
    assert composer().model.depth == 1  # the cached merge was not changed by the override
    assert composer("+model.extra=1").model.extra == 1
    assert "extra" not in composer().model


def test_results_are_independent_objects(composer):
    one = composer()
    one.model.depth = 99
    assert composer().model.depth == 1


def test_delete_still_replaces_with_the_cache(composer):
    composer()
    assert_replaced(composer("model=replaced").model, {"type": "Replaced"})


def test_an_edited_file_is_read_again(composer, conf):
    assert composer().model.depth == 1
    touch_later(conf / "model" / "small.yaml", SMALL.replace("depth: 1", "depth: 2"))
    assert composer().model.depth == 2


def test_an_edited_primary_config_is_read_again(composer, conf):
    assert composer().name == "Small_run"
    touch_later(conf / "config.yaml", PRIMARY.replace("_run", "_edited"))
    assert composer().name == "Small_edited"


def test_a_new_option_file_is_found(composer, conf):
    composer()
    (conf / "model" / "large.yaml").write_text(textwrap.dedent(SMALL).replace("Small", "Large"))
    assert composer("model=large").model.type == "Large"


def test_a_config_stored_again_in_the_config_store_is_seen(composer):
    store = ConfigStore.instance()
    store.store(group="model", name="stored", node={"type": "First"}, package="model")
    assert composer("model=stored").model.type == "First"
    store.store(group="model", name="stored", node={"type": "Second"}, package="model")
    assert composer("model=stored").model.type == "Second"


@needs_patches
def test_installing_twice_wraps_once():
    from hydra._internal.core_plugins.file_config_source import FileConfigSource

    install_config_cache()
    wrapped = FileConfigSource.load_config
    install_config_cache()
    assert FileConfigSource.load_config is wrapped


def test_an_edited_defaults_list_is_followed(composer, conf):
    (conf / "backbone").mkdir()
    (conf / "backbone" / "wide.yaml").write_text("# @package model.backbone\nwidth: 64\n")
    assert composer().model.backbone.width == 8
    touch_later(conf / "model" / "small.yaml", "defaults:\n  - /backbone: wide\n  - _self_\n" + SMALL)
    assert composer().model.backbone.width == 8  # the option's own body comes after its default
    touch_later(conf / "model" / "small.yaml", SMALL + "defaults:\n  - _self_\n  - /backbone: wide\n")
    assert composer().model.backbone.width == 64


def test_an_optional_default_that_appears_later_is_composed(composer, conf):
    touch_later(
        conf / "config.yaml", PRIMARY.replace("  - _self_", "  - optional extra: enabled\n  - _self_")
    )
    assert "extra" not in composer()
    (conf / "extra").mkdir()
    (conf / "extra" / "enabled.yaml").write_text("# @package extra\nflag: true\n")
    assert composer().extra.flag is True


@needs_patches
def test_value_overrides_share_a_cached_defaults_list_and_still_apply(composer):
    for depth in (2, 3, 4):
        assert composer(f"model.depth={depth}").model.depth == depth
    assert CACHE.stats.defaults_hits >= 1
    assert composer().model.depth == 1


@needs_patches
def test_group_overrides_are_part_of_the_key(composer):
    for _ in range(3):
        assert composer("model=replaced").model.type == "Replaced"
        assert composer().model.type == "Small"
    assert CACHE.stats.loaded_hits == 2
