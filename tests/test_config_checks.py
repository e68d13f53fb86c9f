"""Bad inputs get a hydrareg error naming the config path, nothing half-built, and the input unchanged."""

from __future__ import annotations

import copy
import inspect
import itertools
import json
import sys
import warnings

import pytest
from omegaconf import DictConfig, OmegaConf

from hydrareg import instantiate
from hydrareg.config_checks import MAX_DEPTH
from hydrareg.configdict import to_config_tree
from hydrareg.errors import (
    BuildArgumentError,
    ConfigKeyError,
    ConfigTypeError,
    ConfigValueError,
    HydraregError,
    UnknownScopeWarning,
)
from hydrareg.registry import Registry, build_from_cfg
from hydrareg.registry import current_scope_name as scope_now
from hydrareg.registry.manager import ManagerMixin
from hydrareg.resolvers import import_custom_modules

BUILT: list[object] = []


@pytest.fixture
def reg() -> Registry:
    BUILT.clear()
    root = Registry("part", scope="chkroot")
    Registry("part", parent=root, scope="chkchild")

    @root.register_module()
    class Part:
        def __init__(self, size: int = 1, child=None) -> None:
            self.size, self.child = size, child
            BUILT.append(self)

    @root.register_module()
    class Chain:
        """Builds its child itself, MMEngine style."""

        def __init__(self, child=None) -> None:
            self.child = root.build(child) if child is not None else None

    @root.register_module()
    class Named(ManagerMixin):
        def __init__(self, name: str = "", size: int = 1) -> None:
            super().__init__(name)
            self.size = size

    return root


def both(cfg):
    return [cfg, OmegaConf.create(cfg)]


def raises_unchanged(cfg, error, registry, match=None):
    """Build ``cfg`` expecting ``error``; the input is unchanged and nothing was built."""
    before = copy.deepcopy(cfg) if isinstance(cfg, dict) else OmegaConf.to_container(cfg)
    scope = scope_now()
    with pytest.raises(error, match=match) as info:
        instantiate(cfg, registry=registry)
    after = cfg if isinstance(cfg, dict) else OmegaConf.to_container(cfg)
    assert after == before
    assert scope_now() == scope
    return info.value


# ------------------------------------------------------------------------------------ non-string keys


def test_non_string_keys_of_a_built_node_are_a_type_error_with_the_path(reg):
    for cfg in both({"model": {"type": "Part", 7: "x"}}):
        error = raises_unchanged(cfg, ConfigTypeError, reg, match="must be strings")
        assert "model.7" in str(error)
    assert BUILT == []


@pytest.mark.parametrize("node", [{"_target_": "builtins.dict", 7: "x"}])
def test_non_string_keys_of_targets_and_partials_too(reg, node):
    for cfg in both({"m": node}):
        raises_unchanged(cfg, ConfigTypeError, reg, match=r"m\.7")


def test_non_string_keys_in_data_are_data(reg):
    assert instantiate({"classes": {0: "cat", 1: "dog"}}, registry=reg) == {"classes": {0: "cat", 1: "dog"}}


def test_a_misspelt_argument_next_to_a_non_string_key_still_gets_suggestions(reg):
    with pytest.raises(BuildArgumentError, match="did you mean"):
        build_from_cfg({"type": "Part", "sise": 1}, reg)


# ------------------------------------------------------------------------------------ cycles and depth


def test_a_self_referencing_dict_is_a_value_error_naming_both_paths(reg):
    cfg = {"model": {"type": "Part"}}
    cfg["model"]["child"] = cfg["model"]
    with pytest.raises(ConfigValueError, match="refers to itself") as info:
        instantiate(cfg, registry=reg)
    assert "model.child" in str(info.value) and BUILT == []


def test_a_self_referencing_list_too(reg):
    items: list = [1]
    items.append(items)
    with pytest.raises(ConfigValueError, match=r"items\[1\]"):
        instantiate({"items": items}, registry=reg)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 300, 500])
def test_data_nested_deeper_than_the_limit_is_an_error_not_a_recursion_error(reg, depth):
    cfg: dict = {}
    node = cfg
    for _ in range(depth):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(ConfigValueError, match=f"deeper than {MAX_DEPTH} levels") as info:
        instantiate(cfg, registry=reg)
    assert info.value.config_path.startswith("a.a.a")


BILLION_LAUGHS = """
a: &a [1, 2]
b: &b [*a, *a]
c: &c [*b, *b]
d: &d [*c, *c]
"""  # each line doubles; the test goes on to 40 levels, 2**40 lists from 41 objects


