"""Real MMDetection and MMPretrain models built through hydrareg from MMDetection's own configs.

MMDetection's shipped configs (plus one MMEngine config of ours, RetinaNet with MMPretrain's MobileNetV3-small,
``tests/support/openmmlab_configs``) are converted with ``hydrareg convert``, composed with Hydra and built
with ``hydrareg.instantiate``; each model must equal MMEngine's own build of the ``.py`` config (state dict
keys and shapes, and the same outputs for the same weights in ``tensor`` mode).

Runs wherever ``mmdet.models`` and ``mmpretrain.models`` import (``scripts/install_openmmlab.sh``), and is
skipped with the reason elsewhere. Where mmcv's or torchvision's compiled module cannot be loaded, the stand-ins
of ``tests/support/compiled_ops.py`` take the place of that module alone. No weights are downloaded: the
``init_cfg`` of type ``Pretrained`` is removed from both sides' configs before building, and neither side
calls ``init_weights``.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, MutableMapping
from itertools import chain
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, assert_same
from conftest import compose as compose_resolved
from support import compiled_ops

STAND_INS: list[str] = []  # the compiled modules stood in for (tests/support/compiled_ops.py)
PACKAGES = ("torch", "mmengine", "mmcv", "mmdet", "mmpretrain")
INSTALL_HINT = "bash scripts/install_openmmlab.sh installs them"


def _skip_reason() -> str | None:
    """Why the real packages cannot be used here, or None; imports their models where they can be."""
    missing = [name for name in PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        return f"not installed: {', '.join(missing)} ({INSTALL_HINT})"
    STAND_INS.extend(compiled_ops.install())  # before anything imports mmcv or torchvision
    for module in ("mmdet.models", "mmpretrain.models"):
        try:
            importlib.import_module(module)
        except Exception as error:  # any failure of a third-party import is a reason to skip
            return f"{module} does not import here: {type(error).__name__}: {error}"
    return None


_REASON = _skip_reason()
if _REASON is not None:
    pytest.skip(f"real OpenMMLab packages: {_REASON}", allow_module_level=True)

import mmdet.models  # noqa: E402
import mmpretrain.models  # noqa: E402
import torch  # noqa: E402
from hydra import compose, initialize_config_dir  # noqa: E402
from hydra.core.global_hydra import GlobalHydra  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import MODELS as MMENGINE_MODELS  # noqa: E402
from mmengine.registry import DefaultScope as MMEngineDefaultScope  # noqa: E402
from omegaconf import DictConfig, OmegaConf, open_dict  # noqa: E402

import hydrareg  # noqa: E402
from hydrareg.errors import UnknownTypeError  # noqa: E402
from hydrareg.registry import DefaultScope  # noqa: E402

SEED_CONFIGS = REPO / "tests" / "support" / "openmmlab_configs"
# run.py as ``python run.py`` runs it, with the same stand-ins as this process
RUN_PY = [sys.executable, str(REPO / "tests" / "support" / "compiled_ops.py"), str(REPO / "run.py")]
RETINANET = "retinanet/retinanet_r50_fpn_1x_coco"
SEED = "hydrareg_seed/retinanet_mobilenetv3-small_fpn_1x_coco"
BACKBONES = {RETINANET: mmdet.models.ResNet, SEED: mmpretrain.models.MobileNetV3}
ANCHORS_PER_PLACE = 9  # RetinaNet: 3 scales x 3 ratios
NUM_CLASSES = 80  # COCO


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MMDetection's shipped config tree with our seed config added: the ``.py`` side."""
    root = tmp_path_factory.mktemp("openmmlab") / "configs"
    shipped = Path(mmdet.__file__).parent / ".mim" / "configs"
    shutil.copytree(shipped, root)
    shutil.copytree(SEED_CONFIGS, root, dirs_exist_ok=True)
    return root


