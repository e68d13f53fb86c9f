"""Registry: construction, registration, lookup through the tree, lazy locations, declared scopes."""

from __future__ import annotations

import collections
import functools
import os.path
import textwrap
import warnings

import pytest
from conftest import write_module

from hydrareg.errors import (
    ConfigTypeError,
    ConfigValueError,
    HydraregError,
    RegistrationError,
    RegistryImportError,
    UnknownScopeWarning,
)
from hydrareg.registry import DefaultScope, Registry, _scopes, build_from_cfg


def make_class(name: str) -> type:
    return type(name, (), {})


# ---------------------------------------------------------------------------- construction


def test_scope_is_inferred_from_the_creating_modules_top_level_package(syspath):
    write_module(syspath, "zzpkg.sub.mod", "from hydrareg.registry import Registry\nREG = Registry('x')\n")
    from zzpkg.sub.mod import REG  # type: ignore[import-not-found]

    assert REG.scope == "zzpkg"


def test_explicit_scope_wins_and_registry_is_a_root_without_parent():
    reg = Registry("model", scope="mine")
    assert (reg.name, reg.scope, reg.parent, reg.root) == ("model", "mine", None, reg)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": 3},
        {"name": "x", "scope": 3},
        {"name": "x", "parent": "not a registry"},
        {"name": "x", "locations": "pkg.mod"},
        {"name": "x", "build_func": 42},
    ],
)
def test_bad_constructor_arguments_raise_typeerror_not_assertion(kwargs):
    with pytest.raises(TypeError) as info:
        Registry(**kwargs)
    assert isinstance(info.value, ConfigTypeError)


def test_children_are_keyed_by_scope_and_a_second_child_with_the_same_scope_is_refused(tree):
    assert tree["pet"].children == {"dog": tree["dog"], "cat": tree["cat"]}
    assert tree["puppy"].root is tree["pet"]
    with pytest.raises(ValueError, match="scope dog exists in animal registry"):
        Registry("animal", parent=tree["pet"], scope="dog")
    assert tree["pet"].children["dog"] is tree["dog"]


def test_build_func_comes_from_the_argument_then_the_parent_then_build_from_cfg():
    def custom(cfg, registry, default_args=None):
        return ("custom", cfg["type"])

    root = Registry("thing", scope="r")
    with_func = Registry("thing", parent=root, scope="a", build_func=custom)
    inherits = Registry("thing", parent=with_func, scope="b")
    assert root.build_func is build_from_cfg
    assert inherits.build_func is custom
    assert inherits.build({"type": "X"}) == ("custom", "X")
    with_func.build_func = build_from_cfg  # copied at construction, as in MMEngine
    assert inherits.build_func is custom


# ---------------------------------------------------------------------------- registration


def test_register_module_forms_return_the_object_unchanged(tree):
    reg = tree["dog"]
    decorated = reg.register_module()(make_class("A"))
    named = reg.register_module(name="Bee")(make_class("B"))
    direct = make_class("C")
    assert reg.register_module(module=direct) is direct
    positional = make_class("D")
    reg.register_module("Dee", False, positional)
    assert reg.module_dict == {"A": decorated, "Bee": named, "C": direct, "Dee": positional}


def test_functions_lambdas_partials_and_callable_instances_register(tree):
    reg = tree["dog"]

    def factory(x=1):
        return x

    class Callable:
        def __call__(self):
            return "called"

    reg.register_module(module=factory)
    reg.register_module(name="double", module=lambda x: 2 * x)
    reg.register_module(name="part", module=functools.partial(factory, x=5))
    reg.register_module(name="inst", module=Callable())
    assert reg.get("factory") is factory
    assert reg.get("double")(3) == 6
    assert reg.get("part")() == 5
    assert reg.get("inst")() == "called"


