"""custom_imports: the resolver spelling and MMEngine's dict spelling."""

from __future__ import annotations

import sys

import pytest
from conftest import write_module
from omegaconf import OmegaConf
from omegaconf.errors import InterpolationResolutionError

import hydrareg
from hydrareg.errors import ConfigTypeError, CustomImportError
from hydrareg.resolvers import import_custom_modules, register_resolvers

COUNTER = "import builtins\nbuiltins.IMPORTS = getattr(builtins, 'IMPORTS', []) + [__name__]\n"


@pytest.fixture
def plugins(syspath, monkeypatch):
    import builtins

    monkeypatch.setattr(builtins, "IMPORTS", [], raising=False)
    write_module(syspath, "rplug.alpha", COUNTER)
    write_module(syspath, "rplug.beta", COUNTER)
    write_module(syspath, "rplug.broken", "import rplug_missing_dependency\n")
    return builtins


def test_the_resolver_imports_every_module_and_returns_a_string(plugins):
    cfg = OmegaConf.create({"custom_imports": "${custom_imports:rplug.alpha,rplug.beta}"})
    assert cfg.custom_imports == "rplug.alpha,rplug.beta"
    assert plugins.IMPORTS == ["rplug.alpha", "rplug.beta"]


def test_the_resolver_is_not_cached_so_every_resolution_imports(plugins):
    cfg = OmegaConf.create({"custom_imports": "${custom_imports:rplug.alpha}"})
    assert cfg.custom_imports == "rplug.alpha"
    del sys.modules["rplug.alpha"]  # as in a fresh worker process
    assert cfg.custom_imports == "rplug.alpha"
    assert plugins.IMPORTS == ["rplug.alpha", "rplug.alpha"]


def test_resolve_and_save_keep_working_because_the_result_is_a_string(plugins):
    cfg = OmegaConf.create({"custom_imports": "${custom_imports:[rplug.alpha,rplug.beta]}"})
    assert OmegaConf.to_yaml(cfg) == "custom_imports: ${custom_imports:[rplug.alpha,rplug.beta]}\n"
    assert plugins.IMPORTS == []  # saving does not import
    OmegaConf.resolve(cfg)
    assert cfg.custom_imports == "rplug.alpha,rplug.beta"


def test_a_failed_import_names_module_path_and_sys_path(plugins):
    cfg = OmegaConf.create({"lib": {"custom_imports": "${custom_imports:rplug.broken}"}})
    with pytest.raises(InterpolationResolutionError) as info:  # OmegaConf wraps resolver errors
        _ = cfg.lib.custom_imports
    assert "Failed to import custom module 'rplug.broken'" in str(info.value)
    assert "config path: lib.custom_imports" in str(info.value)
    assert "sys.path:" in str(info.value)


def test_import_custom_modules_raises_the_import_error_itself(plugins):
    cfg = OmegaConf.create({"custom_imports": "${custom_imports:rplug.alpha,rplug.broken}", "model": {}})
    with pytest.raises(ImportError) as info:
        import_custom_modules(cfg.model)  # any node: the root's custom_imports are used
    assert isinstance(info.value, CustomImportError)
    assert info.value.config_path == "custom_imports"
    assert "rplug_missing_dependency" in str(info.value)


def test_a_trailing_true_allows_failed_imports_with_a_warning(plugins):
    cfg = OmegaConf.create({"custom_imports": "${custom_imports:rplug.broken,rplug.alpha,true}"})
    with pytest.warns(UserWarning, match="rplug.broken failed to import and is ignored"):
        assert cfg.custom_imports == "rplug.alpha"


def test_mmengines_dict_form_is_honoured(plugins):
    cfg = {"custom_imports": {"imports": ["rplug.alpha", "rplug.beta"], "allow_failed_imports": False}}
    assert import_custom_modules(cfg) == ["rplug.alpha", "rplug.beta"]
    assert import_custom_modules(OmegaConf.create(cfg)) == ["rplug.alpha", "rplug.beta"]
    assert import_custom_modules({"custom_imports": {"imports": "rplug.alpha"}}) == ["rplug.alpha"]
    with pytest.warns(UserWarning, match="rplug.broken failed to import"):
        allowed = import_custom_modules(
            {"custom_imports": {"imports": ["rplug.broken"], "allow_failed_imports": True}}
        )
    assert allowed == []


def test_the_dict_form_failure_names_the_imports_path(plugins):
    with pytest.raises(CustomImportError) as info:
        import_custom_modules({"custom_imports": {"imports": ["rplug.broken"]}})
    assert info.value.config_path == "custom_imports.imports"


@pytest.mark.parametrize(
    "value",
    [{"imports": ["rplug.alpha"], "typo": 1}, 3, {"imports": [1]}],
    ids=["unknown-key", "number", "non-string-entry"],
)
def test_malformed_custom_imports_are_typeerrors(plugins, value):
    with pytest.raises(ConfigTypeError) as info:
        import_custom_modules({"custom_imports": value})
    assert info.value.config_path.startswith("custom_imports")


def test_no_custom_imports_is_nothing_to_do():
    assert import_custom_modules({"model": {}}) == []
    assert import_custom_modules(OmegaConf.create({"custom_imports": None})) == []


def test_registration_is_idempotent_and_happens_on_import():
    assert hydrareg is not None and OmegaConf.has_resolver("custom_imports")
    register_resolvers()
    register_resolvers()
    assert OmegaConf.has_resolver("custom_imports")
