"""Where ``type`` and ``_target_`` nodes meet in one tree, and keywords that hold either kind.

The rule (README, "Using hydrareg in your own Hydra app"): each node is built by its own kind.
A ``type`` node is MMEngine's wherever it sits (its children reach its constructor as configs
unless it says ``_recursive_: true``); a ``_target_`` node is Hydra's wherever it sits (its
children are built first unless it says ``_recursive_: false``). The root decides how keywords
apply and what data nodes become: Hydra's merge and OmegaConf containers below a ``_target_`` or
data root; for a ``type`` root, plain dicts merge into its dicts and every other value is passed as
it is.
"""

from __future__ import annotations

import functools

import pytest
from hydra.errors import InstantiationException
from instantiate_helpers import both, build
from omegaconf import DictConfig, OmegaConf

from hydrareg import ConfigDict, instantiate
from hydrareg.errors import ConfigTypeError, UnknownTypeError
from hydrareg.registry import DefaultScope, Registry

HERE = __name__


class Part:
    """MMEngine style: receives its children as configs and keeps them."""

    def __init__(self, width=1, child=None):
        self.width, self.child = width, child
        current = DefaultScope.get_current_instance()
        self.scope = current.scope_name if current else None


def collect(*args, **kwargs):
    return args, kwargs


@pytest.fixture
def reg():
    root = Registry("model", scope="mixroot")
    lib = Registry("model", parent=root, scope="mixlib")
    lib.register_module(module=Part)
    root.register_module(module=collect)
    return root


TARGET = f"{HERE}.collect"


@both
def test_a_type_node_under_a_target_node_is_built_through_the_registry_mmengine_style(wrap, reg):
    cfg = {"_target_": TARGET, "part": {"type": "mixlib.Part", "child": {"type": "mixlib.Part"}}}
    _, kwargs = build(wrap, cfg, registry=reg)
    part = kwargs["part"]
    assert isinstance(part, Part)
    assert type(part.child) is ConfigDict and part.child == {"type": "mixlib.Part"}  # not built


@both
def test_a_non_recursive_target_node_hands_its_type_child_over_as_a_config(wrap, reg):
    cfg = {"_target_": TARGET, "_recursive_": False, "part": {"type": "mixlib.Part"}}
    _, kwargs = build(wrap, cfg, registry=reg)
    assert isinstance(kwargs["part"], DictConfig) and kwargs["part"].type == "mixlib.Part"


@both
def test_a_target_node_under_a_type_node_reaches_the_constructor_as_a_config(wrap, reg):
    cfg = {"type": "mixlib.Part", "child": {"_target_": TARGET, "x": 1}}
    part = build(wrap, cfg, registry=reg)
    assert type(part.child) is ConfigDict and part.child == {"_target_": TARGET, "x": 1}


@both
def test_a_recursive_type_node_builds_its_target_child_the_hydra_way(wrap, reg):
    cfg = {
        "type": "mixlib.Part",
        "_recursive_": True,
        "child": {"_target_": TARGET, "data": {"a": [1]}, "inner": {"type": "mixlib.Part"}},
    }
    part = build(wrap, cfg, registry=reg)
    _, kwargs = part.child
    assert isinstance(kwargs["data"], DictConfig)  # Hydra's _convert_: none
    assert isinstance(kwargs["inner"], Part)


@both
def test_scope_on_a_target_node_applies_to_type_nodes_inside_and_is_not_passed_on(wrap, reg):
    cfg = {"_target_": TARGET, "_scope_": "mixlib", "part": {"type": "Part"}}
    _, kwargs = build(wrap, cfg, registry=reg)
    assert "_scope_" not in kwargs and kwargs["part"].scope == "mixlib"
    assert DefaultScope.get_current_instance() is None


@both
def test_a_data_root_holding_both_kinds(wrap, reg):
    built = build(
        wrap, {"a": {"type": "mixlib.Part", "width": 2}, "b": {"_target_": TARGET, "y": 1}}, registry=reg
    )
    assert isinstance(built, DictConfig)
    assert built.a.width == 2 and built.b == ((), {"y": 1})


