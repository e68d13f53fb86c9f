"""hydrareg.instantiate: type/_scope_ nodes through the registry, _target_ nodes as in Hydra."""

from __future__ import annotations

import copy
import functools
import warnings

import pytest
from omegaconf import DictConfig, OmegaConf
from patch_modes import PATCHES_ON

from hydrareg import ConfigDict, instantiate
from hydrareg.errors import (
    BuildArgumentError,
    ConfigResolutionError,
    ConfigTypeError,
    UnknownTargetError,
    UnknownTypeError,
)
from hydrareg.registry import DefaultScope, Registry


class Detector:
    """MMEngine style: receives its parts as dicts and builds them."""

    def __init__(self, backbone, neck=None, depth=1, registry=None):
        self.backbone_cfg = backbone
        self.neck_cfg = neck
        self.depth = depth
        self.scope_at_build = DefaultScope.get_current_instance().scope_name
        self.backbone = (registry or DET).build(backbone)
        self.neck = [(registry or DET).build(block) for block in neck["blocks"]] if neck else None


class Backbone:
    def __init__(self, arch="tiny", stages=(1, 2)):
        self.arch, self.stages = arch, stages
        current = DefaultScope.get_current_instance()
        self.scope_at_build = current.scope_name if current else None


class Block:
    def __init__(self, width=1):
        self.width = width


def make_point(x, y=0):
    return (x, y)


ROOT = Registry("model", scope="iroot")
DET = Registry("model", parent=ROOT, scope="idet")
CLS = Registry("model", parent=ROOT, scope="icls")
DET.register_module(module=Detector)
DET.register_module(module=Block)
CLS.register_module(module=Backbone)
ROOT.register_module(module=make_point)


def as_dict(cfg):
    return cfg


def as_dictconfig(cfg):
    return OmegaConf.create(cfg)


both = pytest.mark.parametrize("wrap", [as_dict, as_dictconfig], ids=["dict", "DictConfig"])


def snapshot(cfg):
    return OmegaConf.to_container(cfg) if isinstance(cfg, DictConfig) else copy.deepcopy(cfg)


@both
def test_a_type_node_builds_through_the_registry_and_children_reach_it_as_dicts(wrap):
    cfg = wrap(
        {
            "type": "Detector",
            "_scope_": "idet",
            "depth": 2,
            "backbone": {"type": "icls.Backbone", "arch": "small"},
        }
    )
    before = snapshot(cfg)
    model = instantiate(cfg, registry=ROOT)
    assert isinstance(model, Detector) and model.depth == 2
    assert isinstance(model.backbone, Backbone) and model.backbone.arch == "small"
    assert type(model.backbone_cfg) is ConfigDict and model.backbone_cfg == {
        "type": "icls.Backbone",
        "arch": "small",
    }
    assert snapshot(cfg) == before


@both
def test_scope_switches_for_the_node_and_everything_built_inside_and_is_restored(wrap):
    cfg = wrap(
        {
            "type": "Detector",
            "_scope_": "idet",
            "backbone": {"type": "icls.Backbone"},
            "neck": {"blocks": [{"type": "Block", "width": 3}]},
        }
    )
    model = instantiate(cfg, registry=ROOT)
    assert model.scope_at_build == "idet" and model.backbone.scope_at_build == "idet"
    assert model.neck[0].width == 3
    assert DefaultScope.get_current_instance() is None


@both
def test_nested_scope_switches_nest_and_unwind(wrap):
    cfg = wrap({"type": "Detector", "_scope_": "idet", "backbone": {"type": "Backbone", "_scope_": "icls"}})
    model = instantiate(cfg, registry=ROOT)
    assert model.scope_at_build == "idet" and model.backbone.scope_at_build == "icls"
    assert DefaultScope.get_current_instance() is None


@both
def test_the_configs_default_scope_applies_during_the_call(wrap):
    cfg = wrap({"default_scope": "icls", "model": {"type": "Backbone", "arch": "small"}})
    node = cfg["model"] if isinstance(cfg, dict) else cfg.model
    if isinstance(cfg, dict):
        built = instantiate(cfg, registry=ROOT)["model"]
    else:
        built = instantiate(node, registry=ROOT)  # a DictConfig node sees its root's default_scope
    assert built.scope_at_build == "icls"
    assert DefaultScope.get_current_instance() is None


@both
def test_recursive_true_builds_children_first_hydra_style(wrap):
    cfg = wrap(
        {
            "type": "make_point",
            "_recursive_": True,
            "x": {"type": "icls.Backbone"},
            "y": [{"type": "idet.Block"}, 5],
        }
    )
    x, y = instantiate(cfg, registry=ROOT)
    assert isinstance(x, Backbone) and isinstance(y[0], Block) and y[1] == 5


