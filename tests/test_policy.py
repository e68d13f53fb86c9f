"""hydrareg.policy: the blocklist (always on, as Hydra 1.3.8's) and safe mode (registered names + allowlist)."""

from __future__ import annotations

import importlib.util
import os
import pickle
import sys
import threading
from pathlib import Path

import pytest
from conftest import write_module
from hydra.errors import InstantiationException
from omegaconf import OmegaConf

from hydrareg import instantiate, policy
from hydrareg.errors import (
    BlockedTargetError,
    ConfigValueError,
    CustomImportError,
    ForbiddenTargetError,
    HydraregError,
    SafeModeError,
)
from hydrareg.policy import HYDRA_OVERRIDE_ENV, blocked_reason, current_safe_mode, safe_mode
from hydrareg.registry import Registry
from hydrareg.resolvers import import_custom_modules

# Side effects a test can observe without harm: a marker module records its import, a function counts calls.
SIDE_EFFECT = (
    "import builtins\nbuiltins.POLICY_IMPORTS = getattr(builtins, 'POLICY_IMPORTS', []) + [__name__]\n"
)
HELPERS = "CALLS = []\n\ndef record(value=None):\n    CALLS.append(value)\n    return value\n"


@pytest.fixture(autouse=True)
def no_policy_environment(monkeypatch):
    for name in (policy.ENV_SAFE_MODE, policy.ENV_ALLOW, HYDRA_OVERRIDE_ENV):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def reg() -> Registry:
    root = Registry("thing", scope="polroot")

    class Net:
        def __init__(self, depth: int = 1) -> None:
            self.depth = depth

    root.register_module(module=Net)
    return root


@pytest.fixture
def libs(syspath, monkeypatch):
    """``pollib.helpers`` (a harmless callable), ``pollib.marker`` (records its import), ``pollib.alias``."""
    import builtins

    monkeypatch.setattr(builtins, "POLICY_IMPORTS", [], raising=False)
    write_module(syspath, "pollib.helpers", HELPERS)
    write_module(syspath, "pollib.marker", SIDE_EFFECT + HELPERS)
    write_module(syspath, "pollib.alias", "from json import dumps\n")
    return builtins


def both_forms(cfg: dict):
    """A config as a plain dict and as a DictConfig (every build case runs on both)."""
    return [cfg, OmegaConf.create(cfg)]


# ------------------------------------------------------------------------------------ the blocklist


BLOCKED_EVERYWHERE = [
    "os.system", "posix.system", "subprocess.Popen", "subprocess.run", "subprocess.getoutput",
    "builtins.eval", "builtins.exec", "builtins.compile", "builtins.__import__", "importlib.import_module",
    "pty.spawn", "os.popen", "os.execv", "os.spawnlp", "runpy.run_path", "pickle.loads", "marshal.loads",
    "ctypes.CDLL", "gc.get_objects", "inspect.getsource", "sys._getframe", "hydrareg.policy.safe_mode",
    "operator.attrgetter", "builtins.map", "yaml.load", "hydra._internal.utils._locate",
]  # fmt: skip
DESTRUCTIVE = [
    "os.remove",
    "os.unlink",
    "os.rmdir",
    "shutil.rmtree",
    "shutil.move",
    "os.kill",
    "builtins.exit",
]
ALLOWED = ["collections.OrderedDict", "builtins.dict", "datetime.timedelta", "yaml.safe_load", "os.path.join"]


@pytest.mark.parametrize("name", BLOCKED_EVERYWHERE + DESTRUCTIVE)
def test_dangerous_names_are_blocked(name):
    assert blocked_reason(name) is not None


@pytest.mark.parametrize("name", ALLOWED)
def test_ordinary_names_are_not_blocked(name):
    assert blocked_reason(name) is None


def _hydra_policy():
    return pytest.importorskip("hydra._internal.target_policy", reason="this Hydra has no target blocklist")


def test_every_target_hydra_blocks_is_blocked_here_too():
    """Checked against the installed Hydra's own lists, so a Hydra upgrade that adds names shows up here."""
    hydra_policy = _hydra_policy()
    names = set(hydra_policy.DEFAULT_BLOCKLISTED_MODULES) | set(hydra_policy.UNCONTROLLED_EXECUTION_TARGETS)
    names |= {prefix + "anything" for prefix in hydra_policy.UNCONTROLLED_EXECUTION_TARGET_PREFIXES}
    names -= set(hydra_policy.UNCONTROLLED_EXECUTION_TARGET_PREFIX_EXCEPTIONS)
    missed = sorted(name for name in names if blocked_reason(name) is None)
    assert not missed, f"Hydra blocks these and hydrareg does not: {missed}"


