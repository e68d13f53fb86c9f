"""DefaultScope: MMEngine's named instances, with a per-context current scope (threads, asyncio)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from hydrareg.errors import ConfigTypeError
from hydrareg.registry import DefaultScope, Registry, init_default_scope


def test_no_scope_until_one_is_created():
    assert DefaultScope.get_current_instance() is None


def test_get_instance_creates_once_and_the_newest_is_current():
    first = DefaultScope.get_instance("ds-a", scope_name="mmdet")
    second = DefaultScope.get_instance("ds-b", scope_name="mmcls")
    assert DefaultScope.get_current_instance() is second
    assert DefaultScope.get_instance("ds-a") is first
    assert DefaultScope.get_current_instance() is second  # getting an old one does not switch
    assert DefaultScope.check_instance_created("ds-a")
    assert not DefaultScope.check_instance_created("ds-never")


def test_existing_instance_ignores_new_arguments_with_a_warning():
    DefaultScope.get_instance("ds-keep", scope_name="mmdet")
    with pytest.warns(UserWarning, match="already exists"):
        kept = DefaultScope.get_instance("ds-keep", scope_name="mmcls")
    assert kept.scope_name == "mmdet"


def test_a_failed_construction_raises_typeerror_and_never_deadlocks_other_threads():
    """MMEngine leaves its lock held after this error; every later build in another thread hangs (#44)."""
    with pytest.raises(TypeError) as info:
        DefaultScope.get_instance("ds-broken", scope_name=None)
    assert isinstance(info.value, ConfigTypeError)
    assert not DefaultScope.check_instance_created("ds-broken")
    results = []

    def other_thread():
        results.append(DefaultScope.get_instance("ds-after", scope_name="mmdet").scope_name)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive() and results == ["mmdet"]


def test_overwrite_switches_and_restores_the_same_object():
    """MMEngine restores a deep copy of its instance dict (#43)."""
    original = DefaultScope.get_instance("ds-orig", scope_name="mmdet")
    with DefaultScope.overwrite_default_scope("mmcls"):
        assert DefaultScope.get_current_instance().scope_name == "mmcls"
        with DefaultScope.overwrite_default_scope(None):
            assert DefaultScope.get_current_instance().scope_name == "mmcls"
    assert DefaultScope.get_current_instance() is original


def test_overwrite_restores_when_the_block_raises():
    DefaultScope.get_instance("ds-raise", scope_name="mmdet")
    with pytest.raises(ValueError), DefaultScope.overwrite_default_scope("mmcls"):
        raise ValueError("inside")
    assert DefaultScope.get_current_instance().scope_name == "mmdet"


def test_instances_created_inside_an_overwrite_survive_it():
    """MMEngine throws away DefaultScopes created during a ``_scope_`` build (#43)."""
    with DefaultScope.overwrite_default_scope("mmcls"):
        DefaultScope.get_instance("ds-inner", scope_name="mmtrack")
    assert DefaultScope.check_instance_created("ds-inner")


def test_a_fresh_thread_sees_the_process_wide_newest_scope_but_not_a_temporary_switch():
    DefaultScope.get_instance("ds-main", scope_name="mmdet")
    seen = []
    with DefaultScope.overwrite_default_scope("mmcls"):
        thread = threading.Thread(target=lambda: seen.append(DefaultScope.get_current_instance().scope_name))
        thread.start()
        thread.join()
    assert seen == ["mmdet"]


def test_threads_calling_init_default_scope_keep_their_own_scope():
    """mmpose#2044: with MMEngine, threads that each call init_default_scope corrupt each other."""
    barrier = threading.Barrier(4)

    def worker(scope: str) -> list[str]:
        init_default_scope(scope)
        barrier.wait()
        return [DefaultScope.get_current_instance().scope_name for _ in range(200)]

    with ThreadPoolExecutor(4) as pool:
        results = dict(zip("abcd", pool.map(worker, [f"scope-{c}" for c in "abcd"]), strict=True))
    for letter, seen in results.items():
        assert set(seen) == {f"scope-{letter}"}


def test_concurrent_scope_builds_in_threads_never_see_each_others_scope():
    """8 threads build thousands of times with different ``_scope_``s: zero wrong classes."""
    root = Registry("thing", scope="stress-root")
    scopes = [f"lib{index}" for index in range(8)]
    classes = {}
    for scope in scopes:
        child = Registry("thing", parent=root, scope=scope)
        classes[scope] = child.register_module(name="Part", module=type(f"Part_{scope}", (), {}))

    def nested(scope):
        # builds inside the scope's own builds resolve the unprefixed name in the switched scope
        return root.build({"type": "Part"})

    outer = {}
    for scope in scopes:
        outer[scope] = root.children[scope].register_module(
            name="Outer", module=lambda scope=scope: nested(scope)
        )
    barrier = threading.Barrier(len(scopes))

    def worker(scope: str) -> int:
        barrier.wait()
        wrong = 0
        for _ in range(2000):
            built = root.build({"type": "Outer", "_scope_": scope})
            wrong += type(built) is not classes[scope]
        return wrong

    with ThreadPoolExecutor(len(scopes)) as pool:
        wrong = sum(pool.map(worker, scopes))
    assert wrong == 0
    assert DefaultScope.get_current_instance() is None


def test_asyncio_tasks_keep_their_own_scope_across_awaits():
    async def task(scope: str, delay: float) -> list[str]:
        seen = []
        with DefaultScope.overwrite_default_scope(scope):
            for _ in range(5):
                await asyncio.sleep(delay)
                seen.append(DefaultScope.get_current_instance().scope_name)
        return seen

    async def main():
        return await asyncio.gather(task("mmdet", 0.001), task("mmcls", 0.0015))

    det, cls = asyncio.run(main())
    assert set(det) == {"mmdet"} and set(cls) == {"mmcls"}


def test_init_default_scope_follows_mmengine(caplog):
    init_default_scope("mmdet")
    assert DefaultScope.get_current_instance().scope_name == "mmdet"
    init_default_scope("mmdet")  # nothing to do
    assert len(DefaultScope._instances) >= 1
    DefaultScope.get_instance("other", scope_name="mmcls")
    with caplog.at_level("WARNING", logger="hydrareg"):
        init_default_scope("mmdet")
    assert DefaultScope.get_current_instance().scope_name == "mmdet"
    assert 'is not "mmdet"' in caplog.text
