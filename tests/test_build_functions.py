"""build_from_cfg and friends: MMEngine's contract, typed errors with config paths, scope handling."""

from __future__ import annotations

import functools
import io
import pickle

import pytest
from omegaconf import OmegaConf

from hydrareg.configdict import ConfigDict, to_config_tree
from hydrareg.errors import (
    BuildArgumentError,
    ConfigKeyError,
    ConfigTypeError,
    ConfigValueError,
    UnknownTypeError,
)
from hydrareg.registry import (
    DefaultScope,
    Registry,
    build_from_cfg,
    build_model_from_cfg,
    build_runner_from_cfg,
    build_scheduler_from_cfg,
)


class Part:
    def __init__(self, depth: int = 1, width: int = 8):
        self.depth, self.width = depth, width


class Holder:
    """Builds its child itself, as MMEngine components do."""

    def __init__(self, child, registry):
        self.child = registry.build(child)


@pytest.fixture
def reg():
    root = Registry("model", scope="broot")
    det = Registry("model", parent=root, scope="bdet")
    cls = Registry("model", parent=root, scope="bcls")
    det.register_module(name="Detector", module=Holder)
    det.register_module(module=Part)
    cls.register_module(name="ConvNeXt", module=type("ConvNeXt", (Part,), {}))
    cls.register_module(name="ConvNeXtV2", module=type("ConvNeXtV2", (Part,), {}))
    cls.register_module(name="ResNet", module=type("ResNet", (Part,), {}))
    root.register_module(name="RootPart", module=type("RootPart", (Part,), {}))
    return {"root": root, "det": det, "cls": cls}


def as_dictconfig(cfg):
    return OmegaConf.create(cfg)


@pytest.mark.parametrize("wrap", [dict, ConfigDict, as_dictconfig], ids=["dict", "ConfigDict", "DictConfig"])
def test_build_from_dict_configdict_and_dictconfig(reg, wrap):
    cfg = wrap({"type": "Part", "depth": 3})
    part = build_from_cfg(cfg, reg["det"])
    assert isinstance(part, Part) and part.depth == 3 and part.width == 8
    assert cfg == wrap({"type": "Part", "depth": 3})  # not mutated


@pytest.mark.parametrize("bad", ["Part", ["Part"], 3])
def test_cfg_must_be_a_mapping(reg, bad):
    with pytest.raises(
        TypeError, match=r"cfg should be a dict, ConfigDict or Config, but got .* DictConfig is accepted too"
    ) as info:
        build_from_cfg(bad, reg["det"])
    assert isinstance(info.value, ConfigTypeError)


def test_type_is_required_in_cfg_or_default_args(reg):
    with pytest.raises(KeyError, match='must contain the key "type"') as info:
        build_from_cfg({"depth": 1}, reg["det"])
    assert isinstance(info.value, ConfigKeyError)
    assert build_from_cfg({"depth": 1}, reg["det"], default_args={"type": "Part"}).depth == 1


def test_registry_and_default_args_are_checked(reg):
    with pytest.raises(
        TypeError,
        match=r"registry must be a mmengine Registry object, but got .*hydrareg\.registry\.Registry",
    ):
        build_from_cfg({"type": "Part"}, "model")
    with pytest.raises(TypeError, match="default_args should be a dict, ConfigDict, Config or None"):
        build_from_cfg({"type": "Part"}, reg["det"], default_args=[("depth", 1)])


def test_default_args_fill_gaps_and_the_cfg_wins_including_type(reg):
    cfg = {"type": "Part", "depth": 2}
    defaults = {"type": "RootPart", "depth": 9, "width": 4}
    built = build_from_cfg(cfg, reg["det"], default_args=defaults)
    assert type(built) is Part and (built.depth, built.width) == (2, 4)
    assert cfg == {"type": "Part", "depth": 2} and defaults == {
        "type": "RootPart",
        "depth": 9,
        "width": 4,
    }


def test_scope_may_come_from_default_args(reg):
    built = build_from_cfg({"type": "ConvNeXt"}, reg["root"], default_args={"_scope_": "bcls"})
    assert type(built).__name__ == "ConvNeXt"