def test_what_hydra_exempts_from_a_blocked_family_stays_allowed():
    hydra_policy = _hydra_policy()
    assert all(
        blocked_reason(n) is None for n in hydra_policy.UNCONTROLLED_EXECUTION_TARGET_PREFIX_EXCEPTIONS
    )


@pytest.mark.parametrize(
    "target", ["os.system", "subprocess.call", "builtins.eval", "shutil.rmtree", "os.remove"]
)
def test_refused_as_hydra_refuses_it_same_error_type(target, tmp_path):
    """Both refuse before calling: nothing runs, and ``except InstantiationException`` catches both."""
    from hydra.utils import instantiate as hydra_instantiate

    canary = tmp_path / "canary"
    cfg = {"_target_": target, "_args_": [f"touch {canary}"]}
    # Hydra < 1.3.4 (1.3.2 is allowed) has no blocklist: only hydrareg is asked there, or Hydra would run it
    hydra_blocks = importlib.util.find_spec("hydra._internal.target_policy") is not None
    for build in (hydra_instantiate, instantiate) if hydra_blocks else (instantiate,):
        for form in both_forms(cfg):
            with pytest.raises(InstantiationException):
                build(form)
    assert not canary.exists()
    with pytest.raises(BlockedTargetError) as info:
        instantiate({"model": {"backbone": cfg}})
    assert "model.backbone._target_" in str(info.value)
    assert target in str(info.value)


@pytest.mark.parametrize("key", ["type", "_target_"])
def test_blocked_through_type_target_and_aliases(reg, key):
    for name in ["os.system", "subprocess.os.system", "os.path.os.system"]:
        with pytest.raises(BlockedTargetError) as info:
            instantiate({"m": {key: name, "command": "true"}}, registry=reg)
        assert f"m.{key}" in str(info.value)


def test_a_scope_prefix_does_not_open_the_lookup_to_blocked_paths(reg):
    child = Registry("thing", parent=reg, scope="polchild")
    for key in ["polroot.os.system", "polchild.subprocess.getoutput"]:
        for form in both_forms({"m": {"type": key, "cmd": "true"}}):
            with pytest.raises(BlockedTargetError, match=r"m\.type"):
                instantiate(form, registry=child)
    with safe_mode(), pytest.raises(BlockedTargetError):
        instantiate({"_scope_": "polchild", "type": "subprocess.getoutput", "cmd": "true"}, registry=reg)


def test_the_destructive_group_can_be_allowed_one_by_one_with_hydras_variable(monkeypatch, tmp_path):
    victim = tmp_path / "empty_dir"
    victim.mkdir()
    cfg = {"_target_": "os.rmdir", "_args_": [str(victim)]}
    with pytest.raises(BlockedTargetError, match=HYDRA_OVERRIDE_ENV):
        instantiate(cfg)
    assert victim.exists()
    monkeypatch.setenv(HYDRA_OVERRIDE_ENV, "shutil.rmtree:os.rmdir")
    instantiate(cfg)
    assert not victim.exists()


def test_code_execution_cannot_be_allowed_by_hydras_variable(monkeypatch):
    monkeypatch.setenv(HYDRA_OVERRIDE_ENV, "os.system:builtins.eval")
    assert blocked_reason("os.system") is not None
    with pytest.raises(BlockedTargetError):
        instantiate({"_target_": "builtins.eval", "_args_": ["1"]})


def test_an_environment_mutating_method_is_blocked_whatever_the_path():
    with pytest.raises(BlockedTargetError):
        instantiate({"_target_": "os.path.os.environ.update", "POLICY_TEST": "1"})
    assert "POLICY_TEST" not in os.environ


def test_callables_passed_by_code_are_trusted():
    """The blocklist guards names in configs; an object the program itself put in the config is its choice."""
    assert instantiate({"_target_": os.getcwd}) == os.getcwd()


def test_registry_get_of_a_blocked_dotted_path_raises_and_it_is_not_in_the_registry(reg):
    with pytest.raises(BlockedTargetError):
        reg.get("os.system")
    assert "os.system" not in reg
    assert "collections.OrderedDict" in reg
    with safe_mode():
        assert "collections.OrderedDict" not in reg
        assert "Net" in reg


# ------------------------------------------------------------------------------------ safe mode


def test_safe_mode_builds_registered_names_and_refuses_everything_else(reg, libs):
    with safe_mode():
        for form in both_forms({"type": "Net", "depth": 3}):
            assert instantiate(form, registry=reg).depth == 3
        for form in both_forms({"a": {"type": "pollib.helpers.record", "value": 1}}):
            with pytest.raises(SafeModeError) as info:
                instantiate(form, registry=reg)
            assert "a.type" in str(info.value)
        for form in both_forms({"a": {"_target_": "collections.OrderedDict"}}):
            with pytest.raises(SafeModeError, match=r"a\._target_"):
                instantiate(form, registry=reg)
    assert "pollib.helpers" not in sys.modules


