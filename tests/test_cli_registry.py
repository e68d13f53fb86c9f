"""`hydrareg registry`: the registry tree with sizes and lazy locations; --search across scopes."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from cli_probe import make_probe_app
from conftest import REPO, write_module

from hydrareg.cli import main
from hydrareg.commands.app import read_app_script
from hydrareg.commands.registry_tree import linked_entries, pending_locations
from hydrareg.commands.schema import build_schema
from hydrareg.registry.root import ROOT_REGISTRIES


def registry(capsys, *argv: str) -> str:
    assert main(["registry", *argv]) == 0
    return capsys.readouterr().out


def test_the_tree_shows_roots_children_aliases_and_lazy_locations(capsys):
    out = registry(capsys)
    lines = out.splitlines()
    model = next(i for i, line in enumerate(lines) if "mmengine::model" in line)
    children = [line for line in lines[model + 1 :] if line.startswith(("│", " "))]
    assert any("mmcls::model" in line and "(also mmpretrain)" in line for line in children)
    assert any("mmdet::model" in line for line in children)
    assert any("mmdet::task util" in line for line in lines)
    empty = [
        root
        for root in ROOT_REGISTRIES.values()
        if not root.module_dict
        and not root.children
        and not pending_locations(root)
        and not linked_entries(root)  # nor in MMEngine's root of that name (joined by the command)
    ]
    assert empty, "every root registry has entries: pick another way to test --all"
    # empty roots only with --all
    hydrareg_lines = [line for line in lines if "(MMEngine's registry)" not in line]
    assert not any(f"mmengine::{empty[0].name} " in line for line in hydrareg_lines)
    assert f"mmengine::{empty[0].name} " in registry(capsys, "--all")


def test_lazy_locations_are_named_until_loaded(capsys):
    from hydrareg_zoo.mmrotate.registry import TRANSFORMS

    if pending_locations(TRANSFORMS):
        assert "lazy, not imported: hydrareg_zoo.mmrotate.transforms" in registry(capsys, "mmrotate")
    out = registry(capsys, "mmrotate", "--load")
    assert "lazy, not imported" not in out
    line = next(line for line in out.splitlines() if "mmrotate::transform" in line)
    assert f"{len(TRANSFORMS.module_dict)} entries" in line and len(TRANSFORMS.module_dict) > 0


def test_a_scope_shows_only_its_registries_and_their_parents(capsys):
    out = registry(capsys, "mmtrack")
    assert "mmtrack::model" in out and "mmengine::model" in out
    assert "mmdet" not in out and "mmengine::dataset" not in out


def test_search_finds_names_across_scopes(capsys):
    out = registry(capsys, "--search", "resnet")
    assert "mmcls.ResNet" in out and "hydrareg_zoo.mmcls.models" in out
    out = registry(capsys, "--search", "yolox")
    assert "mmdet.YOLOX" in out and "mmdet.YOLOXHead" in out and "mmdet.YOLOXPAFPN" in out


def test_the_apps_own_registries(capsys, syspath: Path):
    app = make_probe_app(syspath)
    out = registry(capsys, str(app), "--load")
    assert "probe::thing  2 entries" in out and "extra::thing  1 entries" in out
    out = registry(capsys, str(REPO / "run.py"))
    assert "hydrareg_zoo::task" in out


def test_every_subcommand_help_has_an_example(capsys):
    import pytest

    for command in ("check", "explain", "registry", "schema"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        out = capsys.readouterr().out
        assert f"hydrareg {command}" in out and "example" in out


def test_mmengines_own_tree_is_shown_when_it_is_installed(capsys):
    import uuid

    import pytest

    mmengine_registry = pytest.importorskip("mmengine.registry")
    scope = f"probe{uuid.uuid4().hex[:8]}"
    child = mmengine_registry.Registry("model", parent=mmengine_registry.MODELS, scope=scope)

    @child.register_module()
    class ProbeOnlyInMMEngine:
        pass

    out = registry(capsys, scope)
    assert "mmengine::model  " in out and "(MMEngine's registry)" in out
    assert f"{scope}::model  1 entries  (MMEngine's registry)" in out
    assert f"{scope}.ProbeOnlyInMMEngine" in registry(capsys, "--search", "ProbeOnlyInMMEngine")


def test_with_mmengine_the_trees_are_one_each_registry_shown_once(capsys):
    import pytest

    pytest.importorskip("mmengine.registry")
    out = registry(capsys, "--load")
    labels = [line.lstrip("│├└─ ").split("  ")[0] for line in out.splitlines()[1:]]
    assert len(labels) == len(set(labels)), out  # mmcls::model once, not once per tree
    assert "mmcls::model" in labels and "mmdet::task util" in labels
    scheduler_root = next(line for line in out.splitlines() if "mmengine::parameter scheduler" in line)
    assert "in MMEngine's root" in scheduler_root  # MMEngine's own schedulers, searched after hydrareg's
    found = registry(capsys, "--search", "MultiStepLR")
    assert "mmengine.optim.scheduler.lr_scheduler" in found  # what a build of MultiStepLR gets
    assert "torch.optim.lr_scheduler" in registry(capsys, "--search", "CyclicLR")  # MMEngine has none


def test_a_location_that_fails_to_import_is_named_and_the_rest_is_listed(capsys, syspath: Path):
    """A registry whose classes need a missing optional dependency: ``--load`` and ``schema`` go on."""
    app = make_probe_app(syspath)
    write_module(syspath, "probe_lib.needs_missing", "import a_dependency_not_installed\n")
    write_module(
        syspath,
        "probe_lib.optional",
        "from hydrareg.registry import Registry\nfrom probe_lib.registry import THINGS\n"
        "OPTIONAL = Registry('thing', parent=THINGS, scope='optional', locations=['probe_lib.needs_missing'])\n",
    )
    importlib.import_module("probe_lib.optional")
    out = registry(capsys, str(app), "--load")
    assert (
        "not loaded: importing 'probe_lib.needs_missing', a location of the optional::thing registry, "
        "failed: ModuleNotFoundError: No module named 'a_dependency_not_installed'" in out.replace("\n", " ")
    )
    assert "probe::thing  2 entries" in out
    schema = build_schema(read_app_script(str(app)))
    assert "probe.Net" in json.dumps(schema)
    assert "not loaded: importing 'probe_lib.needs_missing'" in capsys.readouterr().err