@both
def test_partial_type_nodes_return_a_partial_of_the_registered_class(wrap):
    cfg = wrap({"type": "make_point", "_partial_": True, "y": 4})
    point = instantiate(cfg, registry=ROOT)
    assert isinstance(point, functools.partial) and point(1) == (1, 4)


@both
def test_a_list_of_type_nodes_builds_each_and_plain_data_stays_data(wrap):
    cfg = wrap(
        {
            "parts": [{"type": "idet.Block", "width": 1}, {"type": "idet.Block", "width": 2}],
            "lr": 0.1,
            "meta": {"name": "exp"},
        }
    )
    built = instantiate(cfg, registry=ROOT)
    assert [part.width for part in built["parts"]] == [1, 2]
    assert built["lr"] == 0.1 and built["meta"] == {"name": "exp"}


@both
def test_target_nodes_keep_hydras_meaning_and_mix_with_type_nodes(wrap):
    cfg = wrap(
        {
            "point": {
                "_target_": f"{__name__}.make_point",
                "_args_": [{"type": "icls.Backbone"}],
                "y": {"type": "idet.Block"},
            },
            "lazy": {"_target_": f"{__name__}.make_point", "_partial_": True, "y": 9},
            "flat": {
                "_target_": f"{__name__}.make_point",
                "x": {"type": "idet.Block"},
                "_recursive_": False,
            },
        }
    )
    built = instantiate(cfg, registry=ROOT)
    x, y = built["point"]
    assert isinstance(x, Backbone) and isinstance(y, Block)
    assert built["lazy"](2) == (2, 9)
    flat_x, _ = built["flat"]
    assert isinstance(flat_x, DictConfig) and flat_x.type == "idet.Block"  # _convert_ none: OmegaConf


@both
def test_target_convert_all_hands_over_plain_dicts(wrap):
    cfg = wrap({"_target_": f"{__name__}.make_point", "_convert_": "all", "x": {"a": [1, 2]}})
    x, _ = instantiate(cfg, registry=ROOT)
    assert type(x) is dict and x == {"a": [1, 2]}  # as Hydra: a plain dict


@both
def test_keyword_overrides_replace_top_level_keys_and_are_passed_as_they_are(wrap):
    sentinel = object()
    cfg = wrap({"type": "make_point", "x": 1, "y": 2})
    assert instantiate(cfg, registry=ROOT, y=sentinel) == (1, sentinel)


def test_keyword_overrides_need_a_mapping():
    with pytest.raises(ConfigTypeError, match="keyword overrides need a mapping config"):
        instantiate([{"type": "make_point", "x": 1}], registry=ROOT, y=2)


def test_interpolations_are_resolved_before_constructors_see_them():
    cfg = OmegaConf.create(
        {
            "w": 4,
            "model": {
                "type": "Detector",
                "_scope_": "idet",
                "depth": "${w}",
                "backbone": {"type": "icls.Backbone", "arch": "${..depth}"},
            },
        }
    )
    model = instantiate(cfg.model, registry=ROOT)
    assert model.depth == 4 and model.backbone_cfg["arch"] == 4


def test_nested_dicts_remember_their_config_path():
    cfg = OmegaConf.create(
        {
            "model": {
                "type": "Detector",
                "_scope_": "idet",
                "backbone": {"type": "icls.Backbone"},
                "neck": {"blocks": [{"type": "Block"}, {"type": "Block"}]},
            }
        }
    )
    model = instantiate(cfg.model, registry=ROOT)
    from hydrareg.configdict import config_path_of

    assert config_path_of(model.backbone_cfg) == "model.backbone"
    assert config_path_of(model.neck_cfg["blocks"][1]) == "model.neck.blocks[1]"


@both
def test_an_unknown_type_deep_in_a_list_names_its_bracketed_path(wrap):
    cfg = wrap(
        {
            "model": {
                "type": "Detector",
                "_scope_": "idet",
                "backbone": {"type": "icls.Backbone"},
                "neck": {"blocks": [{"type": "Block"}, {"type": "Block"}, {"type": "Blok"}]},
            }
        }
    )
    node = cfg["model"] if isinstance(cfg, dict) else cfg.model
    before = snapshot(cfg)
    with pytest.raises(KeyError) as info:
        instantiate(node, registry=ROOT)
    error = info.value
    assert isinstance(error, UnknownTypeError)
    expected = "model.neck.blocks[2].type" if isinstance(cfg, DictConfig) else "neck.blocks[2].type"
    assert error.config_path == expected
    assert str(error).startswith("Blok is not in the idet::model registry")
    assert "idet.Block" in str(error)
    assert snapshot(cfg) == before
    assert DefaultScope.get_current_instance() is None