def test_callable_types_are_used_as_is(reg):
    assert isinstance(build_from_cfg({"type": Part}, reg["det"]), Part)
    assert build_from_cfg({"type": lambda depth: depth * 2, "depth": 4}, reg["det"]) == 8
    assert build_from_cfg({"type": functools.partial(Part, width=1)}, reg["det"]).width == 1


def test_a_type_that_is_neither_name_nor_callable_is_a_typeerror_with_path(reg):
    cfg = to_config_tree({"backbone": {"type": 42}}, "model")["backbone"]
    with pytest.raises(TypeError, match="type must be a str or valid type") as info:
        build_from_cfg(cfg, reg["det"])
    assert info.value.config_path == "model.backbone.type"


def test_unknown_type_error_opens_with_mmengines_words_and_names_path_scopes_and_suggestions(reg):
    cfg = to_config_tree({"model": {"backbone": {"type": "ConvNext"}}})["model"]["backbone"]
    with pytest.raises(KeyError) as info:
        build_from_cfg(cfg, reg["det"])
    error = info.value
    assert isinstance(error, UnknownTypeError)
    lines = str(error).splitlines()
    assert lines[0] == "ConvNext is not in the bdet::model registry"
    assert "config path: model.backbone.type" in str(error)
    assert "searched:    bdet::model -> broot::model" in str(error)
    suggestion = next(line for line in lines if "did you mean" in line)
    assert suggestion.split(":", 1)[1].strip() == "bcls.ConvNeXt, bcls.ConvNeXtV2?"
    assert error.config_path == "model.backbone.type"


def test_unknown_prefixed_scope_says_which_scopes_exist(reg):
    with pytest.raises(UnknownTypeError) as info:
        build_from_cfg({"type": "bnope.Part"}, reg["det"])
    assert "no registry with scope 'bnope'" in str(info.value)
    assert "bcls, bdet, broot" in str(info.value)


def test_a_nested_build_error_names_the_nested_path(reg):
    cfg = to_config_tree({"type": "Detector", "registry": None, "child": {"type": "Nope"}}, "model")
    cfg["registry"] = reg["det"]
    with pytest.raises(UnknownTypeError) as info:
        build_from_cfg(cfg, reg["det"])
    assert info.value.config_path == "model.child.type"


def test_scope_switches_for_nested_builds_and_is_restored(reg):
    built = build_from_cfg(
        {"type": "Detector", "_scope_": "bdet", "registry": reg["root"], "child": {"type": "Part"}},
        reg["root"],
    )
    assert type(built.child) is Part  # found in bdet although the nested build used the root
    assert DefaultScope.get_current_instance() is None


def test_scope_is_restored_when_the_constructor_raises(reg):
    def explode(**kwargs):
        raise RuntimeError("constructor failed")

    reg["det"].register_module(name="Explode", module=explode)
    with pytest.raises(RuntimeError, match="constructor failed"):
        build_from_cfg({"type": "Explode", "_scope_": "bcls"}, reg["det"])
    assert DefaultScope.get_current_instance() is None


def test_default_scope_redirects_unprefixed_builds_to_its_node(reg):
    DefaultScope.get_instance("redirect", scope_name="bcls")
    assert type(build_from_cfg({"type": "ResNet"}, reg["root"])).__name__ == "ResNet"


def test_a_class_of_the_called_registry_stays_buildable_under_another_default_scope(reg):
    """MMEngine: 'Part is not in the bcls::model registry' (mmengine-registry.md #39)."""
    DefaultScope.get_instance("other", scope_name="bcls")
    assert type(build_from_cfg({"type": "Part"}, reg["det"])) is Part


def test_manager_mixin_types_are_built_with_get_instance(reg):
    reg["root"].register_module(module=DefaultScope)
    scope = build_from_cfg({"type": "DefaultScope", "name": "built", "scope_name": "bdet"}, reg["root"])
    assert DefaultScope.get_current_instance() is scope
    again = build_from_cfg({"type": "DefaultScope", "name": "built"}, reg["root"])
    assert again is scope