# ------------------------------------------------------------------------------------------ keywords


@both
def test_keywords_holding_a_type_node_for_a_target_root_are_built_through_the_registry(wrap, reg):
    _, kwargs = build(wrap, {"_target_": TARGET}, registry=reg, part={"type": "mixlib.Part", "width": 3})
    assert isinstance(kwargs["part"], Part) and kwargs["part"].width == 3


@both
def test_keywords_for_a_type_root_merge_dicts_and_pass_everything_else_as_it_is(wrap, reg):
    marker = object()
    cfg = {"type": "mixlib.Part", "child": {"type": "mixlib.Part", "width": 1, "extra": {"k": 1}}}
    part = build(wrap, cfg, registry=reg, child={"width": 5, "extra": {"j": 2}})
    assert part.child == {"type": "mixlib.Part", "width": 5, "extra": {"k": 1, "j": 2}}
    assert type(part.child) is ConfigDict
    assert build(wrap, cfg, registry=reg, child=marker).child is marker
    runtime = OmegaConf.create({"type": "mixlib.Part"})
    assert build(wrap, cfg, registry=reg, child=runtime).child is runtime


@both
def test_a_target_node_given_to_a_type_root_as_a_keyword_is_a_config_for_the_constructor(wrap, reg):
    part = build(wrap, {"type": "mixlib.Part"}, registry=reg, child={"_target_": TARGET})
    assert part.child == {"_target_": TARGET}


@both
def test_flags_given_as_keywords_apply_to_a_type_root(wrap, reg):
    lazy = build(wrap, {"type": "mixlib.Part", "width": 2}, registry=reg, _partial_=True)
    assert isinstance(lazy, functools.partial) and lazy().width == 2
    part = build(
        wrap, {"type": "mixlib.Part", "child": {"type": "mixlib.Part"}}, registry=reg, _recursive_=True
    )
    assert isinstance(part.child, Part)


@both
def test_positional_arguments_are_refused_for_a_type_root(wrap, reg):
    with pytest.raises(ConfigTypeError, match="positional arguments are for _target_ nodes"):
        build(wrap, {"type": "mixlib.Part"}, 1, registry=reg)


def test_registry_is_keyword_only_and_never_reaches_a_target(reg):
    assert instantiate({"_target_": TARGET, "_args_": [1]}, reg) == ((reg,), {})  # a positional, as in Hydra
    with pytest.raises(ConfigTypeError, match="registry must be a hydrareg or MMEngine Registry"):
        instantiate({"_target_": TARGET}, registry="mixroot")


# ------------------------------------------------------------------------------------------ errors


@both
def test_an_unknown_type_below_a_target_node_names_its_path(wrap, reg):
    cfg = {"outer": {"_target_": TARGET, "parts": [{"type": "mixlib.Part"}, {"type": "mixlib.Prat"}]}}
    with pytest.raises(UnknownTypeError) as info:
        build(wrap, cfg, registry=reg)
    assert info.value.config_path == "outer.parts[1].type"
    assert "mixlib.Part" in str(info.value)


@both
def test_an_unknown_target_below_a_recursive_type_node_names_its_path(wrap, reg):
    cfg = {"type": "mixlib.Part", "_recursive_": True, "child": {"_target_": "no_such_mod_y.X"}}
    with pytest.raises(InstantiationException) as info:
        build(wrap, cfg, registry=reg)
    assert isinstance(info.value, LookupError)
    assert info.value.config_path == "child._target_" and "full_key: child" in str(info.value)


def test_a_target_config_a_constructor_received_still_names_its_path(reg):
    cfg = OmegaConf.create({"model": {"type": "mixlib.Part", "child": {"_target_": "no_such_mod_z.X"}}})
    part = instantiate(cfg.model, registry=reg)  # MMEngine style: the child arrives as a config
    with pytest.raises(InstantiationException) as info:
        instantiate(part.child)  # as a constructor would build it
    assert info.value.config_path == "model.child._target_" and "full_key: model.child" in str(info.value)