def test_a_partial_without_a_name_is_a_clear_typeerror(tree):
    with pytest.raises(TypeError, match="cannot infer a name"):
        tree["dog"].register_module(module=functools.partial(print))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"force": 1}, "force must be a boolean"),
        ({"name": 7}, "name must be None, an instance of str, or a sequence of str"),
        ({"name": ["a", 1]}, "name must be None, an instance of str, or a sequence of str"),
    ],
)
def test_register_module_checks_arguments_eagerly(tree, kwargs, message):
    with pytest.raises(TypeError, match=message):
        tree["dog"].register_module(**kwargs)


def test_registering_a_non_callable_is_a_typeerror(tree):
    with pytest.raises(TypeError, match="module must be Callable"):
        tree["dog"].register_module(name="x", module="not callable")


def test_a_name_list_registers_aliases_of_one_object(tree):
    cls = tree["dog"].register_module(name=["Hound", "Beagle"])(make_class("Hound"))
    assert tree["dog"].get("Hound") is tree["dog"].get("Beagle") is cls
    assert len(tree["dog"]) == 2


def test_a_clash_in_a_name_list_registers_nothing(tree):
    """MMEngine keeps the names before the clash registered (mmengine-registry.md #23)."""
    reg = tree["dog"]
    taken = reg.register_module(name="Taken", module=make_class("Taken"))
    with pytest.raises(KeyError, match="Taken is already registered in animal") as info:
        reg.register_module(name=["Fresh", "Taken", "Later"], module=make_class("Other"))
    assert isinstance(info.value, RegistrationError)
    assert reg.module_dict == {"Taken": taken}


def test_registering_the_same_object_again_is_a_no_op(tree):
    cls = make_class("Same")
    tree["dog"].register_module(module=cls)
    tree["dog"].register_module(module=cls)
    assert tree["dog"].module_dict == {"Same": cls}


def test_a_different_object_under_a_taken_name_needs_force(tree):
    first, second = make_class("Dup"), make_class("Dup")
    tree["dog"].register_module(module=first)
    with pytest.raises(RegistrationError, match=r"Dup is already registered in animal at .*test_registry"):
        tree["dog"].register_module(module=second)
    assert tree["dog"].get("Dup") is first
    tree["dog"].register_module(module=second, force=True)
    assert tree["dog"].get("Dup") is second


def test_an_empty_name_list_is_an_error_rather_than_silently_nothing(tree):
    with pytest.raises(ValueError, match="empty name list"):
        tree["dog"].register_module(name=[], module=make_class("X"))
    assert len(tree["dog"]) == 0


def test_a_child_may_reuse_a_parents_name_and_the_nearest_wins(tree):
    root_cls = tree["pet"].register_module(name="Shared", module=make_class("RootShared"))
    dog_cls = tree["dog"].register_module(name="Shared", module=make_class("DogShared"))
    assert tree["puppy"].get("Shared") is dog_cls
    assert tree["cat"].get("Shared") is root_cls


# ---------------------------------------------------------------------------- lookup


@pytest.fixture
def populated(tree):
    classes = {}
    for scope, name in [("pet", "RootOnly"), ("dog", "Hound"), ("cat", "Tabby"), ("puppy", "Pup")]:
        classes[name] = tree[scope].register_module(module=make_class(name))
    return tree, classes


def test_get_rejects_non_string_keys(tree):
    with pytest.raises(TypeError, match="must be a str"):
        tree["dog"].get(3)  # type: ignore[arg-type]


def test_unprefixed_names_are_searched_in_the_registry_then_its_ancestors_only(populated):
    tree, classes = populated
    assert tree["puppy"].get("Pup") is classes["Pup"]
    assert tree["puppy"].get("Hound") is classes["Hound"]
    assert tree["puppy"].get("RootOnly") is classes["RootOnly"]
    assert tree["dog"].get("Pup") is None  # children are never searched without a prefix
    assert tree["dog"].get("Tabby") is None  # nor siblings


def test_a_prefix_naming_the_own_scope_still_falls_back_to_the_parents(populated):
    """MMEngine searches only the registry itself (mmengine-registry.md #13, mmdetection#10112)."""
    tree, classes = populated
    assert tree["dog"].get("dog.RootOnly") is classes["RootOnly"]
    assert tree["dog"].get("dog.Hound") is classes["Hound"]