def test_rejected_arguments_are_a_build_argument_error_with_suggestions(reg):
    cfg = to_config_tree({"type": "Part", "dpth": 3}, "model.backbone")
    with pytest.raises(TypeError) as info:
        build_from_cfg(cfg, reg["det"])
    error = info.value
    assert isinstance(error, BuildArgumentError)
    assert error.config_path == "model.backbone.dpth"
    assert "unexpected keyword argument 'dpth'" in str(error)
    assert "dpth -> depth?" in str(error)
    assert "accepts:     depth, width" in str(error)


def test_errors_raised_inside_constructors_keep_their_type_and_gain_the_path(reg):
    def picky(value):
        raise ValueError("value out of range")

    reg["det"].register_module(name="Picky", module=picky)
    cfg = to_config_tree({"type": "Picky", "value": 3}, "model.head")
    with pytest.raises(ValueError, match="value out of range") as info:
        build_from_cfg(cfg, reg["det"])
    assert type(info.value) is ValueError
    assert info.value.__notes__ == [
        "while building test_errors_raised_inside_constructors_keep_their_type_and_gain_the_path.<locals>.picky from config path model.head"
    ]


def test_a_nested_build_from_a_dict_the_constructor_made_gets_the_parents_path_as_a_note(reg):
    def builds_a_default_child(**kwargs):
        return reg["det"].build({"type": "NoSuchDefault"})  # a plain dict: no config path

    reg["det"].register_module(name="Parent", module=builds_a_default_child)
    with pytest.raises(UnknownTypeError) as info:
        build_from_cfg(to_config_tree({"type": "Parent"}, "model.head"), reg["det"])
    assert info.value.config_path is None
    assert any("from config path model.head" in note for note in info.value.__notes__)


def test_a_typeerror_raised_inside_a_constructor_is_not_mistaken_for_bad_arguments(reg):
    def inner_typeerror(depth=1):
        return len(depth)  # TypeError from the body, arguments were fine

    reg["det"].register_module(name="Inner", module=inner_typeerror)
    with pytest.raises(TypeError) as info:
        build_from_cfg({"type": "Inner", "depth": 3}, reg["det"])
    assert not isinstance(info.value, BuildArgumentError)


# ---------------------------------------------------------------------------- model / scheduler / runner


def test_build_model_from_cfg_turns_a_list_into_a_picklable_sequential():
    torch = pytest.importorskip("torch")
    from hydrareg.registry import MODELS

    seq = build_model_from_cfg(
        [{"type": "Linear", "in_features": 4, "out_features": 3}, {"type": "ReLU"}], MODELS
    )
    assert isinstance(seq, torch.nn.Sequential) and type(seq).__name__ == "Sequential"
    assert seq(torch.ones(2, 4)).shape == (2, 3)
    buffer = io.BytesIO()
    torch.save(seq, buffer)
    buffer.seek(0)
    assert type(torch.load(buffer, weights_only=False)) is type(seq)
    assert len(build_model_from_cfg([], MODELS)) == 0
    assert MODELS.build([{"type": "ReLU"}]).__class__ is type(seq)


def test_build_model_from_cfg_applies_default_args_to_each_item_and_rejects_tuples():
    pytest.importorskip("torch")
    from hydrareg.registry import MODELS

    seq = MODELS.build(
        [{"type": "Linear"}, {"type": "Linear"}], default_args={"in_features": 2, "out_features": 2}
    )
    assert [layer.in_features for layer in seq] == [2, 2]
    with pytest.raises(TypeError):
        MODELS.build(({"type": "ReLU"},))


def test_build_scheduler_from_cfg_builds_torch_schedulers_and_drops_epoch_length():
    torch = pytest.importorskip("torch")
    from hydrareg.registry import OPTIMIZERS, PARAM_SCHEDULERS

    optimizer = OPTIMIZERS.build(
        {"type": "SGD", "lr": 0.1}, default_args={"params": [torch.zeros(1, requires_grad=True)]}
    )
    scheduler = PARAM_SCHEDULERS.build(
        {"type": "StepLR", "step_size": 1, "gamma": 0.5, "epoch_length": 10},
        default_args={"optimizer": optimizer},
    )
    optimizer.step()
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.05)


