"""ConfigDict: the dict constructors receive, with attribute access and its config path."""

from __future__ import annotations

import copy
import json
import pickle

import pytest
from omegaconf import OmegaConf

from hydrareg.configdict import ConfigDict, config_path_of, join_path, to_config_tree


def test_it_is_a_plain_dict_with_attribute_access():
    cfg = ConfigDict.with_path({"type": "ResNet", "depth": 50}, "model.backbone")
    assert isinstance(cfg, dict) and cfg == {"type": "ResNet", "depth": 50}
    assert cfg.type == "ResNet"
    cfg.depth = 18
    assert cfg["depth"] == 18
    del cfg.depth
    assert "depth" not in cfg
    with pytest.raises(AttributeError, match=r"model\.backbone has no key 'missing'"):
        cfg.missing  # noqa: B018
    assert json.loads(json.dumps(cfg)) == {"type": "ResNet"}


def test_copies_and_pickles_keep_the_path():
    cfg = ConfigDict.with_path({"a": {"b": 1}}, "x")
    for clone in (cfg.copy(), copy.copy(cfg), copy.deepcopy(cfg), pickle.loads(pickle.dumps(cfg))):
        assert type(clone) is ConfigDict and clone == cfg and config_path_of(clone) == "x"
    assert type(cfg.to_dict()) is dict


@pytest.mark.parametrize(
    ("path", "key", "joined"),
    [
        ("", "a", "a"),
        ("model", "neck", "model.neck"),
        ("model.blocks", 2, "model.blocks[2]"),
        (None, 0, "[0]"),
    ],
)
def test_join_path(path, key, joined):
    assert join_path(path, key) == joined


def test_to_config_tree_copies_and_records_every_path():
    source = {"model": {"neck": {"blocks": [{"type": "A"}, {"type": "B"}]}, "sizes": (1, 2)}}
    tree = to_config_tree(source)
    block = tree["model"]["neck"]["blocks"][1]
    assert config_path_of(block) == "model.neck.blocks[1]"
    assert tree["model"]["sizes"] == (1, 2)
    block["type"] = "changed"
    assert source["model"]["neck"]["blocks"][1]["type"] == "B"


def test_dictconfig_paths_use_brackets_for_list_items_unlike_omegaconf_full_key():
    cfg = OmegaConf.create({"model": {"heads": [{"x": 1}, {"x": "${model.w}"}], "w": 2}})
    assert cfg.model.heads[1]._get_full_key(None) == "model.heads1"  # OmegaConf's quirk
    assert config_path_of(cfg.model.heads[1]) == "model.heads[1]"
    tree = to_config_tree(cfg.model.heads[1], config_path_of(cfg.model.heads[1]))
    assert tree == {"x": 2} and config_path_of(tree) == "model.heads[1]"


def test_dropped_keys_are_reported():
    dropped = []
    tree = to_config_tree({"a": {"_delete_": True, "b": 1}}, "", frozenset({"_delete_"}), dropped)
    assert tree == {"a": {"b": 1}} and dropped == ["a._delete_"]