def test_prefixes_reach_children_siblings_the_root_and_chain(populated):
    tree, classes = populated
    assert tree["pet"].get("dog.Hound") is classes["Hound"]
    assert tree["dog"].get("cat.Tabby") is classes["Tabby"]
    assert tree["puppy"].get("pet.RootOnly") is classes["RootOnly"]
    assert tree["pet"].get("dog.puppy.Pup") is classes["Pup"]
    assert tree["pet"].get("dog.RootOnly") is classes["RootOnly"]  # the child climbs back up


def test_a_prefix_reaches_a_grandchild_from_anywhere_in_the_tree(populated):
    """MMEngine finds ``puppy.Pup`` only from ``dog`` (mmengine-registry.md #14d)."""
    tree, classes = populated
    assert tree["pet"].get("puppy.Pup") is classes["Pup"]
    assert tree["cat"].get("puppy.Pup") is classes["Pup"]


def test_scope_aliases_answer_to_either_prefix():
    root = Registry("model", scope="root")
    cls_reg = Registry("model", parent=root, scope="mmcls", scope_aliases=("mmpretrain",))
    net = cls_reg.register_module(module=make_class("ConvNeXt"))
    assert root.get("mmpretrain.ConvNeXt") is net
    assert root.get("mmcls.ConvNeXt") is net
    assert cls_reg.get("mmpretrain.ConvNeXt") is net
    assert cls_reg.scope_names == {"mmcls", "mmpretrain"}


def test_a_name_registered_with_a_dot_is_reachable_as_written(tree):
    cls = tree["dog"].register_module(name="a.b", module=make_class("AB"))
    assert tree["dog"].get("a.b") is cls
    assert tree["dog"].get("dog.a.b") is cls


@pytest.mark.parametrize("key", ["", ".Foo", "Foo.", "nosuchscope.Foo", "a..b"])
def test_malformed_or_unknown_keys_are_a_plain_miss(tree, key):
    assert tree["dog"].get(key) is None
    assert key not in tree["dog"]


def test_full_dotted_paths_return_classes_and_functions(tree):
    assert tree["dog"].get("collections.OrderedDict") is collections.OrderedDict
    assert tree["dog"].get("os.path.join") is os.path.join
    assert "collections.OrderedDict" in tree["dog"]


def test_modules_are_never_in_a_registry(tree):
    """MMEngine returns the module for ``'json'`` or ``'os.path'`` (mmengine-registry.md #15)."""
    assert tree["dog"].get("json") is None
    assert "json" not in tree["dog"]
    assert tree["dog"].get("os.path") is None


def test_a_dotted_path_whose_module_breaks_on_import_names_the_key(tree, syspath):
    write_module(syspath, "brokenlib.models", "import not_installed_dependency\nclass Net: pass\n")
    with pytest.raises(ImportError) as info:
        tree["dog"].get("brokenlib.models.Net")
    assert isinstance(info.value, RegistryImportError)
    assert "brokenlib.models.Net" in str(info.value)
    assert "not_installed_dependency" in str(info.value)


def test_a_dotted_path_to_a_missing_module_is_a_plain_miss(tree):
    assert tree["dog"].get("surely_not_a_module_xyz.Thing") is None


def test_len_repr_contains(populated):
    tree, classes = populated
    tree["dog"].register_module(name="Alias", module=classes["Hound"])
    assert len(tree["dog"]) == 2  # aliases count, parents do not
    text = repr(tree["dog"])
    assert text.splitlines()[0] == "Registry of animal (scope=dog, parent=pet::animal, 2 modules)"
    assert "Alias" in text and "Hound" in text and "test_registry" in text
    assert "Hound" in tree["dog"] and "RootOnly" in tree["dog"] and "Tabby" not in tree["dog"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("a.b.C", ("a", "b.C")),
        ("ResNet", (None, "ResNet")),
        (".x", ("", "x")),
        ("x.", ("x", "")),
        ("", (None, "")),
    ],
)
def test_split_scope_key_splits_at_the_first_dot(key, expected):
    assert Registry.split_scope_key(key) == expected


