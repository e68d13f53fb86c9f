"""traverse_registry_tree and count_registered_modules."""

from __future__ import annotations

import json
import logging

from hydrareg.registry import Registry, count_registered_modules, traverse_registry_tree


class Local:
    pass


def test_traverse_walks_the_whole_tree_from_any_node_root_first(tree):
    tree["pet"].register_module(module=Local)
    tree["puppy"].register_module(name="Pup", module=Local)
    tree["puppy"].register_module(name="Print", module=print)
    from_root = traverse_registry_tree(tree["pet"], verbose=False)
    assert traverse_registry_tree(tree["puppy"], verbose=False) == from_root
    assert [entry["scope"] for entry in from_root] == ["pet", "dog", "puppy", "cat"]
    assert from_root[0] == {
        "num_modules": 1,
        "scope": "pet",
        "": ["Local"],
    }  # defined in a top-level module
    assert from_root[2] == {"num_modules": 2, "scope": "puppy", "": ["Pup", "Print"]}


def test_traverse_groups_names_by_defining_folder_and_logs_when_verbose(caplog):
    root = Registry("thing", scope="trav")
    root.register_module(module=json.JSONDecoder)
    with caplog.at_level(logging.INFO, logger="hydrareg"):
        info = traverse_registry_tree(root)
    assert info == [{"num_modules": 1, "scope": "trav", "json": ["JSONDecoder"]}]
    assert "Find 1 modules in trav's 'thing' registry" in caplog.text


def test_count_registered_modules_covers_every_root_and_writes_json(tmp_path):
    result = count_registered_modules(save_path=str(tmp_path), verbose=False)
    assert sorted(result["registries"]) == sorted(result["registries"].keys())
    assert len(result["registries"]) == 23
    saved = json.loads((tmp_path / "modules_statistic_results.json").read_text())
    assert saved == result
    models = result["registries"]["MODELS"][0]
    assert models["scope"] == "mmengine"