@pytest.fixture(scope="module")
def converted(configs: Path) -> Path:
    """The whole tree converted by the ``hydrareg convert`` command, as a user runs it."""
    outdir = configs.parent / "converted"
    command = [sys.executable, "-m", "hydrareg.cli", "convert", "-q", str(configs), str(outdir)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    # A few of MMDetection's configs name bases that it does not ship (status 1); ours must not be among them.
    assert done.returncode in (0, 1), done.stderr
    for name in (RETINANET, SEED):
        assert (outdir / f"{name}.yaml").is_file(), done.stdout + done.stderr
        assert name not in done.stdout + done.stderr
    return outdir


def strip_pretrained(node: MutableMapping[str, Any], path: str = "") -> list[str]:
    """Remove every ``init_cfg`` of type ``Pretrained`` below ``node`` (so no weights are fetched); their paths."""
    removed = []
    for key in list(node.keys()):
        value = node[key]
        if key == "init_cfg" and isinstance(value, MutableMapping) and value.get("type") == "Pretrained":
            del node[key]
            removed.append(f"{path}{key}")
        elif isinstance(value, MutableMapping):
            removed += strip_pretrained(value, f"{path}{key}.")
    return removed


def compose_converted(converted: Path, name: str, overrides: list[str] | None = None) -> DictConfig:
    """The converted config composed with Hydra, ``Pretrained`` checkpoints removed from its model."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(converted), version_base="1.3"):
        cfg = compose(config_name=name, overrides=overrides or [])
    with open_dict(cfg):
        assert strip_pretrained(cfg.model) == ["backbone.init_cfg"]
    return cfg


def mmengine_config(configs: Path, name: str, changes: dict[str, Any] | None = None) -> Config:
    """MMEngine's own reading of the ``.py`` config (``custom_imports`` imported), with ``changes`` merged."""
    cfg = Config.fromfile(str(configs / f"{name}.py"))
    cfg.merge_from_dict(changes or {})
    return cfg


def mmengine_build(configs: Path, name: str, changes: dict[str, Any] | None = None) -> torch.nn.Module:
    """The model as MMEngine builds it: the config's default scope, then ``MODELS.build``."""
    cfg = mmengine_config(configs, name, changes)
    assert strip_pretrained(cfg.model) == ["backbone.init_cfg"]
    with MMEngineDefaultScope.overwrite_default_scope(cfg.default_scope):
        return MMENGINE_MODELS.build(cfg.model)


def hydrareg_build(cfg: DictConfig, kind: str) -> torch.nn.Module:
    """``hydrareg.instantiate`` of the composed model: the DictConfig (its root's ``default_scope`` applies)
    or a plain dict of it that names its scope itself, checking that the input is left as it was."""
    if kind == "DictConfig":
        before = OmegaConf.to_container(cfg)
        model = hydrareg.instantiate(cfg.model)
        assert OmegaConf.to_container(cfg) == before
        return model
    config = OmegaConf.to_container(cfg.model, resolve=True)
    config["_scope_"] = cfg.default_scope
    before = copy.deepcopy(config)
    model = hydrareg.instantiate(config)
    assert config == before
    return model


@pytest.fixture
def scopes_kept() -> Iterator[None]:
    """Both default scopes, hydrareg's and MMEngine's, are the same after the test as before it."""
    mine, theirs = DefaultScope.get_current_instance(), MMEngineDefaultScope.get_current_instance()
    yield
    assert DefaultScope.get_current_instance() is mine
    assert MMEngineDefaultScope.get_current_instance() is theirs


def tensor_outputs(model: torch.nn.Module, image: torch.Tensor) -> list[list[torch.Tensor]]:
    """RetinaNet's head outputs (class scores and box deltas per level) for one image, in eval mode."""
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor({"inputs": [image]}, False)
        return model(**data, mode="tensor")


def a_test_image() -> torch.Tensor:
    """An image that needs the data preprocessor's padding (to multiples of 32)."""
    return torch.randint(0, 256, (3, 60, 90), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("name", [RETINANET, SEED])
def test_converted_config_composes_to_mmengines_dict(configs: Path, converted: Path, name: str) -> None:
    assert_same(compose_resolved(converted, name), mmengine_config(configs, name).to_dict())


@pytest.mark.parametrize("kind", ["DictConfig", "dict"])
@pytest.mark.parametrize("name", [RETINANET, SEED])
def test_builds_the_real_classes(converted: Path, name: str, kind: str, scopes_kept: None) -> None:
    model = hydrareg_build(compose_converted(converted, name), kind)
    assert type(model) is mmdet.models.RetinaNet
    assert type(model.backbone) is BACKBONES[name]
    assert type(model.neck) is mmdet.models.FPN
    # built inside the constructors by mmengine and mmdet, through MMEngine's default scope
    assert type(model.data_preprocessor) is mmdet.models.DetDataPreprocessor
    assert type(model.bbox_head.prior_generator) is mmdet.models.task_modules.AnchorGenerator
    assert type(model.bbox_head.bbox_coder) is mmdet.models.task_modules.DeltaXYWHBBoxCoder
    assert model.bbox_head.test_cfg.nms.iou_threshold == 0.5  # mmdet reads its configs by attribute


@pytest.mark.parametrize("kind", ["DictConfig", "dict"])
@pytest.mark.parametrize("name", [RETINANET, SEED])
def test_state_dict_equals_mmengines_build(
    configs: Path, converted: Path, name: str, kind: str, scopes_kept: None
) -> None:
    ours = hydrareg_build(compose_converted(converted, name), kind).state_dict()
    theirs = mmengine_build(configs, name).state_dict()
    assert [(key, tuple(value.shape)) for key, value in ours.items()] == [
        (key, tuple(value.shape)) for key, value in theirs.items()
    ]


@pytest.mark.parametrize("name", [RETINANET, SEED])
def test_forward_in_tensor_mode_equals_mmengines_build(
    configs: Path, converted: Path, name: str, scopes_kept: None
) -> None:
    ours = hydrareg_build(compose_converted(converted, name), "DictConfig")
    theirs = mmengine_build(configs, name)
    theirs.load_state_dict(ours.state_dict())
    image = a_test_image()
    got, expected = tensor_outputs(ours, image), tensor_outputs(theirs, image)
    scores, deltas = got
    assert [tuple(level.shape) for level in scores] == [
        (1, ANCHORS_PER_PLACE * NUM_CLASSES, height, width)
        for height, width in [(8, 12), (4, 6), (2, 3), (1, 2), (1, 1)]
    ]
    assert [level.shape[1] for level in deltas] == [ANCHORS_PER_PLACE * 4] * 5
    for ours_level, theirs_level in zip(chain(*got), chain(*expected), strict=True):
        torch.testing.assert_close(ours_level, theirs_level)


def test_command_line_overrides_reach_the_real_model(
    configs: Path, converted: Path, scopes_kept: None
) -> None:
    overrides = [
        "model.bbox_head.num_classes=3",
        "model.backbone.out_indices=[8,11]",
        "model.neck.in_channels=[48,96]",
    ]
    ours = hydrareg_build(compose_converted(converted, SEED, overrides), "DictConfig")
    changes = {
        "model.bbox_head.num_classes": 3,
        "model.backbone.out_indices": (8, 11),
        "model.neck.in_channels": [48, 96],
    }
    theirs = mmengine_build(configs, SEED, changes)
    assert list(ours.backbone.out_indices) == [8, 11]
    assert ours.bbox_head.retina_cls.out_channels == ANCHORS_PER_PLACE * 3
    assert {key: value.shape for key, value in ours.state_dict().items()} == {
        key: value.shape for key, value in theirs.state_dict().items()
    }


def test_an_unknown_backbone_names_its_config_path_and_close_names(
    converted: Path, scopes_kept: None
) -> None:
    cfg = compose_converted(converted, SEED, ["model.backbone.type=mmpretrain.MobileNetV4"])
    with pytest.raises(UnknownTypeError) as info:  # a KeyError, as MMEngine raises
        hydrareg.instantiate(cfg.model)
    message = str(info.value)
    assert message.startswith("mmpretrain.MobileNetV4 is not in the mmdet::model registry")
    assert "config path: model.backbone.type" in message
    assert "mmpretrain::model" in message  # the registry searched
    assert "mmpretrain.MobileNetV3" in message  # the closest name


def run_summary(converted: Path, rundir: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    """``python run.py`` on the converted seed config with the summary task (a forward pass on a batch)."""
    config = ["--config-dir", str(converted), "--config-name", SEED, "+task={type:summary}"]
    pretrained_off = "~model.backbone.init_cfg"  # the summary task calls init_weights
    command = [*RUN_PY, *config, pretrained_off, f"hydra.run.dir={rundir}", *overrides]
    return subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=rundir.parent)


def test_run_py_summarises_the_real_model(converted: Path, tmp_path: Path) -> None:
    done = run_summary(converted, tmp_path / "run")
    assert done.returncode == 0, done.stderr
    figures = json.loads((tmp_path / "run" / "result.json").read_text())["figures"]
    assert figures["model"] == "mmdet.RetinaNet"
    assert figures["output_shapes"][0][0] == [2, ANCHORS_PER_PLACE * NUM_CLASSES, 8, 8]
    assert re.search(r"backbone: MobileNetV3 +mmpretrain\.MobileNetV3 ", done.stdout), done.stdout


def test_run_py_reports_an_unknown_backbone(converted: Path, tmp_path: Path) -> None:
    done = run_summary(converted, tmp_path / "run", "model.backbone.type=mmpretrain.MobileNetV4")
    assert done.returncode == 1
    assert "mmpretrain.MobileNetV4 is not in the mmdet::model registry" in done.stderr
    assert "config path: model.backbone.type" in done.stderr
    assert "mmpretrain.MobileNetV3" in done.stderr
    assert not (tmp_path / "run" / "result.json").exists()


@pytest.mark.skipif(not STAND_INS, reason="the real compiled modules are installed: no stand-in in use")
def test_a_stood_in_compiled_op_refuses_to_run() -> None:
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 10.0, 10.0]])
    scores = torch.tensor([0.9, 0.8])
    if compiled_ops.MMCV_EXT in STAND_INS:
        from mmcv.ops import nms

        with pytest.raises(NotImplementedError, match=r"mmcv\._ext\.nms is a compiled op of mmcv"):
            nms(boxes, scores, 0.5)
    if compiled_ops.TORCHVISION_C in STAND_INS:
        import torchvision

        with pytest.raises(RuntimeError, match="Couldn't load custom C"):
            torchvision.ops.nms(boxes, scores, 0.5)