def test_a_config_that_expands_without_end_is_refused_at_once(reg):
    import subprocess

    code = f"""
import time, yaml
from hydrareg import instantiate
from hydrareg.errors import ConfigValueError
text = {BILLION_LAUGHS!r} + "".join(f"l{{i}}: &l{{i}} [*{{p}}, *{{p}}]\\n" for i, p in
    zip(range(40), ["d", *[f"l{{i}}" for i in range(39)]]))
cfg = yaml.safe_load(text)
started = time.perf_counter()
try:
    instantiate({{"type": "Part", "data": cfg}})
except ConfigValueError as exc:
    assert "expands to more than 1,000,000 dicts and lists" in str(exc), exc
    assert exc.config_path.startswith("data"), exc.config_path
    assert time.perf_counter() - started < 5
else:
    raise AssertionError("built")
deep = {{}}
node = deep
for _ in range(120):
    node["a"] = {{}}
    node = node["a"]
# the nesting error met first must not walk the expansion either (looking for a cycle)
for both in ({{"deep": deep, "data": cfg}}, {{"data": cfg, "deep": deep}}):
    try:
        instantiate(both)
    except ConfigValueError as exc:
        assert "deeper than" in str(exc) or "expands to" in str(exc), exc
    else:
        raise AssertionError("built")
assert time.perf_counter() - started < 10
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_a_node_shared_a_few_times_builds_as_a_copy_per_reference(reg):
    pipeline = [{"name": "Load"}, {"name": "Resize", "scale": [640, 640]}]  # a YAML anchor, reused
    cfg = {"train": {"pipeline": pipeline}, "val": {"pipeline": pipeline}, "test": {"pipeline": pipeline}}
    built = instantiate(cfg, registry=reg)
    assert built["train"]["pipeline"] == built["val"]["pipeline"] == pipeline
    assert built["train"]["pipeline"] is not built["val"]["pipeline"]
    assert cfg["train"]["pipeline"] is cfg["val"]["pipeline"]  # the input is unchanged


def test_a_shared_node_met_again_deeper_than_the_limit_is_too_deep(reg):
    shared: dict = {}
    node = shared
    for _ in range(MAX_DEPTH // 2):
        node["a"] = {}
        node = node["a"]
    deep: dict = {"first": shared}  # fine here, half the limit
    node = deep
    for _ in range(MAX_DEPTH // 2):
        node["b"] = {}
        node = node["b"]
    node["again"] = shared  # the same node, half the limit further down: past the limit
    with pytest.raises(ConfigValueError, match=f"deeper than {MAX_DEPTH} levels") as info:
        instantiate(deep, registry=reg)
    assert info.value.config_path.startswith("b.b.b") and info.value.config_path.endswith(".again")


def test_a_config_at_the_limit_builds(reg):
    cfg: dict = {"type": "Part"}
    node = cfg
    for _ in range(MAX_DEPTH - 2):
        node["child"] = {"type": "Part"}
        node = node["child"]
    assert instantiate(cfg, registry=reg).size == 1


def test_a_dictconfig_too_deep_for_the_stack_is_an_error_too(reg):
    """OmegaConf recurses several frames per level: a DictConfig made on a short stack can still be too
    deep to resolve on a longer one (simulated with a lower recursion limit)."""
    deep = "x"
    for _ in range(60):
        deep = {"a": deep}
    cfg = OmegaConf.create(deep)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 80)
    try:
        with pytest.raises(ConfigValueError, match="recursion limit"):
            to_config_tree(cfg)
    finally:
        sys.setrecursionlimit(limit)


def test_a_long_chain_of_constructors_gives_one_note_not_one_per_level(reg):
    cfg: dict = {"type": "Part", "size": "not an int"}
    for _ in range(60):
        cfg = {"type": "Chain", "child": cfg}

    @reg.register_module(force=True)
    class Part:
        def __init__(self, size: int = 1) -> None:
            raise ValueError(f"size {size!r}")

    path = ".".join(["child"] * 60)
    for form in both(cfg):
        with pytest.raises(ValueError, match="size 'not an int'") as info:
            instantiate(form, registry=reg)
        notes = getattr(info.value, "__notes__", [])
        assert len(notes) == 1, notes
        assert notes[0].startswith("while building ") and notes[0].endswith(" from config path " + path)


# ------------------------------------------------------------------------------------ type and _target_


def test_type_with_target_is_an_error_where_the_registry_builds_the_node(reg):
    """(``instantiate`` itself builds such a node as a ``_target_`` with a ``type`` argument: see README.)"""
    node = {"type": "Part", "_target_": "builtins.dict"}
    for cfg in both({"type": "Chain", "child": node}):  # built by its parent's constructor
        error = raises_unchanged(cfg, ConfigValueError, reg, match=r"both 'type' and '_target_'")
        assert "child" in str(error)
    with pytest.raises(ConfigValueError, match="both"):  # built by the registry directly
        build_from_cfg(node, reg)
    assert BUILT == []


# ------------------------------------------------------------------------------------ scope names


@pytest.mark.parametrize("key", ["_scope_", "default_scope"])
@pytest.mark.parametrize("bad", ["", "  ", " chkchild"])
def test_an_empty_scope_name_is_an_error(reg, key, bad):
    for cfg in both({key: bad, "type": "Part"}):
        error = raises_unchanged(cfg, ConfigValueError, reg, match="non-empty name")
        assert key in str(error)


@pytest.mark.parametrize(
    "cfg",
    [
        {"default_scope": "nosuch", "m": {"type": "Part"}},
        {"m": {"_scope_": "nosuch", "type": "Part"}},
        {"m": {"_scope_": "nosuch", "_target_": "builtins.dict"}},
        {"m": {"_scope_": "nosuch", "data": 1}},
    ],
)
def test_an_unknown_scope_name_warns_once_and_builds_with_the_called_registry(reg, cfg):
    # a scope name never used before: the warning comes once per scope and registry tree
    for count, form in enumerate(both(cfg)):
        name = f"nosuch{count}_{next(_FRESH)}"
        form = (
            OmegaConf.create(OmegaConf.to_yaml(form).replace("nosuch", name))
            if isinstance(form, DictConfig)
            else json.loads(json.dumps(form).replace("nosuch", name))
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            built = instantiate(form, registry=reg)
        assert built["m"] is not None
        unknown = [str(w.message) for w in caught if issubclass(w.category, UnknownScopeWarning)]
        assert len(unknown) == 1, unknown
        assert f"'{name}'" in unknown[0]


_FRESH = itertools.count()


def test_a_scope_name_that_is_not_a_string_is_a_type_error(reg):
    for cfg in both({"m": {"_scope_": 3, "type": "Part"}}):
        raises_unchanged(cfg, ConfigTypeError, reg, match=r"m\._scope_")


# ------------------------------------------------------------------------------------ custom_imports shapes


@pytest.mark.parametrize(
    ("value", "error", "where"),
    [
        ({"imports": 5}, ConfigTypeError, "custom_imports.imports"),
        ({"imports": ["json"], "allow_failed_imports": "no"}, ConfigTypeError, "allow_failed_imports"),
        ({"imports": [5]}, ConfigTypeError, r"custom_imports.imports\[0\]"),
        ({"modules": ["json"]}, ConfigTypeError, "custom_imports"),
        (["json", ""], ConfigValueError, r"custom_imports\[1\]"),
        (["json", "not a module"], ConfigValueError, r"custom_imports\[1\]"),
        (5, ConfigTypeError, "custom_imports"),
    ],
)
def test_wrong_shapes_of_custom_imports_are_hydrareg_errors_with_the_path(value, error, where):
    for cfg in both({"custom_imports": value}):
        with pytest.raises(error, match=where):
            import_custom_modules(cfg)


def test_a_module_that_raises_while_importing_is_a_custom_import_error(syspath):
    from conftest import write_module

    from hydrareg.errors import CustomImportError

    write_module(syspath, "chk_raises", "raise RuntimeError('boom at import')\n")
    with pytest.raises(CustomImportError, match="RuntimeError: boom at import"):
        import_custom_modules({"custom_imports": ["chk_raises"]})


# ------------------------------------------------------------------------------------ ManagerMixin


def test_a_manager_class_without_a_name_is_a_key_error_with_the_path(reg):
    for cfg in both({"m": {"type": "Named", "size": 2}}):
        error = raises_unchanged(cfg, ConfigKeyError, reg, match="needs a 'name'")
        assert "m.name" in str(error)
    for cfg in both({"m": {"type": "Named", "name": 3}}):
        raises_unchanged(cfg, ConfigTypeError, reg, match=r"m\.name")


def test_a_manager_class_with_a_bad_argument_names_the_path_and_registers_nothing(reg):
    named = reg.get("Named")
    with pytest.raises(BuildArgumentError, match=r"m\.sise"):
        instantiate({"m": {"type": "Named", "name": "chk", "sise": 2}}, registry=reg)
    assert not named.check_instance_created("chk")
    built = instantiate({"m": {"type": "Named", "name": "chk", "size": 2}}, registry=reg)["m"]
    assert built is named.get_instance("chk") and built.size == 2


def test_every_error_here_is_a_hydrareg_error():
    assert all(issubclass(cls, HydraregError) for cls in (ConfigTypeError, ConfigValueError, ConfigKeyError))
    assert to_config_tree({"a": [1, {"b": 2}]}, "root") == {"a": [1, {"b": 2}]}