def test_build_scheduler_converts_epoch_based_to_iter_based():
    class Sched:
        @classmethod
        def build_iter_from_epoch(cls, epoch_length, by_epoch=True, **kwargs):
            return ("iter", epoch_length, kwargs)

    reg = Registry("scheduler", scope="sched", build_func=build_scheduler_from_cfg)
    reg.register_module(module=Sched)
    built = reg.build({"type": "Sched", "convert_to_iter_based": True, "epoch_length": 5, "gamma": 0.1})
    assert built == ("iter", 5, {"gamma": 0.1})
    with pytest.raises(ValueError, match="epoch_length set") as info:
        reg.build({"type": "Sched", "convert_to_iter_based": True})
    assert isinstance(info.value, ConfigValueError)


def test_build_runner_from_cfg_uses_runner_type_and_from_cfg():
    class Runner:
        @classmethod
        def from_cfg(cls, cfg):
            return ("runner", cls.__name__, dict(cfg))

    class CustomRunner(Runner):
        pass

    runners = Registry("runner", scope="run", build_func=build_runner_from_cfg)
    runners.register_module(module=Runner)
    runners.register_module(module=CustomRunner)
    assert runners.build({"work_dir": "w"}) == ("runner", "Runner", {"work_dir": "w"})
    assert runners.build({"runner_type": "CustomRunner"})[1] == "CustomRunner"
    with pytest.raises(UnknownTypeError, match="Missing is not in the run::runner registry"):
        runners.build({"runner_type": "Missing"})
    with pytest.raises(ConfigTypeError, match="runner_type must be a str or a class"):
        runners.build({"runner_type": 5})


def test_a_built_object_pickles_after_a_build_with_configdict_arguments(reg):
    cfg = to_config_tree({"type": "Part", "depth": 2}, "m")
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    assert pickle.loads(pickle.dumps(cfg)).__class__ is ConfigDict


# ---------------------------------------------------------------------------- lookup cache


def test_builds_see_registrations_made_after_an_earlier_build(reg):
    assert type(build_from_cfg({"type": "RootPart"}, reg["det"])).__name__ == "RootPart"
    nearer = reg["det"].register_module(name="RootPart", module=type("DetRootPart", (Part,), {}))
    assert type(build_from_cfg({"type": "RootPart"}, reg["det"])) is nearer
    replacement = type("Replacement", (Part,), {})
    reg["det"].register_module(name="RootPart", module=replacement, force=True)
    assert type(build_from_cfg({"type": "RootPart"}, reg["det"])) is replacement


def test_builds_see_direct_edits_of_module_dict(reg):
    build_from_cfg({"type": "Part"}, reg["det"])
    del reg["det"].module_dict["Part"]
    with pytest.raises(UnknownTypeError):
        build_from_cfg({"type": "Part"}, reg["det"])
    reg["det"].module_dict["Part"] = Part
    assert type(build_from_cfg({"type": "Part"}, reg["det"])) is Part


def test_the_same_name_resolves_per_default_scope(reg):
    reg["det"].register_module(name="Shared", module=type("DetShared", (Part,), {}))
    reg["cls"].register_module(name="Shared", module=type("ClsShared", (Part,), {}))
    built = [
        type(build_from_cfg({"type": "Shared", "_scope_": scope}, reg["root"])).__name__
        for scope in ("bdet", "bcls", "bdet")
    ]
    assert built == ["DetShared", "ClsShared", "DetShared"]


def test_a_child_registry_added_later_is_found_by_prefix(reg):
    with pytest.raises(UnknownTypeError):
        build_from_cfg({"type": "blate.Late"}, reg["root"])
    late = Registry("model", parent=reg["root"], scope="blate")
    late.register_module(name="Late", module=Part)
    assert type(build_from_cfg({"type": "blate.Late"}, reg["root"])) is Part


def test_a_missing_type_and_a_bad_scope_name_the_config_path(reg):
    with pytest.raises(ConfigKeyError) as info:
        build_from_cfg(to_config_tree({"depth": 1}, "model.neck"), reg["det"])
    assert info.value.config_path == "model.neck"
    with pytest.raises(ConfigTypeError) as info:
        build_from_cfg(to_config_tree({"type": "Part", "_scope_": 3}, "model.neck"), reg["det"])
    assert info.value.config_path == "model.neck._scope_"
    assert DefaultScope.get_current_instance() is None