def test_bad_arguments_name_the_path_of_the_argument():
    cfg = OmegaConf.create({"model": {"type": "icls.Backbone", "archh": "tiny"}})
    with pytest.raises(BuildArgumentError) as info:
        instantiate(cfg.model, registry=ROOT)
    assert info.value.config_path == "model.archh"
    assert "archh -> arch?" in str(info.value)


def test_missing_values_and_broken_interpolations_are_resolution_errors_with_paths():
    cfg = OmegaConf.create({"model": {"type": "icls.Backbone", "arch": "???"}, "other": {"x": "${nope}"}})
    with pytest.raises(ValueError) as info:
        instantiate(cfg.model, registry=ROOT)
    assert isinstance(info.value, ConfigResolutionError) and "model.arch" in str(info.value)
    with pytest.raises(ConfigResolutionError, match=r"other\.x"):
        instantiate(cfg.other, registry=ROOT)


def test_an_unknown_target_is_a_lookup_error_with_path():
    cfg = OmegaConf.create({"cb": {"_target_": "no_such_module_xyz.Thing"}})
    with pytest.raises(LookupError) as info:
        instantiate(cfg.cb)
    assert isinstance(info.value, UnknownTargetError) and info.value.config_path == "cb._target_"


@pytest.mark.parametrize(
    ("node", "path"),
    [
        ({"type": "make_point", "x": 1, "_recursive_": "yes"}, "_recursive_"),
        ({"type": "make_point", "x": 1, "_scope_": 3}, "_scope_"),
        ({"type": "make_point", "_args_": [1]}, "_args_"),
        ({"_target_": f"{__name__}.make_point", "_args_": 1}, "_args_"),
        ({"_target_": f"{__name__}.make_point", "x": 1, "_convert_": "weird"}, "_convert_"),
    ],
)
def test_malformed_special_keys_are_typeerrors_naming_the_key(node, path):
    with pytest.raises(ConfigTypeError) as info:
        instantiate(OmegaConf.create({"n": node}).n, registry=ROOT)
    assert info.value.config_path == f"n.{path}"
    assert DefaultScope.get_current_instance() is None


@pytest.fixture
def patches_off():
    """hydrareg's patches of Hydra switched off for one test (as HYDRAREG_PATCHES=0 does)."""
    from hydrareg.hydra import patches

    was = patches.TABLE.enabled
    patches.set_patches_enabled(False)
    yield
    patches.set_patches_enabled(was)


@pytest.mark.parametrize("as_config", [False, True])
def test_a_leftover_delete_key_is_refused_when_composition_may_have_merged_its_node(as_config, patches_off):
    """Without the compose patch a marker means the node was merged, not replaced: never build it."""
    from hydrareg.errors import CompositionError

    built = []
    cfg = {"model": {"type": "icls.Backbone", "_delete_": True, "arch": "small"}}
    cfg = OmegaConf.create(cfg) if as_config else cfg
    with pytest.raises(CompositionError, match=r"_delete_ was not applied") as info:
        built.append(instantiate(cfg["model"] if as_config else cfg, registry=ROOT))
    assert "_delete_" in info.value.config_path and not built
    assert OmegaConf.to_container(OmegaConf.create(cfg))["model"]["_delete_"] is True


@pytest.mark.skipif(not PATCHES_ON, reason="HYDRAREG_PATCHES=0: refused (the test above)")
def test_a_leftover_delete_key_from_outside_composition_never_reaches_a_constructor_and_warns():
    """With the compose patch every file's marker was applied: this one came from elsewhere (the CLI)."""
    cfg = {"type": "icls.Backbone", "_delete_": True, "arch": "small"}
    with pytest.warns(UserWarning, match=r"_delete_ reached instantiate at _delete_"):
        built = instantiate(cfg, registry=ROOT)
    assert built.arch == "small" and "_delete_" in cfg


def test_none_and_non_configs():
    assert instantiate(None) is None
    with pytest.raises(ConfigTypeError, match="Cannot instantiate config of type str"):
        instantiate("icls.Backbone", registry=ROOT)


def test_the_default_registry_is_the_root_models():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer = instantiate({"type": "Linear", "in_features": 2, "out_features": 3})
    assert isinstance(layer, torch.nn.Linear)


def test_custom_build_functions_are_used_for_type_nodes():
    calls = []

    def build_func(cfg, registry, default_args=None):
        calls.append(dict(cfg))
        return "custom"

    custom = Registry("thing", scope="icustom", build_func=build_func)
    assert instantiate({"type": "Anything", "a": 1}, registry=custom) == "custom"
    assert calls == [{"type": "Anything", "a": 1}]


def test_a_default_scope_that_is_not_a_name_is_a_typeerror_naming_the_key():
    cfg = OmegaConf.create({"default_scope": 3, "model": {"type": "icls.Backbone"}})
    with pytest.raises(ConfigTypeError) as info:
        instantiate(cfg.model, registry=ROOT)
    assert info.value.config_path == "default_scope"