def test_safe_mode_never_imports_an_unlisted_module(reg, libs):
    with safe_mode(), pytest.raises(SafeModeError, match="would import the module 'pollib"):
        instantiate({"_target_": "pollib.marker.record", "value": 1}, registry=reg)
    assert libs.POLICY_IMPORTS == []
    assert "pollib.marker" not in sys.modules


def test_a_registered_class_reached_by_its_import_path_builds_in_safe_mode(reg, syspath):
    write_module(syspath, "polreg.models", "class Registered:\n    pass\n")
    import polreg.models

    reg.register_module(module=polreg.models.Registered)
    with safe_mode():
        assert isinstance(
            instantiate({"_target_": "polreg.models.Registered"}, registry=reg), polreg.models.Registered
        )


def test_the_allowlist_takes_modules_and_single_callables(reg, libs):
    with safe_mode(allow=["pollib.helpers"]):
        assert instantiate({"_target_": "pollib.helpers.record", "value": 5}, registry=reg) == 5
    with safe_mode(allow=["pollib.helpers.record"]):
        assert instantiate({"type": "pollib.helpers.record", "value": 6}, registry=reg) == 6
    with safe_mode(allow=["pollib.helpers.record"]), pytest.raises(SafeModeError):
        instantiate({"type": "collections.OrderedDict"}, registry=reg)


def test_an_allowlisted_name_that_is_defined_elsewhere_is_refused(reg, libs):
    """``pollib.alias.dumps`` is ``json.dumps``: the name it is defined under must be allowed as well."""
    with safe_mode(allow=["pollib.alias"]), pytest.raises(SafeModeError, match=r"defined as json\.dumps"):
        instantiate({"_target_": "pollib.alias.dumps", "obj": 1}, registry=reg)
    with safe_mode(allow=["pollib.alias", "json"]):
        assert instantiate({"_target_": "pollib.alias.dumps", "obj": 1}, registry=reg) == "1"


def test_the_blocklist_wins_over_the_allowlist(reg):
    with safe_mode(allow=["os", "subprocess"]), pytest.raises(BlockedTargetError):
        instantiate({"_target_": "os.system", "_args_": ["true"]}, registry=reg)


def test_a_lookup_cached_outside_safe_mode_is_checked_again_inside(reg):
    cfg = {"type": "collections.OrderedDict"}
    assert instantiate(cfg, registry=reg) == {}
    with safe_mode(), pytest.raises(SafeModeError):
        instantiate(cfg, registry=reg)
    assert instantiate(cfg, registry=reg) == {}


def test_custom_imports_obey_safe_mode_in_all_three_spellings(libs):
    spellings = [
        {"custom_imports": "${custom_imports:pollib.marker}"},
        {"custom_imports": {"imports": ["pollib.marker"], "allow_failed_imports": False}},
        {"custom_imports": ["pollib.marker"]},
    ]
    with safe_mode():
        for cfg in spellings:
            with pytest.raises(ForbiddenTargetError, match=r"pollib\.marker"):
                import_custom_modules(OmegaConf.create(cfg))
    assert libs.POLICY_IMPORTS == []
    with safe_mode(allow=["pollib"]):
        assert import_custom_modules(OmegaConf.create(spellings[1])) == ["pollib.marker"]
    assert libs.POLICY_IMPORTS == ["pollib.marker"]


def test_a_failed_allowed_import_is_still_an_import_error(syspath):
    with safe_mode(allow=["pol_missing"]), pytest.raises(CustomImportError):
        import_custom_modules({"custom_imports": ["pol_missing.models"]})


def test_safe_mode_errors_are_hydraregs_and_hydras_and_pickle(reg):
    with safe_mode(allow=["json"]), pytest.raises(SafeModeError) as info:
        instantiate({"x": {"_target_": "collections.OrderedDict"}}, registry=reg)
    error = info.value
    assert isinstance(error, HydraregError) and isinstance(error, InstantiationException)
    assert "allowlist:   json" in str(error)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is SafeModeError and again.config_path == "x._target_"


# ------------------------------------------------------------------------------------ the switches


def test_safe_mode_is_off_by_default_and_the_context_manager_restores(reg):
    assert current_safe_mode() is None
    with safe_mode(allow="json,collections") as setting:
        assert setting.allow == frozenset({"json", "collections"})
        with safe_mode(enabled=False):
            assert current_safe_mode() is None
        assert current_safe_mode() == setting
    assert current_safe_mode() is None


def test_safe_mode_restores_after_an_error(reg):
    with pytest.raises(SafeModeError), safe_mode():
        instantiate({"_target_": "collections.OrderedDict"}, registry=reg)
    assert current_safe_mode() is None


