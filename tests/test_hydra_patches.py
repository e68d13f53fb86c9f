"""The patch table: pinned fingerprints, install/uninstall, the switches, and a Hydra that changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import hydra
import pytest

from hydrareg.hydra import patches
from hydrareg.hydra.fingerprint import fingerprint
from hydrareg.hydra.patches import TABLE, HydraPatchWarning, PatchTable, install_guarded
from hydrareg.hydra.table import ANY, CHECKED, PATCHES, Patch

APPS = Path(__file__).parent / "apps"
PATCHES_OFF = os.environ.get(patches.ENV_SWITCH, "1").strip().lower() in {"0", "false", "off", "no"}


def _by_name(name: str) -> Patch:
    return next(patch for patch in PATCHES if patch.name == name)


# ---------------------------------------------------------------------------- pinned code


@pytest.mark.parametrize("patch", [p for p in PATCHES if p.fingerprint not in (None, ANY)], ids=str)
def test_the_hydra_code_each_patch_replaces_is_the_code_it_was_checked_against(patch):
    found = fingerprint(TABLE.original(patch))
    assert found == patch.fingerprint, (
        f"Hydra {hydra.__version__} changed {patch.target} (fingerprint {found}, table {patch.fingerprint}). "
        f"Re-check hydrareg's replacement {patch.factory} against Hydra's new code"
        + (" and the loop copied in hydrareg/hydra/compose_hook.py" if patch.name == "compose" else "")
        + ", then update the fingerprint and CHECKED in hydrareg/hydra/table.py."
    )


def test_the_installed_hydra_is_one_the_patches_were_checked_against():
    assert hydra.__version__ in CHECKED, (
        f"Hydra {hydra.__version__} is not in CHECKED: read every target in hydrareg/hydra/table.py "
        "against it, then add it"
    )


def test_a_patch_that_adds_an_attribute_finds_it_absent_in_hydra():
    patch = _by_name("structured_source_copy")
    assert TABLE.original(patch) is None, f"Hydra now defines {patch.target}: re-check the patch"


# ---------------------------------------------------------------------------- install / uninstall


@pytest.fixture
def reinstall():
    """Tests that switch patches off leave them as the session had them."""
    yield
    TABLE.enabled = True
    patches.install()


@pytest.mark.skipif(PATCHES_OFF, reason="HYDRAREG_PATCHES=0")
def test_every_patch_is_live_on_a_checked_hydra_and_the_guard_stands_by():
    states = {state.patch.name: state for state in patches.install()}
    assert [name for name, state in states.items() if not state.live] == ["delete_guard"]
    assert states["delete_guard"].reason == "not needed while compose is live"


@pytest.mark.skipif(PATCHES_OFF, reason="HYDRAREG_PATCHES=0")
def test_uninstall_puts_back_hydras_originals_and_install_is_idempotent(reinstall):
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    originals = {patch.name: TABLE.original(patch) for patch in PATCHES}
    patches.uninstall()
    assert ConfigLoaderImpl.__dict__["_compose_config_from_defaults_list"] is originals["compose"]
    assert ConfigLoaderImpl.__dict__["load_configuration"] is originals["load_configuration"]
    assert not any(state.live for state in patches.status())
    first = {state.patch.name: state.live for state in patches.install()}
    replaced = ConfigLoaderImpl.__dict__["_compose_config_from_defaults_list"]
    assert {state.patch.name: state.live for state in patches.install()} == first
    assert ConfigLoaderImpl.__dict__["_compose_config_from_defaults_list"] is replaced


def test_the_api_switch_turns_every_patch_off_and_on(reinstall):
    from hydra._internal.core_plugins.file_config_source import FileConfigSource

    states = patches.set_patches_enabled(False)
    assert not any(state.live for state in states)
    assert not hasattr(FileConfigSource.__dict__["load_config"], patches.MARK)
    assert patches.install() and not any(state.live for state in patches.status())  # stays off
    if not PATCHES_OFF:
        assert any(state.live for state in patches.set_patches_enabled(True))


def test_the_environment_switch_leaves_hydra_unpatched(tmp_path):
    script = (
        "import hydra_plugins.hydrareg_plugin\n"
        "from hydra._internal.config_loader_impl import ConfigLoaderImpl\n"
        "from hydrareg.hydra import status\n"
        "print(sum(s.live for s in status()), ConfigLoaderImpl.load_configuration.__module__)\n"
    )
    env = {**os.environ, patches.ENV_SWITCH: "0"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert out.stdout.split() == ["0", "hydra._internal.config_loader_impl"], out.stderr


def _fake_module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.target = lambda: "original"
    module.other = lambda: "other original"
    module.replace = lambda original: lambda: "replaced"

    def explode(original):
        raise RuntimeError("boom")

    module.explode = explode
    sys.modules[name] = module
    return module


def test_any_exception_while_installing_turns_every_patch_off_with_one_warning(monkeypatch):
    monkeypatch.delenv(patches.ENV_SWITCH, raising=False)
    module = _fake_module("hydrareg_fake_hydra")
    common = {"module": module.__name__, "owner": None, "fingerprint": ANY, "checked": (ANY,)}
    table = PatchTable(
        (
            Patch("first", "fine", attribute="target", factory=f"{module.__name__}:replace", **common),
            Patch("second", "explodes", attribute="other", factory=f"{module.__name__}:explode", **common),
        )
    )
    try:
        with pytest.warns(HydraPatchWarning, match="every hydrareg patch is off") as record:
            states = install_guarded(table)
            install_guarded(table)
        assert len(record) == 1
        assert module.target() == "original" and module.other() == "other original"
        assert [state.live for state in states] == [False, False]
        assert "boom" in states[0].reason
    finally:
        del sys.modules[module.__name__]


def test_a_patch_whose_code_differs_stays_off_and_the_others_apply(monkeypatch):
    monkeypatch.delenv(patches.ENV_SWITCH, raising=False)
    module = _fake_module("hydrareg_fake_hydra2")
    table = PatchTable(
        (
            Patch("same", "ok", module.__name__, None, "target", f"{module.__name__}:replace",
                  fingerprint(module.target), checked=(hydra.__version__,)),
            Patch("changed", "differs", module.__name__, None, "other", f"{module.__name__}:replace",
                  "0000000000000000", checked=(hydra.__version__,)),
            Patch("unknown_version", "old", module.__name__, None, "other", f"{module.__name__}:replace",
                  fingerprint(module.other), checked=("1.0.0",)),
        )
    )  # fmt: skip
    try:
        with pytest.warns(HydraPatchWarning, match="2 of its patches") as record:
            states = {state.patch.name: state for state in table.install()}
        assert len(record) == 1
        assert states["same"].live and module.target() == "replaced"
        assert not states["changed"].live and "differs from the code" in states["changed"].reason
        assert "was not checked" in states["unknown_version"].reason
        assert module.other() == "other original"
        table.uninstall()
        assert module.target() == "original"
    finally:
        del sys.modules[module.__name__]


def test_doctor_reports_every_patch_and_what_happens_to_delete(capsys):
    from hydrareg.cli import main

    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert all(patch.name in out for patch in PATCHES)
    assert ("_delete_: applied while composing" in out) != PATCHES_OFF


def test_installing_before_hydras_plugin_scan_stays_live_after_it(tmp_path):
    """The scan re-executes Hydra's config source modules; hydrareg's plugin applies the table again."""
    (tmp_path / "config.yaml").write_text("a: 1\n")
    script = textwrap.dedent(
        f"""
        from hydrareg.hydra import install_config_cache, status
        from hydrareg.hydra.cache import CACHE
        assert install_config_cache()
        from hydra import compose, initialize_config_dir
        with initialize_config_dir(config_dir={str(tmp_path)!r}, version_base="1.3"):
            for _ in range(3):
                compose("config")
        print(all(s.live for s in status() if s.patch.name != "delete_guard"), CACHE.stats.loaded_hits)
        """
    )
    env = {key: value for key, value in os.environ.items() if key != patches.ENV_SWITCH}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert out.stdout.split() == ["True", "1"], out.stderr


# ---------------------------------------------------------------------------- a Hydra that changed


CHANGED = """

