"""`hydrareg schema`: every file of conf/ validates against its group's schema; broken ones do not."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import REPO
from referencing import Registry, Resource

from hydrareg.cli import main
from hydrareg.commands.app import read_app_script
from hydrareg.commands.schema import build_schema

CONF = REPO / "conf"
CONFIG_FILES = sorted(
    path.relative_to(CONF).as_posix()
    for path in CONF.rglob("*.yaml")
    if not path.relative_to(CONF).as_posix().startswith("hydra/")  # Hydra's own groups (launchers)
)


@pytest.fixture(scope="module")
def schema() -> dict:
    return build_schema(read_app_script(str(REPO / "run.py")))


def validator(schema: dict, pointer: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$ref": pointer, "$defs": schema["$defs"]})


def file_validator(schema: dict, relative: str) -> jsonschema.Draft202012Validator:
    group = relative.rpartition("/")[0] or "primary"
    return validator(schema, f"#/$defs/files/{group}")


@pytest.mark.parametrize("relative", CONFIG_FILES)
def test_every_config_file_validates(schema, relative):
    data = yaml.safe_load((CONF / relative).read_text())
    errors = [error.message[:200] for error in file_validator(schema, relative).iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize(
    ("relative", "edit"),
    [
        ("backbone/mmcls_mobilenetv3.yaml", lambda d: d.update(out_indice=d.pop("out_indices"))),  # misspelt
        ("backbone/mmcls_resnet18.yaml", lambda d: d.update(depth="eighteen")),  # not an integer
        ("neck/fpn.yaml", lambda d: d.update(type="mmdet.FPNN")),  # not registered
        ("neck/fpn.yaml", lambda d: d.update(type="FPN", start_level=[0])),  # a list for an int
        ("optim/sgd.yaml", lambda d: d.update(lrr=0.1)),  # torch's SGD has no lrr
        ("task/train.yaml", lambda d: d["custom_hooks"][0].update(unfreeze_epok=1)),  # nested, in a list
        ("model/retinanet.yaml", lambda d: d["model"]["train_cfg"]["assigner"].update(type="MaxIoU")),
    ],
)
def test_broken_config_files_do_not_validate(schema, relative, edit):
    data = yaml.safe_load((CONF / relative).read_text())
    edit(data)
    assert not file_validator(schema, relative).is_valid(data)


def test_type_enums_hold_the_names_in_scope(schema):
    model = schema["$defs"]["kinds"]["MODELS"]["anyOf"][1]["properties"]["type"]["anyOf"][0]["enum"]
    assert {"mmcls.ConvNeXt", "mmpretrain.ConvNeXt", "mmdet.YOLOX", "YOLOX", "ByteTrack", "BN"} <= set(model)
    assert "ConvNeXt" not in model  # mmcls is never the scope in effect in conf/, so it needs its prefix


def test_a_class_lists_its_arguments_with_types_defaults_and_required_ones(schema):
    [name] = [name for name in schema["$defs"]["classes"] if name.endswith(".ResNet@MODELS")]
    resnet = schema["$defs"]["classes"][name]
    assert resnet["required"] == ["depth"]
    assert resnet["additionalProperties"] is False
    assert resnet["properties"]["frozen_stages"]["default"] == -1
    assert {"type": "integer"} in resnet["properties"]["frozen_stages"]["anyOf"]
    partial = schema["$defs"]["classes"][name + "~partial"]
    assert "required" not in partial  # a file may leave an argument to another file


def test_the_composed_config_validates_and_a_missing_argument_does_not(schema):
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = OmegaConf.to_container(compose("config", ["model=retinanet"]), resolve=False)
    root = jsonschema.Draft202012Validator(schema)
    assert [error.message[:200] for error in root.iter_errors(cfg)] == []
    del cfg["model"]["bbox_head"]["num_classes"]
    assert not root.is_valid(cfg)


def test_output_dir_has_one_schema_per_group_pointing_into_the_main_one(tmp_path, capsys):
    assert main(["schema", str(REPO / "run.py"), "-o", str(tmp_path)]) == 0
    assert "wrote hydrareg.schema.json and" in capsys.readouterr().out
    written = {path.name for path in tmp_path.iterdir()}
    assert {
        "hydrareg.schema.json",
        "primary.schema.json",
        "backbone.schema.json",
        "task.schema.json",
    } <= written
    main_schema = json.loads((tmp_path / "hydrareg.schema.json").read_text())
    backbone = json.loads((tmp_path / "backbone.schema.json").read_text())
    assert backbone == {"$ref": "hydrareg.schema.json#/$defs/files/backbone"}
    resources = Registry().with_resource("hydrareg.schema.json", Resource.from_contents(main_schema))
    check = jsonschema.Draft202012Validator(backbone, registry=resources)
    assert check.is_valid(yaml.safe_load((CONF / "backbone/mmcls_convnext.yaml").read_text()))
    assert not check.is_valid({"type": "mmcls.ConvNeXt", "arch": "tiny", "dpth": 3})


def test_without_output_the_schema_goes_to_stdout(capsys, syspath: Path):
    from cli_probe import make_probe_app

    app = make_probe_app(syspath)
    assert main(["schema", str(app)]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert set(schema["$defs"]["files"]) == {"primary", "net"}
    net = validator(schema, "#/$defs/files/net")
    assert net.is_valid({"type": "Net", "depth": 3})
    assert not net.is_valid({"type": "Net", "mode": "c"})  # Literal["a", "b"]
    assert net.is_valid({"type": "extra.Wide", "anything": 1})  # **kwargs