def test_safe_mode_decorates_a_task_function(reg):
    @safe_mode(allow=["collections"])
    def task(cfg):
        return current_safe_mode(), instantiate(cfg, registry=reg)

    setting, built = task({"_target_": "collections.OrderedDict"})
    assert setting.allow == frozenset({"collections"}) and built == {}
    assert current_safe_mode() is None


def test_the_environment_turns_it_on_and_the_api_wins(monkeypatch, reg):
    monkeypatch.setenv(policy.ENV_SAFE_MODE, "1")
    monkeypatch.setenv(policy.ENV_ALLOW, "json, datetime")
    assert current_safe_mode().allow == frozenset({"json", "datetime"})
    with pytest.raises(SafeModeError):
        instantiate({"_target_": "collections.OrderedDict"}, registry=reg)
    with safe_mode(enabled=False):
        assert instantiate({"_target_": "collections.OrderedDict"}, registry=reg) == {}
    monkeypatch.setenv(policy.ENV_SAFE_MODE, "0")
    assert current_safe_mode() is None


def test_a_bad_switch_value_is_an_error_not_silently_off(monkeypatch):
    monkeypatch.setenv(policy.ENV_SAFE_MODE, "maybe")
    with pytest.raises(ConfigValueError, match=policy.ENV_SAFE_MODE):
        current_safe_mode()
    with pytest.raises(ConfigValueError, match="allowlist"), safe_mode(allow=["not a module"]):
        pass


def test_safe_mode_is_per_context_like_the_default_scope(reg):
    seen = {}
    started, release = threading.Event(), threading.Event()

    def other_thread():
        started.wait(10)
        seen["other"] = current_safe_mode()
        release.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with safe_mode():
        started.set()
        release.wait(10)
    thread.join(10)
    assert seen == {"other": None}


@pytest.mark.parametrize(
    "cfg",
    [
        {"safe_mode": False, "_target_": "collections.OrderedDict"},
        {"hydrareg": {"safe_mode": False}, "x": {"_target_": "collections.OrderedDict"}},
        {"x": {"_target_": "hydrareg.policy.safe_mode", "enabled": False}},
        {"x": {"_target_": "hydrareg.policy._setting.set", "_args_": [None]}},
    ],
)
def test_a_config_cannot_switch_safe_mode_off(reg, cfg):
    with safe_mode():
        with pytest.raises(ForbiddenTargetError):
            instantiate(cfg, registry=reg)
        assert current_safe_mode() is not None


def test_the_hydra_app_builds_its_registered_models_in_safe_mode(tmp_path):
    """``HYDRAREG_SAFE_MODE=1 python run.py``: the demo app's models are all registered names."""
    import subprocess

    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, policy.ENV_SAFE_MODE: "1"}
    env.pop(policy.ENV_ALLOW, None)
    ok = subprocess.run(
        [sys.executable, "run.py", f"hydra.run.dir={tmp_path / 'ok'}"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr[-3000:]
    assert (tmp_path / "ok" / "result.json").is_file()
    canary = tmp_path / "canary"
    bad = subprocess.run(
        [sys.executable, "run.py", f"hydra.run.dir={tmp_path / 'bad'}",
         f"+model.init_cfg={{_target_:pathlib.Path.touch,_args_:[{canary}]}}",
         "+custom_imports=[this]"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert bad.returncode != 0
    assert "safe mode" in bad.stderr + bad.stdout
    assert not canary.exists()


APP = """
import hydra
from hydrareg import instantiate
from hydrareg.policy import safe_mode


@hydra.main(config_path=None, config_name=None, version_base="1.3")
@safe_mode(allow=["datetime"])
def main(cfg):
    print("BUILT", instantiate(cfg.thing))


if __name__ == "__main__":
    main()
"""


def test_a_hydra_app_switches_safe_mode_on_for_its_task_in_single_and_multi_runs(tmp_path):
    import subprocess

    (tmp_path / "app.py").write_text(APP)
    env = {k: v for k, v in os.environ.items() if k not in (policy.ENV_SAFE_MODE, policy.ENV_ALLOW)}

    def run(*overrides):
        return subprocess.run(
            [sys.executable, "app.py", *overrides, "hydra.run.dir=out", "hydra.sweep.dir=multi"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip

    ok = run("+thing._target_=datetime.timedelta", "+thing.days=2")
    assert ok.returncode == 0 and "BUILT 2 days" in ok.stdout, ok.stderr[-2000:]
    refused = run("-m", "+thing._target_=datetime.date.today,collections.OrderedDict")
    assert refused.returncode != 0
    assert "BUILT 20" in refused.stdout  # the first job, datetime.date.today(), ran
    assert "safe mode: collections.OrderedDict is neither registered nor in the allowlist" in refused.stderr