# --- simulated future Hydra: the same behaviour, other code and signatures ---
def _hydrareg_test_changed(original):
    def changed(*args, _new_option=None, **kwargs):
        return original(*args, **kwargs)
    return changed
"""


def _changed_hydra(root: Path) -> Path:
    """A copy of the installed Hydra whose patched functions are wrappers, and a renamed private method."""
    copy = root / "site"
    shutil.copytree(Path(hydra.__file__).parent, copy / "hydra")
    edits = {
        "_internal/config_loader_impl.py": [
            "ConfigLoaderImpl._compose_config_from_defaults_list = "
            "_hydrareg_test_changed(ConfigLoaderImpl._compose_config_from_defaults_list)",
            "ConfigLoaderImpl.load_configuration = _hydrareg_test_changed(ConfigLoaderImpl.load_configuration)",
            "create_defaults_list = _hydrareg_test_changed(create_defaults_list)",
        ],
        "core/utils.py": ["_save_config = _hydrareg_test_changed(_save_config)"],
        "_internal/core_plugins/file_config_source.py": [
            "FileConfigSource.load_config = _hydrareg_test_changed(FileConfigSource.load_config)"
        ],
        "_internal/core_plugins/importlib_resources_config_source.py": [
            "ImportlibResourcesConfigSource.load_config = "
            "_hydrareg_test_changed(ImportlibResourcesConfigSource.load_config)"
        ],
        "_internal/core_plugins/structured_config_source.py": [
            "StructuredConfigSource.load_config = _hydrareg_test_changed(StructuredConfigSource.load_config)",
            "StructuredConfigSource.__deepcopy__ = lambda self, memo: __import__('copy').copy(self)",
        ],
    }
    for name, lines in edits.items():
        path = copy / "hydra" / name
        path.write_text(path.read_text() + CHANGED + "\n".join(lines) + "\n")
    store = copy / "hydra" / "core" / "config_store.py"  # a private name only hydrareg reads, renamed
    store.write_text(
        store.read_text().replace("def _load(", "def _load_node(").replace("self._load(", "self._load_node(")
    )
    return copy


def _run(site: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != patches.ENV_SWITCH}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(APPS)])
    return subprocess.run(
        [sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_a_changed_hydra_keeps_every_app_running_and_delete_is_applied_or_refused(tmp_path):
    site = _changed_hydra(tmp_path)
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "config.yaml").write_text("greeting: hello\n")
    (tmp_path / "plain" / "app.py").write_text(
        "import hydra\n"
        "@hydra.main(config_path='.', config_name='config', version_base='1.3')\n"
        "def main(cfg):\n    print('plain app says', cfg.greeting)\n"
        "main()\n"
    )
    plain = _run(site, tmp_path / "plain", "app.py", "hydra.run.dir=out")
    assert plain.returncode == 0 and "plain app says hello" in plain.stdout, plain.stderr
    assert plain.stderr.count("of its patches of Hydra") == 1, plain.stderr
    assert "_delete_ in config files is refused" in plain.stderr

    merged = _run(site, tmp_path, str(APPS / "worker_app.py"), "part=plain", "hydra.run.dir=merged")
    assert merged.returncode == 0, merged.stderr
    assert merged.stderr.count("of its patches of Hydra") == 1
    assert '"built": ["MainOnly", "PluginPart", 3]' in (tmp_path / "merged" / "report.json").read_text()

    replaced = _run(site, tmp_path, str(APPS / "worker_app.py"), "part=replaced", "hydra.run.dir=replaced")
    assert replaced.returncode != 0 and not (tmp_path / "replaced" / "report.json").exists()
    assert "_delete_ was not applied" in replaced.stderr and "model.part._delete_" in replaced.stderr
    assert "part/replaced" in replaced.stderr  # the file that set it
    assert "Traceback" not in replaced.stderr


def test_the_names_a_patch_reads_are_checked_where_hydra_defines_them():
    """A class attribute, a dataclass field and an attribute set in __init__ all count; a rename does not."""
    from hydrareg.hydra.patches import _has_read

    assert _has_read("hydra.core.config_store:ConfigStore._load")
    assert _has_read("hydra._internal.defaults_list:DefaultsList.config_overrides")  # a dataclass field
    assert _has_read("hydra._internal.defaults_list:Overrides.config_overrides")  # set in __init__
    assert not _has_read("hydra._internal.defaults_list:DefaultsList.config_overrides_v2")
    assert not _has_read("hydra.no_such_module:Thing.name")