# ---------------------------------------------------------------------------- lazy locations


def _counting_location(root, module: str, registry_expr: str, name: str) -> None:
    write_module(
        root,
        module,
        textwrap.dedent(
            f"""
            import builtins
            builtins.LOCATION_IMPORTS = getattr(builtins, "LOCATION_IMPORTS", 0) + 1
            from tests_support_registry import {registry_expr} as REG
            @REG.register_module()
            class {name}:
                pass
            """
        ),
    )


@pytest.fixture
def located(syspath, monkeypatch):
    """A tree whose root and child import ``locations`` modules written in a temporary package."""
    import builtins
    import sys
    import types

    monkeypatch.setattr(builtins, "LOCATION_IMPORTS", 0, raising=False)
    root = Registry("thing", scope="lroot", locations=["lazylib.root_models"])
    child = Registry("thing", parent=root, scope="lchild", locations=["lazylib.child_models"])
    support = types.ModuleType("tests_support_registry")
    support.ROOT, support.CHILD = root, child
    monkeypatch.setitem(sys.modules, "tests_support_registry", support)
    _counting_location(syspath, "lazylib.root_models", "ROOT", "RootLazy")
    _counting_location(syspath, "lazylib.child_models", "CHILD", "ChildLazy")
    return root, child


def test_locations_are_imported_on_first_lookup_only(located):
    import builtins

    _, child = located
    assert len(child) == 0 and child.module_dict == {} and builtins.LOCATION_IMPORTS == 0
    assert child.get("ChildLazy") is not None
    assert builtins.LOCATION_IMPORTS == 1
    child.get("ChildLazy")
    "ChildLazy" in child  # noqa: B015
    assert builtins.LOCATION_IMPORTS == 1


def test_falling_back_to_the_parent_imports_the_parents_locations(located):
    """MMEngine reads the parent's dict directly and misses lazily registered classes (#12)."""
    _, child = located
    assert child.get("RootLazy") is not None


def test_a_prefixed_lookup_imports_the_target_scopes_locations(located):
    root, _ = located
    assert root.get("lchild.ChildLazy") is not None


def test_a_failing_location_is_a_clear_importerror_and_is_retried(tree, syspath):
    reg = Registry("thing", scope="broken", locations=["brokenloc.models"])
    write_module(syspath, "brokenloc.models", "raise RuntimeError('boom in models')\n")
    for _ in range(2):
        with pytest.raises(ImportError) as info:
            reg.get("Anything")
        assert isinstance(info.value, RegistryImportError)
        assert "brokenloc.models" in str(info.value) and "broken::thing" in str(info.value)
        assert "boom in models" in str(info.value)


# ---------------------------------------------------------------------------- declared scopes


@pytest.fixture
def declared_scope(syspath):
    """An installed-looking package declaring scope 'zzdeclared' through the entry-point group."""
    dist = syspath / "zzdeclared_dist-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: zzdeclared-dist\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{_scopes.ENTRY_POINT_GROUP}]\nzzdeclared = zzdeclared.registry\n"
    )
    write_module(
        syspath,
        "zzdeclared.registry",
        "from hydrareg.registry import FUNCTIONS, Registry\n"
        "REG = Registry('function', parent=FUNCTIONS, scope='zzdeclared')\n"
        "@REG.register_module()\n"
        "def declared_function():\n    return 'declared'\n",
    )
    _scopes.forget_declared_scopes()
    yield
    from hydrareg.registry import FUNCTIONS

    FUNCTIONS.children.pop("zzdeclared", None)
    FUNCTIONS._scope_index.pop("zzdeclared", None)
    _scopes.forget_declared_scopes()


