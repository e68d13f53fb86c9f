"""The hostile corpus (tests/hostile/): configs that try to run code. A canary proves nothing ran.

``# expect: blocked`` configs are refused with safe mode on and off; ``# expect: safe`` configs are refused
in safe mode, while a registered model still builds there.
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

import pytest
from conftest import write_module
from hydra.errors import InstantiationException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hydrareg import instantiate
from hydrareg.errors import BlockedTargetError, ForbiddenTargetError, find_hydrareg_error
from hydrareg.policy import safe_mode
from hydrareg.registry import Registry

CORPUS = Path(__file__).parent / "hostile"
FILES = sorted(CORPUS.glob("*.yaml"))
CANARY_MODULE = "hostile_canary"


def expectation(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: blocked|safe'"
    return first.removeprefix("# expect: ").strip()


class _Payload:
    """Pickles as a call of os.system (building the pickle runs nothing)."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


@pytest.fixture
def canary(syspath, monkeypatch) -> Path:
    """The file that must never appear; the module and script that would create it."""
    path = syspath / "CANARY"
    write_module(
        syspath,
        CANARY_MODULE,
        f"from pathlib import Path\nPath({str(path)!r}).touch()\n\n"
        f"def touch():\n    Path({str(path)!r}).touch()\n",
    )
    script = syspath / "hostile_script.py"
    script.write_text(f"from pathlib import Path\nPath({str(path)!r}).touch()\n")
    monkeypatch.setenv("HOSTILE_CANARY", str(path))
    monkeypatch.setenv("HOSTILE_SCRIPT", str(script))
    monkeypatch.setenv("HOSTILE_PICKLE", pickle.dumps(_Payload(f"touch {path}")).hex())
    yield path
    sys.modules.pop(CANARY_MODULE, None)


@pytest.fixture
def registry() -> Registry:
    root = Registry("thing", scope="hostroot")
    Registry("thing", parent=root, scope="fa")

    class Net:
        def __init__(self, depth: int = 1, note: str = "") -> None:
            self.depth = depth

    root.register_module(module=Net)
    return root


def assert_nothing_ran(canary: Path) -> None:
    assert not canary.exists(), "the hostile config ran code: the canary file exists"
    assert CANARY_MODULE not in sys.modules, "the hostile config imported the canary module"
    assert "HOSTILE_ENV_CHANGED" not in os.environ


def refusal(build) -> ForbiddenTargetError:
    """Run ``build``; it must be refused by the policy (possibly wrapped by OmegaConf's resolver)."""
    with pytest.raises((ForbiddenTargetError, OmegaConfBaseException)) as info:
        build()
    error = find_hydrareg_error(info.value)
    assert isinstance(error, ForbiddenTargetError), repr(info.value)
    return error


def forms(path: Path):
    """The config as loaded (a DictConfig), and as a plain dict resolved in the caller's context."""
    yield "dictconfig", lambda: OmegaConf.load(path)
    yield "dict", lambda: OmegaConf.to_container(OmegaConf.load(path), resolve=True)


def test_the_corpus_is_there():
    assert len(FILES) >= 30
    assert {expectation(path) for path in FILES} == {"blocked", "safe"}


# "safe" configs are ordinary trusted builds outside safe mode: only "blocked" ones run with it off.
CASES = [(path, safe) for path in FILES for safe in (True, False) if safe or expectation(path) == "blocked"]


@pytest.mark.parametrize(
    ("path", "safe"), CASES, ids=[f"{p.stem}-{'safe' if s else 'default'}" for p, s in CASES]
)
def test_a_hostile_config_runs_nothing(path, safe, canary, registry):
    expected = expectation(path)
    for _form, load in forms(path):
        with safe_mode(safe):
            error = refusal(lambda load=load: instantiate(load(), registry=registry))
        assert_nothing_ran(canary)
        assert isinstance(error, InstantiationException)
        if expected == "blocked" and not safe:  # in safe mode an earlier refusal may come first
            assert isinstance(error, BlockedTargetError)
        if error.config_path is not None:
            assert error.config_path in str(error)


def test_a_registered_model_still_builds_in_safe_mode(registry, canary):
    with safe_mode():
        for cfg in ({"model": {"type": "Net", "depth": 4}}, OmegaConf.create({"model": {"type": "fa.Net"}})):
            assert instantiate(cfg, registry=registry)["model"].depth in (1, 4)
    assert_nothing_ran(canary)


def test_with_safe_mode_off_the_unregistered_callable_runs_which_is_why_safe_mode_exists(canary, registry):
    """The control: the canary works, so a passing hostile test means something."""
    instantiate(OmegaConf.load(CORPUS / "unregistered_callable_target.yaml"), registry=registry)
    assert canary.exists()
