"""_delete_ in one merge step: replace the node composed so far instead of merging into it."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from hydrareg.errors import CompositionError
from hydrareg.merge import delete_markers, merge_with_deletions

BASE = {"model": {"type": "YOLOX", "backbone": {"type": "CSPDarknet", "deepen_factor": 0.33}}}


def merged(base, incoming):
    cfg = OmegaConf.create(base)
    merge_with_deletions(cfg, OmegaConf.create(incoming), source="child.yaml")
    return OmegaConf.to_container(cfg)


def test_a_marked_node_replaces_what_was_composed_so_far():
    child = {"model": {"backbone": {"_delete_": True, "type": "mmcls.ConvNeXt", "arch": "tiny"}}}
    assert merged(BASE, child) == {
        "model": {"type": "YOLOX", "backbone": {"type": "mmcls.ConvNeXt", "arch": "tiny"}}
    }


def test_without_a_marker_nodes_merge_as_hydra_does():
    child = {"model": {"backbone": {"arch": "tiny"}}}
    assert merged(BASE, child)["model"]["backbone"] == {
        "type": "CSPDarknet",
        "deepen_factor": 0.33,
        "arch": "tiny",
    }


def test_delete_false_is_removed_and_merges():
    child = {"model": {"backbone": {"_delete_": False, "arch": "tiny"}}}
    assert merged(BASE, child)["model"]["backbone"] == {
        "type": "CSPDarknet",
        "deepen_factor": 0.33,
        "arch": "tiny",
    }


def test_a_marker_for_a_node_the_base_lacks_is_dropped_not_left_behind():
    """MMEngine leaves ``_delete_`` in the result here, and it reaches the constructor (#55)."""
    child = {"model": {"neck": {"_delete_": True, "type": "FPN"}}}
    assert merged(BASE, child)["model"]["neck"] == {"type": "FPN"}


def test_markers_at_several_depths_apply_outermost_first():
    child = {
        "model": {
            "_delete_": True,
            "type": "RetinaNet",
            "backbone": {"_delete_": True, "type": "ResNet"},
        }
    }
    assert merged(BASE, child) == {"model": {"type": "RetinaNet", "backbone": {"type": "ResNet"}}}


def test_the_incoming_config_is_not_modified():
    incoming = OmegaConf.create({"model": {"backbone": {"_delete_": True, "type": "X"}}})
    merge_with_deletions(OmegaConf.create(BASE), incoming)
    assert OmegaConf.to_container(incoming) == {"model": {"backbone": {"_delete_": True, "type": "X"}}}


def test_markers_inside_lists_are_data_and_are_not_touched():
    child = {"pipeline": [{"_delete_": True, "type": "Resize"}]}
    assert merged({"pipeline": []}, child) == child
    assert delete_markers(OmegaConf.create(child)) == []


@pytest.mark.parametrize(
    ("incoming", "path"),
    [
        ({"model": {"backbone": {"_delete_": "yes"}}}, "model.backbone._delete_"),
        ({"_delete_": True, "model": {}}, "_delete_"),
    ],
)
def test_bad_markers_are_composition_errors_naming_path_and_file(incoming, path):
    cfg = OmegaConf.create(BASE)
    with pytest.raises(ValueError) as info:
        merge_with_deletions(cfg, OmegaConf.create(incoming), source="child.yaml")
    assert isinstance(info.value, CompositionError)
    assert info.value.config_path == path and "child.yaml" in str(info.value)
    assert OmegaConf.to_container(cfg) == BASE