def test_a_declared_scope_is_loaded_on_first_use_of_its_prefix(declared_scope):
    import sys

    from hydrareg.registry import FUNCTIONS

    assert "zzdeclared.registry" not in sys.modules
    function = FUNCTIONS.get("zzdeclared.declared_function")
    assert function is not None and function() == "declared"
    assert "zzdeclared" in FUNCTIONS.children


def test_an_undeclared_prefix_imports_nothing(tree, monkeypatch):
    import importlib

    imported = []
    real = importlib.import_module
    monkeypatch.setattr(importlib, "import_module", lambda name, *a: imported.append(name) or real(name, *a))
    assert tree["dog"].get("mmnotalib.Thing") is None
    assert not any(name.endswith(".registry") for name in imported)


# ---------------------------------------------------------------------------- switch_scope_and_registry


def test_switch_scope_and_registry_yields_the_scopes_node_and_restores(populated):
    tree, _ = populated
    with tree["dog"].switch_scope_and_registry("cat") as registry:
        assert registry is tree["cat"]
        assert DefaultScope.get_current_instance().scope_name == "cat"
        with tree["dog"].switch_scope_and_registry("puppy") as inner:
            assert inner is tree["puppy"]
        assert DefaultScope.get_current_instance().scope_name == "cat"
    assert DefaultScope.get_current_instance() is None


def test_switch_with_none_follows_the_current_default_scope(populated):
    tree, _ = populated
    with tree["pet"].switch_scope_and_registry(None) as registry:
        assert registry is tree["pet"]
    DefaultScope.get_instance("test-switch", scope_name="cat")
    with tree["pet"].switch_scope_and_registry(None) as registry:
        assert registry is tree["cat"]


def test_switching_to_an_unknown_scope_warns_and_uses_the_called_registry(populated):
    tree, _ = populated
    with (
        pytest.warns(UnknownScopeWarning, match="no registry with scope 'nowhere'"),
        tree["dog"].switch_scope_and_registry("nowhere") as registry,
    ):
        assert registry is tree["dog"]
        assert DefaultScope.get_current_instance().scope_name == "nowhere"


def test_switch_restores_the_scope_when_the_block_raises(populated):
    tree, _ = populated
    with pytest.raises(RuntimeError), tree["dog"].switch_scope_and_registry("cat"):
        raise RuntimeError("inside")
    assert DefaultScope.get_current_instance() is None


def test_every_registry_error_is_a_hydrareg_error(tree):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for call in (lambda: Registry(1), lambda: tree["dog"].register_module(force="yes")):
            with pytest.raises(HydraregError):
                call()
    assert issubclass(ConfigValueError, ValueError)


# ---------------------------------------------------------------------------- pickling


def test_registries_of_the_root_trees_pickle_by_reference():
    """A task function shipped to a worker by value must still see the worker's live registry."""
    import pickle

    from hydrareg.registry import MODELS, TRANSFORMS

    assert pickle.loads(pickle.dumps(MODELS)) is MODELS
    child = Registry("transform", parent=TRANSFORMS, scope="zzpickle")
    try:
        assert pickle.loads(pickle.dumps(child)) is child
    finally:
        TRANSFORMS.children.pop("zzpickle")
        TRANSFORMS._scope_index.pop("zzpickle")


def test_other_registries_pickle_by_value(tree):
    import pickle

    tree["dog"].register_module(name="Counter", module=collections.Counter)
    copied = pickle.loads(pickle.dumps(tree["dog"]))
    assert copied is not tree["dog"] and copied.get("Counter") is collections.Counter


def test_unpickling_a_registry_whose_scope_is_gone_is_a_clear_valueerror():
    import pickle

    from hydrareg.registry import TRANSFORMS

    child = Registry("transform", parent=TRANSFORMS, scope="zzgone")
    blob = pickle.dumps(child)
    TRANSFORMS.children.pop("zzgone")
    TRANSFORMS._scope_index.pop("zzgone")
    with pytest.raises(ValueError, match="no registry with scope 'zzgone' in this process"):
        pickle.loads(blob)
