"""Builds while another thread registers: suggestions, caches, scope switches and the policy stay correct.

A registrar thread keeps registering, replacing and removing names (and adds child registries) while builder
threads build good and bad configs. Every build must give its expected result or its expected hydrareg
error; nothing else (``dictionary changed size during iteration`` was the failure before).
``HYDRAREG_RACE_BUILDS`` sets the number of builds (default 6000; the report's figure used 100000).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import Counter
from typing import Any

from hydrareg import instantiate
from hydrareg.errors import BuildArgumentError, SafeModeError, UnknownTypeError
from hydrareg.policy import safe_mode
from hydrareg.registry import Registry

BUILDS = int(os.environ.get("HYDRAREG_RACE_BUILDS", "6000"))
BUILDERS = 4
TIME_LIMIT = 300.0  # seconds; a bound for a very loaded machine, far above the usual few seconds


class Known:
    def __init__(self, size: int = 1) -> None:
        self.size = size


# (config, what it must give: a type to build or an expected error, in safe mode or not)
CASES: list[tuple[dict[str, Any], Any, bool]] = [
    ({"type": "Known", "size": 2}, Known, False),
    ({"type": "racechild.Known"}, Known, False),
    ({"_scope_": "racechild", "type": "Known"}, Known, False),
    ({"type": "Knwon"}, UnknownTypeError, False),  # the suggestion path walks every registry
    ({"type": "racechild.Nothing"}, UnknownTypeError, False),
    ({"type": "Known", "sise": 1}, BuildArgumentError, False),  # parameter suggestions
    ({"type": "collections.OrderedDict"}, dict, False),  # dotted fallback and the lookup cache
    ({"type": "collections.OrderedDict"}, SafeModeError, True),  # the same, refused in safe mode
    ({"type": "Known"}, Known, True),
]


def _registrar(root: Registry, child: Registry, stop: threading.Event, counts: Counter) -> None:
    for i in itertools.count():
        if stop.is_set():
            return
        target = root if i % 2 else child
        name = f"Gen{i % 200}"
        target.register_module(name=name, module=type(name, (), {}), force=True)
        if i % 7 == 0:
            target.module_dict.pop(f"Gen{(i * 3) % 200}", None)
        if i % 500 == 0:
            Registry("race", parent=child, scope=f"racegen{i}")
        counts["registrations"] += 1


def _builder(root: Registry, n: int, failures: list[str], done: list[int], deadline: float) -> None:
    built = 0
    for i in range(n):
        if time.monotonic() > deadline:
            break
        cfg, expected, safe = CASES[i % len(CASES)]
        try:
            with safe_mode(safe):
                got: Any = instantiate(cfg, registry=root)
        except Exception as error:
            got = error
        if not isinstance(got, expected):
            failures.append(f"{cfg} (safe={safe}): {type(got).__name__}: {got}")
        built += 1
    done.append(built)


def test_builds_while_another_thread_registers_never_fail_unexpectedly():
    root = Registry("race", scope="raceroot")
    child = Registry("race", parent=root, scope="racechild")
    root.register_module(module=Known)
    stop = threading.Event()
    failures: list[str] = []
    counts: Counter = Counter()
    done: list[int] = []
    deadline = time.monotonic() + TIME_LIMIT
    registrar = threading.Thread(target=_registrar, args=(root, child, stop, counts), daemon=True)
    builders = [
        threading.Thread(target=_builder, args=(root, BUILDS // BUILDERS, failures, done, deadline))
        for _ in range(BUILDERS)
    ]
    registrar.start()
    for thread in builders:
        thread.start()
    for thread in builders:
        thread.join(TIME_LIMIT + 60)
    stop.set()
    registrar.join(60)
    assert not failures, f"{len(failures)} of {sum(done)} builds failed, e.g. {failures[:3]}"
    assert sum(done) > 0 and counts["registrations"] > 0
    print(f"{sum(done)} builds, {counts['registrations']} registrations meanwhile, 0 failures")


def test_the_first_builds_of_a_lazily_imported_registry_in_many_threads_all_succeed(syspath):
    """A registry's ``locations`` are imported on first use; threads arriving meanwhile wait for it."""
    from conftest import write_module

    write_module(
        syspath,
        "racelazy.models",
        "import time\nfrom racelazy.registry import LAZY\ntime.sleep(0.3)\n\n"
        "@LAZY.register_module()\nclass Slow:\n    pass\n",
    )
    write_module(
        syspath,
        "racelazy.registry",
        "from hydrareg.registry import Registry\n"
        "LAZY = Registry('lazy', scope='racelazy', locations=['racelazy.models'])\n",
    )
    from racelazy.registry import LAZY

    results: list[Any] = []
    start = threading.Barrier(6)

    def build() -> None:
        start.wait(30)
        try:
            results.append(type(LAZY.build({"type": "Slow"})).__name__)
        except Exception as error:
            results.append(error)

    threads = [threading.Thread(target=build) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == ["Slow"] * 6


def test_threads_registering_different_objects_under_one_name_get_one_winner_and_errors():
    """The check for a taken name and the registration are one step: never a silent last-wins."""
    import sys

    from hydrareg.errors import RegistrationError

    rounds, contenders = 300, 4
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to meet the race if there is one
    try:
        for _ in range(rounds):
            registry = Registry("race", scope="raceround")
            start = threading.Barrier(contenders)
            outcomes: list[str] = []

            def register(index: int, registry: Registry = registry, start=start, outcomes=outcomes) -> None:
                candidate = type(f"Candidate{index}", (), {})
                start.wait()
                try:
                    registry.register_module(name="Taken", module=candidate)
                    outcomes.append("registered")
                except RegistrationError:
                    outcomes.append("refused")

            threads = [threading.Thread(target=register, args=(index,)) for index in range(contenders)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(outcomes) == ["refused"] * (contenders - 1) + ["registered"], outcomes
    finally:
        sys.setswitchinterval(interval)
