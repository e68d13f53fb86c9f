"""hydrareg.instantiate on ``_target_`` configs behaves as hydra.utils.instantiate (Hydra 1.3.8).

The cases follow what Hydra's own instantiate tests specify, written for this project: every case
runs on a plain dict and on a DictConfig, and checks that the input is left unchanged.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

import pytest
from hydra.errors import InstantiationException
from instantiate_helpers import both, build
from omegaconf import DictConfig, ListConfig, MissingMandatoryValue, OmegaConf

from hydrareg import HydraregError, instantiate
from hydrareg.errors import ConfigResolutionError, ConfigTypeError

HERE = __name__


# ------------------------------------------------------------------------------------------ targets


@dataclass
class Point:
    x: Any = None
    y: Any = None
    z: Any = None


class Widget:
    def __init__(self, a, b=2, c=3):
        self.a, self.b, self.c = a, b, c

    def __eq__(self, other):
        return type(other) is Widget and (self.a, self.b, self.c) == (other.a, other.b, other.c)

    @staticmethod
    def make(a, b=2):
        return Widget(a, b)

    @classmethod
    def named(cls, a):
        return cls(a, "named")

    class Part:
        def __init__(self, size=1):
            self.size = size


def collect(*args, **kwargs):
    """Returns exactly what it was called with."""
    return args, kwargs


def add(a, b=0):
    return a + b


def explode(reason="boom"):
    raise ValueError(reason)


@dataclass
class PointConf:
    _target_: str = f"{HERE}.Point"
    x: Any = 1
    y: Any = 2


@dataclass
class Inner:
    size: int = 3


@dataclass
class Holder:
    inner: Inner = field(default_factory=Inner)
    tags: list = field(default_factory=lambda: ["a"])


@dataclass
class CollectConf:
    _target_: str = f"{HERE}.collect"
    holder: Holder = field(default_factory=Holder)
    plain: Any = field(default_factory=lambda: {"k": [1]})


# ------------------------------------------------------------------------------------------ helpers


def target(name, **items):
    return {"_target_": f"{HERE}.{name}", **items}


# ------------------------------------------------------------------------------------------ targets


@both
@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        (target("Point", x=1, y=2), Point(1, 2)),
        (target("add", a=1, b=2), 3),
        (target("Widget.make", a=1), Widget(1, 2)),
        (target("Widget.named", a=5), Widget(5, "named")),
        ({"_target_": "builtins.int", "_args_": ["101"], "base": 2}, 5),
        ({"_target_": "int", "_args_": ["7"]}, 7),
        (target("collect", _args_=[1, 2], k=3), ((1, 2), {"k": 3})),
    ],
    ids=["class", "function", "staticmethod", "classmethod", "builtin-dotted", "builtin-bare", "args"],
)
def test_targets_of_every_kind_are_called_with_their_arguments(wrap, cfg, expected):
    assert build(wrap, cfg) == expected


@both
def test_a_nested_class_is_located(wrap):
    assert build(wrap, target("Widget.Part", size=4)).size == 4


def test_a_callable_target_object_is_used_as_it_is():
    cfg = OmegaConf.create({"_target_": add, "a": 1}, flags={"allow_objects": True})
    assert instantiate(cfg, b=2) == 3


def test_config_as_a_keyword():
    assert instantiate(config=target("add", a=1, b=1)) == 2


# ------------------------------------------------------------------------------------------ call site


@both
def test_keywords_override_values_and_add_new_ones(wrap):
    assert build(wrap, target("Point", x=1, y=2), y=20, z=30) == Point(1, 20, 30)


@both
def test_positional_arguments_replace_args(wrap):
    assert build(wrap, target("collect", _args_=[1, 2]), 7) == ((7,), {})
    assert build(wrap, target("collect", _args_=[1, 2]), _args_=[8, 9]) == ((8, 9), {})


@both
def test_a_dict_keyword_merges_into_the_node_and_its_targets_are_built(wrap):
    cfg = target("collect", child=target("Point", x=1, y=2))
    _, kwargs = build(wrap, cfg, child={"y": 5})
    assert kwargs["child"] == Point(1, 5)
    _, kwargs = build(wrap, cfg, extra=target("Point", x=3))
    assert kwargs["extra"] == Point(3)


@both
def test_runtime_objects_in_keywords_pass_through_untouched(wrap):
    lock, params = threading.Lock(), iter([1, 2])
    _, kwargs = build(wrap, target("collect", lr=0.1), params=params, lock=lock)
    assert kwargs["params"] is params and kwargs["lock"] is lock and kwargs["lr"] == 0.1


@both
def test_flags_given_as_keywords(wrap):
    cfg = target("collect", child=target("Point", x=1), data={"a": [1]})
    _, flat = build(wrap, cfg, _recursive_=False)
    assert isinstance(flat["child"], DictConfig) and flat["child"]["_target_"] == f"{HERE}.Point"
    _, plain = build(wrap, cfg, _convert_="all")
    assert type(plain["data"]) is dict and type(plain["data"]["a"]) is list
    lazy = build(wrap, target("add", a=1), _partial_=True)
    assert isinstance(lazy, functools.partial) and lazy(b=2) == 3
    assert build(wrap, target("add", a=1, b=1), _target_=f"{HERE}.collect") == ((), {"a": 1, "b": 1})


@both
def test_interpolations_see_the_keywords(wrap):
    assert build(wrap, target("collect", b=1, c="${b}"), b=99) == ((), {"b": 99, "c": 99})


@both
def test_interpolations_inside_args_resolve(wrap):
    assert build(wrap, target("collect", _args_=["${.1}", 2])) == ((2, 2), {})


def test_interpolations_reach_the_rest_of_the_config():
    cfg = OmegaConf.create({"lr": 0.5, "opt": target("collect", lr="${lr}")})
    assert instantiate(cfg.opt) == ((), {"lr": 0.5})
    assert instantiate(cfg.opt, lr=0.1) == ((), {"lr": 0.1})


# ------------------------------------------------------------------------------------------ ??? and None


@both
def test_a_partial_leaves_missing_values_out_and_a_keyword_fills_them(wrap):
    lazy = build(wrap, target("Widget", a="???", b=20, _partial_=True))
    assert lazy.keywords == {"b": 20} and lazy(a=1) == Widget(1, 20)
    assert build(wrap, target("Widget", a="???", b=20), a=5) == Widget(5, 20)


@both
def test_a_missing_value_of_a_call_is_omegaconfs_error_and_ours(wrap):
    with pytest.raises(MissingMandatoryValue, match="Missing mandatory value: a") as info:
        build(wrap, target("Widget", a="???"))
    assert isinstance(info.value, ConfigResolutionError) and isinstance(info.value, HydraregError)


@both
def test_none_values_and_none_nodes(wrap):
    assert instantiate(None) is None
    cfg = target("collect", none=None, none_dict=DictConfig(None), none_list=ListConfig(None))
    assert build(wrap, cfg) == ((), {"none": None, "none_dict": None, "none_list": None})


# ------------------------------------------------------------------------------------------ recursion


@both
def test_nested_targets_are_built_first_in_dicts_and_lists(wrap):
    cfg = target("collect", one=target("Point", x=1), many=[target("Point", y=2), 3])
    _, kwargs = build(wrap, cfg)
    assert kwargs["one"] == Point(1)
    assert isinstance(kwargs["many"], ListConfig) and list(kwargs["many"]) == [Point(y=2), 3]


@both
def test_recursive_false_on_a_node_hands_its_children_over_as_configs(wrap):
    cfg = target("collect", _recursive_=False, one=target("Point", x=1))
    _, kwargs = build(wrap, cfg)
    assert isinstance(kwargs["one"], DictConfig) and kwargs["one"]._get_parent() is None
    assert instantiate(kwargs["one"]) == Point(1)


@both
def test_a_partial_node_inside_a_tree(wrap):
    cfg = target("collect", make=target("add", a=1, _partial_=True))
    _, kwargs = build(wrap, cfg)
    assert isinstance(kwargs["make"], functools.partial) and kwargs["make"](b=1) == 2


@both
def test_a_data_root_gives_a_dictconfig_of_built_objects(wrap):
    built = build(wrap, {"p": target("Point", x=1), "lr": 0.1})
    assert isinstance(built, DictConfig) and built.p == Point(1) and built.lr == 0.1
    assert type(build(wrap, {"p": target("Point", x=1)}, _convert_="all")) is dict


def test_a_list_root_gives_a_listconfig_and_takes_flags_as_keywords():
    cfg = [target("Point", x=1), target("Point", x=2)]
    built = instantiate(cfg)
    assert isinstance(built, ListConfig) and list(built) == [Point(1), Point(2)]
    assert type(instantiate(OmegaConf.create(cfg), _convert_="all")) is list
    flat = instantiate(cfg, _recursive_=False)
    assert all(isinstance(item, DictConfig) for item in flat)


# ------------------------------------------------------------------------------------------ _convert_


@both
@pytest.mark.parametrize(
    ("mode", "data_type", "list_type"),
    [("none", DictConfig, ListConfig), ("partial", dict, list), ("object", dict, list), ("all", dict, list)],
)
def test_convert_modes_for_plain_containers(wrap, mode, data_type, list_type):
    _, kwargs = build(wrap, target("collect", _convert_=mode, data={"a": [1, {"b": 2}]}))
    assert type(kwargs["data"]) is data_type or isinstance(kwargs["data"], data_type)
    assert isinstance(kwargs["data"]["a"], list_type)
    assert kwargs["data"] == {"a": [1, {"b": 2}]}


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("none", DictConfig), ("partial", DictConfig), ("object", Holder), ("all", dict)],
)
def test_convert_modes_for_dataclass_nodes(mode, expected):
    _, kwargs = instantiate(CollectConf(), _convert_=mode)
    assert isinstance(kwargs["holder"], expected)
    if mode == "object":
        assert kwargs["holder"] == Holder() and isinstance(kwargs["holder"].inner, Inner)
    if mode == "partial":
        assert OmegaConf.get_type(kwargs["holder"]) is Holder and type(kwargs["plain"]) is dict


def test_the_convert_mode_is_case_insensitive_and_checked():
    _, kwargs = instantiate(target("collect", _convert_="ALL", data={"a": 1}))
    assert type(kwargs["data"]) is dict
    with pytest.raises(ConfigTypeError) as info:
        instantiate(OmegaConf.create({"n": target("collect", _convert_="weird")}).n)
    assert info.value.config_path == "n._convert_"


# ------------------------------------------------------------------------------------------ structured


def test_a_dataclass_instance_or_class_is_a_config():
    assert instantiate(PointConf()) == Point(1, 2)
    assert instantiate(PointConf(x=5), y=6) == Point(5, 6)
    assert instantiate(PointConf) == Point(1, 2)


def test_a_dataclass_inside_a_dict_is_a_config_node():
    built = instantiate({"conf": PointConf(x=9)})
    assert built.conf == Point(9, 2)


@dataclass
class BagConf:
    _target_: str = f"{HERE}.collect"
    by_name: dict[str, Inner] = field(default_factory=lambda: {"x": Inner(1)})
    in_order: list[Inner] = field(default_factory=lambda: [Inner(2)])
    maybe: Optional[list[Inner]] = None  # noqa: UP045 (OmegaConf needs Optional here)


@pytest.mark.parametrize(
    ("mode", "mapping", "sequence", "item"),
    [
        ("none", DictConfig, ListConfig, Inner),
        ("partial", dict, list, Inner),
        ("all", dict, list, dict),
    ],
)
def test_dataclass_values_inside_dicts_and_lists(mode, mapping, sequence, item):
    _, kwargs = instantiate(config=BagConf(), _convert_=mode)
    assert isinstance(kwargs["by_name"], mapping) and isinstance(kwargs["in_order"], sequence)
    for value in (kwargs["by_name"]["x"], kwargs["in_order"][0]):
        assert (OmegaConf.get_type(value) if OmegaConf.is_config(value) else type(value)) is item
    assert kwargs["maybe"] is None


@pytest.mark.parametrize("partial", [True, False])
def test_configs_handed_to_a_target_are_detached_and_pickle(partial):
    import pickle

    def numbers():
        yield 1

    built = instantiate(target("collect"), _partial_=partial, gen=numbers(), lst=[1, 2])
    lst = built.keywords["lst"] if partial else built[1]["lst"]
    assert isinstance(lst, ListConfig) and lst._get_parent() is None
    assert list(pickle.loads(pickle.dumps(lst))) == [1, 2]


# ------------------------------------------------------------------------------------------ errors


def catchable_three_ways(error, builtin):
    assert isinstance(error, InstantiationException)
    assert isinstance(error, HydraregError)
    assert isinstance(error, builtin)


@both
def test_an_unknown_target_names_the_target_and_the_path(wrap):
    with pytest.raises(InstantiationException, match=r"Error locating target 'no_such_mod_x\.Thing'") as info:
        build(wrap, {"foo": {"_target_": "no_such_mod_x.Thing"}})
    catchable_three_ways(info.value, LookupError)
    assert "full_key: foo" in str(info.value) and info.value.config_path == "foo._target_"
    assert isinstance(info.value.__cause__, ImportError)
    assert "Are you sure that module 'no_such_mod_x' is installed?" in str(info.value.__cause__)


@both
def test_a_target_that_is_not_callable(wrap):
    with pytest.raises(InstantiationException, match=f"Expected a callable target, got '{HERE}'") as info:
        build(wrap, {"_target_": f"{HERE}.HERE"})
    catchable_three_ways(info.value, LookupError)


@both
def test_an_exception_from_the_target_keeps_its_type(wrap):
    with pytest.raises(InstantiationException) as info:
        build(wrap, {"foo": target("explode", reason="no")})
    catchable_three_ways(info.value, ValueError)
    assert str(info.value).startswith(f"Error in call to target '{HERE}.explode':\nValueError('no')")
    assert "full_key: foo" in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)


@both
def test_an_unknown_argument_is_a_typeerror(wrap):
    with pytest.raises(InstantiationException, match=r"Error in call to target .*Part':\nTypeError") as info:
        build(wrap, {"w": target("Widget.Part", sise=4)})
    catchable_three_ways(info.value, TypeError)
    assert info.value.config_path == "w.sise" and "did you mean: sise -> size?" in str(info.value)


@both
def test_args_that_are_not_a_list(wrap):
    with pytest.raises(InstantiationException, match="Unsupported _args_ type: 'DictConfig'") as info:
        build(wrap, {"foo": target("collect", _args_={"a": 1})})
    catchable_three_ways(info.value, TypeError)
    assert "full_key: foo" in str(info.value)


@both
def test_flags_that_are_not_booleans(wrap):
    for flag in ("_recursive_", "_partial_"):
        with pytest.raises(TypeError, match=f"{flag} flag must be a bool") as info:
            build(wrap, {"n": target("collect", **{flag: "yes"})})
        assert isinstance(info.value, ConfigTypeError) and info.value.config_path == f"n.{flag}"


def test_a_list_root_refuses_partial_and_other_keywords():
    with pytest.raises(InstantiationException, match="not compatible with top-level list") as info:
        instantiate([target("Point")], _partial_=True)
    catchable_three_ways(info.value, TypeError)
    with pytest.raises(ConfigTypeError, match="keyword overrides need a mapping config"):
        instantiate(OmegaConf.create([target("Point")]), x=1)


@pytest.mark.parametrize("config", ["a string", 3, Point])
def test_what_cannot_be_a_config(config):
    if config is Point:  # a dataclass class without _target_ is a data config
        assert instantiate(config) == {"x": None, "y": None, "z": None}
        return
    with pytest.raises(InstantiationException, match="Cannot instantiate config of type") as info:
        instantiate(config)
    catchable_three_ways(info.value, TypeError)


def test_a_broken_interpolation_names_its_key():
    cfg = OmegaConf.create({"other": target("collect", x="${nope}")})
    with pytest.raises(ConfigResolutionError) as info:
        instantiate(cfg.other)
    assert "other.x" in str(info.value) and "Interpolation key 'nope' not found" in str(info.value)


def test_errors_pickle_for_multirun_workers():
    import pickle

    with pytest.raises(InstantiationException) as info:
        instantiate(target("explode"))
    again = pickle.loads(pickle.dumps(info.value))
    assert isinstance(again, InstantiationException) and str(again) == str(info.value)


@pytest.mark.parametrize(
    "first",
    [
        "import hydrareg.instantiation",
        "import hydrareg.instantiation.entry",
        "from hydrareg.instantiation import hydra_style",
        "pass",
    ],
)
def test_the_name_is_the_function_whatever_was_imported_before(first):
    import subprocess
    import sys

    code = (
        f"{first}\nimport inspect, hydrareg\nfrom hydrareg import instantiate\n"
        "assert inspect.isfunction(instantiate) and hydrareg.instantiate is instantiate\n"
        "assert hydrareg.instantiate({'_target_': 'builtins.abs', '_args_': [-2]}) == 2\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
