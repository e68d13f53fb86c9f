"""use_scope: the one scope switch (validate, warn once, switch, mirror, restore in reverse order)."""

from __future__ import annotations

import threading
import warnings

import pytest
from omegaconf import OmegaConf

from hydrareg import instantiate
from hydrareg.errors import ConfigTypeError, UnknownScopeWarning
from hydrareg.registry import Registry, current_scope_name, use_scope
from hydrareg.registry import scope as scope_module


@pytest.fixture
def tree():
    root = Registry("thing", scope="sroot")
    lib = Registry("thing", parent=root, scope="slib")

    @lib.register_module()
    class Probe:
        def __init__(self, **kwargs):
            self.scope = current_scope_name()

    return root, lib


def test_switches_for_the_block_and_restores():
    assert current_scope_name() is None
    with use_scope("slib"):
        assert current_scope_name() == "slib"
        with use_scope("other"):
            assert current_scope_name() == "other"
        assert current_scope_name() == "slib"
    assert current_scope_name() is None


def test_none_changes_nothing():
    with use_scope("outer"), use_scope(None):
        assert current_scope_name() == "outer"


def test_restores_when_the_block_raises():
    with pytest.raises(KeyError), use_scope("slib"):
        raise KeyError("inside")
    assert current_scope_name() is None


def test_a_scope_that_is_not_a_name_is_a_typeerror_naming_the_path_and_switches_nothing():
    with (
        pytest.raises(ConfigTypeError, match="_scope_ must be a str") as info,
        use_scope(3, path="model.neck"),
    ):
        pass
    assert info.value.config_path == "model.neck._scope_"
    assert current_scope_name() is None


def test_an_unknown_scope_warns_once_per_tree_and_still_switches(tree):
    root, _ = tree
    with (
        pytest.warns(UnknownScopeWarning, match="no registry with scope 'nowhere' in the sroot::thing"),
        use_scope("nowhere", root),
    ):
        assert current_scope_name() == "nowhere"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with use_scope("nowhere", root):
            pass
    other = Registry("thing", scope="sother")
    with pytest.warns(UnknownScopeWarning), use_scope("nowhere", other):
        pass


def test_a_known_scope_does_not_warn(tree):
    root, _ = tree
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with use_scope("slib", root):
            pass


class RecordingMirror:
    """A second library's default scope, as the MMEngine bridge provides one (the extension point)."""

    def __init__(self, fail_on=None):
        self.stack, self.log, self.fail_on = [], [], fail_on

    def push(self, scope):
        if scope == self.fail_on:
            raise RuntimeError("mirror refused")
        self.stack.append(scope)
        self.log.append(("push", scope))
        return len(self.stack)

    def pop(self, handle):
        assert handle == len(self.stack), "pops come in reverse order"
        self.log.append(("pop", self.stack.pop()))

    def current(self):
        return self.stack[-1] if self.stack else None


@pytest.fixture
def mirror():
    mirror = RecordingMirror(fail_on="refused")
    previous = scope_module.install_mirror(mirror)
    yield mirror
    scope_module.install_mirror(previous)


def test_every_switch_is_mirrored_and_undone_in_reverse_order_also_on_errors(mirror, tree):
    root, _ = tree
    cfg = {"type": "slib.Probe", "_scope_": "slib", "child": {"type": "Probe", "_scope_": "sroot"}}
    for wrap in (dict, OmegaConf.create):
        mirror.log.clear()
        built = instantiate(wrap({"default_scope": "sroot", "model": cfg}), registry=root)
        assert built["model"].scope == "slib"
        assert mirror.log == [("push", "sroot"), ("push", "slib"), ("pop", "slib"), ("pop", "sroot")]
    mirror.log.clear()
    with pytest.raises(ValueError), use_scope("slib", root), use_scope("sroot", root):
        raise ValueError("inside")
    assert mirror.log == [("push", "slib"), ("push", "sroot"), ("pop", "sroot"), ("pop", "slib")]
    assert mirror.stack == [] and current_scope_name() is None


def test_a_mirror_that_fails_leaves_both_scopes_as_they_were(mirror):
    with use_scope("outer"):
        with pytest.raises(RuntimeError, match="mirror refused"), use_scope("refused"):
            pass
        assert current_scope_name() == "outer" and mirror.stack == ["outer"]
    assert mirror.stack == []


def test_without_a_switch_of_its_own_a_context_sees_the_mirrors_scope(mirror):
    mirror.stack.append("from-mmengine")
    seen = []
    thread = threading.Thread(target=lambda: seen.append(current_scope_name()))
    thread.start()
    thread.join(timeout=60)
    assert seen == ["from-mmengine"]
    with use_scope("mine"):
        assert current_scope_name() == "mine"
    mirror.stack.clear()


def test_a_switch_stays_private_to_its_thread():
    """hydrareg's own guarantee; with MMEngine joined, its global scope is shared (README: threads)."""
    previous = scope_module.install_mirror(None)
    seen = []
    with use_scope("main-only"):
        thread = threading.Thread(target=lambda: seen.append(current_scope_name()))
        thread.start()
        thread.join(timeout=60)
    scope_module.install_mirror(previous)
    assert seen == [None]
