"""hydrareg and real MMEngine 0.10.7: one registry tree, one default scope.

The library under test is ``tests/libs/mmlike_det``, shaped like an OpenMMLab package (its own
``registry.py`` below MMEngine's roots, lazy ``locations``, a ``BaseModel`` detector with a
``data_preprocessor``, children built through its registry and ``TASK_UTILS``). It is combined
with hydrareg's demo libraries (``mmcls``) in a Hydra-composed config.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections import OrderedDict
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

mmengine = pytest.importorskip("mmengine")
pytest.importorskip("torch")

import mmengine.registry as mm  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, ConfigDict  # noqa: E402

from hydrareg import instantiate  # noqa: E402
from hydrareg.errors import UnknownTypeError  # noqa: E402
from hydrareg.registry import MODELS, TASK_UTILS, VISUALIZERS, current_scope_name  # noqa: E402
from hydrareg.registry import mmengine_bridge as bridge  # noqa: E402

LIBS = Path(__file__).resolve().parent / "libs"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def mmlike_det_installed():
    """The test library on sys.path, like an installed package (imported once, as libraries are)."""
    sys.path.insert(0, str(LIBS))
    from hydrareg.registry import _scopes

    _scopes.forget_declared_scopes()
    yield
    sys.path.remove(str(LIBS))
    _scopes.forget_declared_scopes()


@pytest.fixture(autouse=True)
def mmengine_default_scope():
    """Each test starts and ends with MMEngine's DefaultScope instances as they were."""
    saved = OrderedDict(mm.DefaultScope._instance_dict)
    yield
    mm.DefaultScope._instance_dict = saved


def mmengine_scope():
    current = mm.DefaultScope.get_current_instance()
    return None if current is None else current.scope_name


DETECTOR = {
    "type": "TinyDetector",
    "data_preprocessor": {"type": "TinyDetPreprocessor", "scale": 2.0},
    "backbone": {"_scope_": "mmcls", "type": "ResNet", "depth": 18, "out_indices": [1], "stem_pool": False},
    "head": {
        "type": "TinyHead",
        "anchor_generator": {"type": "TinyAnchorGenerator", "sizes": [8, 16]},
        "bbox_coder": {"type": "TinyDeltaCoder", "scale": 0.5},
    },
    "test_cfg": {"score_thr": 0.5, "nms": {"type": "nms", "iou_threshold": 0.6}},
}


def write_conf(root: Path) -> Path:
    """A Hydra config tree: the detector, with the backbone a config group (demo mmcls or own)."""
    conf = root / "conf"
    (conf / "backbone").mkdir(parents=True)
    model = {key: value for key, value in DETECTOR.items() if key != "backbone"}
    (conf / "config.yaml").write_text(
        "defaults:\n  - backbone: demo_resnet\n  - _self_\n\ndefault_scope: mmlike_det\n"
        + OmegaConf.to_yaml({"model": model})
    )
    (conf / "backbone" / "demo_resnet.yaml").write_text(
        "# @package model.backbone\n" + OmegaConf.to_yaml(DETECTOR["backbone"])
    )
    (conf / "backbone" / "own.yaml").write_text(
        "# @package model.backbone\n_scope_: mmlike_det\ntype: TinyBackbone\nchannels: 8\n"
    )
    return conf


def composed(tmp_path: Path, *overrides: str):
    with initialize_config_dir(config_dir=str(write_conf(tmp_path)), version_base="1.3"):
        return compose("config", overrides=list(overrides))


# ---------------------------------------------------------------------------- one tree


def test_lookups_reach_scopes_registered_on_either_side():
    from mmlike_det import registry as lib

    demo_resnet = MODELS.get("mmcls.ResNet")
    assert MODELS.get("mmlike_det.TinyDetector").__module__ == "mmlike_det.models"  # lazy locations
    assert mm.MODELS.get("mmcls.ResNet") is demo_resnet  # MMEngine's root reaches hydrareg's library
    assert lib.MODELS.get("mmcls.ResNet") is demo_resnet  # ... and so does a sibling in MMEngine's tree
    if (
        "mmpretrain" in MODELS.find_scope("mmcls").scope_names
    ):  # the demo's alias, unless mmpretrain is installed
        assert mm.MODELS.get("mmpretrain.ResNet") is demo_resnet
    assert TASK_UTILS.get("mmlike_det.TinyDeltaCoder").__name__ == "TinyDeltaCoder"
    adopted = MODELS.find_scope("mmlike_det")
    assert isinstance(adopted, bridge.AdoptedRegistry) and adopted.module_dict is lib.MODELS.module_dict
    # parent fallback from the library's node reaches MMEngine's own classes in MMEngine's root
    assert adopted.get("BaseDataPreprocessor") is mm.MODELS.get("BaseDataPreprocessor")
    assert MODELS.find_scope("mmcls").get("ImgDataPreprocessor").__module__.startswith("mmengine.model")


def test_the_demo_library_is_a_node_of_mmengines_tree_for_scope_switches():
    with mm.MODELS.switch_scope_and_registry("mmcls") as registry:
        assert registry.get("ResNet") is MODELS.get("mmcls.ResNet")
        assert registry.get("mmpretrain.ResNet") is MODELS.get("mmcls.ResNet")


# ---------------------------------------------------------------------------- builds


@pytest.mark.parametrize("form", ["dict", "DictConfig"])
def test_the_composed_library_builds_through_instantiate(tmp_path, form):
    cfg = composed(tmp_path)
    before = mmengine_scope()
    node = cfg if form == "DictConfig" else OmegaConf.to_container(cfg)
    snapshot = OmegaConf.to_container(cfg)
    model = instantiate(node)["model"] if form == "dict" else instantiate(cfg.model)
    assert type(model).__name__ == "TinyDetector"
    assert type(model.data_preprocessor).__name__ == "TinyDetPreprocessor"  # MMEngine's default scope
    assert type(model.backbone).__module__ == "hydrareg_zoo.mmcls.models.backbones.resnet"
    assert type(model.head.anchor_generator).__name__ == "TinyAnchorGenerator"  # TASK_UTILS
    scores, boxes = model(torch.zeros(1, 3, 16, 16))
    assert scores.shape[1] == 4 and boxes.shape[1] == 8
    data = model.data_preprocessor({"inputs": torch.ones(1, 3, 16, 16)})
    assert float(data["inputs"].mean()) == 2.0
    assert model(data["inputs"], mode="predict")[0]["iou"] == 0.6  # test_cfg.nms by attribute
    assert mmengine_scope() == before and current_scope_name() is None
    assert OmegaConf.to_container(cfg) == snapshot


def test_a_backbone_from_the_library_itself_swaps_in_by_config_group(tmp_path):
    model = instantiate(composed(tmp_path, "backbone=own").model)
    assert type(model.backbone).__name__ == "TinyBackbone"


def test_instantiate_accepts_mmengine_registries_and_configs():
    from mmlike_det import registry as lib

    cfg = Config({"model": {key: value for key, value in DETECTOR.items() if key != "data_preprocessor"}})
    model = instantiate(cfg.model, registry=lib.MODELS)
    assert type(model).__name__ == "TinyDetector"
    assert type(model.data_preprocessor).__name__ == "BaseDataPreprocessor"
    whole = instantiate(Config({"model": {"type": "TinyBackbone"}}), registry=lib.MODELS)
    assert type(whole["model"]).__name__ == "TinyBackbone"
    coder = instantiate(ConfigDict(type="TinyDeltaCoder", scale=3.0), registry=lib.TASK_UTILS)
    assert coder.scale == 3.0
    with pytest.raises(TypeError, match="registry must be a hydrareg or MMEngine Registry"):
        instantiate({"type": "TinyBackbone"}, registry=object())


@pytest.mark.parametrize("form", [dict, OmegaConf.create])
def test_manager_mixin_classes_from_either_side_are_built_through_get_instance(form):
    from mmengine.logging import MessageHub
    from mmengine.visualization import Visualizer

    hub = instantiate(form({"type": "mmengine.logging.MessageHub", "name": "hydrareg-test-hub"}))
    assert hub is MessageHub.get_instance("hydrareg-test-hub")
    vis = instantiate(form({"type": "Visualizer", "name": "hydrareg-test-vis"}), registry=VISUALIZERS)
    assert vis is Visualizer.get_instance("hydrareg-test-vis")
    from hydrareg.registry import DefaultScope

    cfg = {"type": "hydrareg.registry.DefaultScope", "name": "hydrareg-test-scope", "scope_name": "x"}
    assert instantiate(form(cfg)) is DefaultScope.get_instance("hydrareg-test-scope")


# ---------------------------------------------------------------------------- scopes agree


def test_every_hydrareg_switch_holds_mmengines_default_scope_and_undoes_it():
    seen = []

    @MODELS.register_module(name="ScopeProbe")
    def probe(**kwargs):
        seen.append((current_scope_name(), mmengine_scope()))
        if kwargs.get("fail"):
            raise RuntimeError("probe failed")
        return kwargs

    before = mmengine_scope()
    instantiate({"default_scope": "mmcls", "m": {"type": "mmengine.ScopeProbe", "_scope_": "mmlike_det"}})
    assert seen == [("mmlike_det", "mmlike_det")] and mmengine_scope() == before
    with pytest.raises(RuntimeError, match="probe failed"):
        instantiate({"type": "mmengine.ScopeProbe", "_scope_": "mmcls", "fail": True})
    assert seen[-1] == ("mmcls", "mmcls") and mmengine_scope() == before and current_scope_name() is None


def test_without_a_scope_of_its_own_hydrareg_follows_mmengines():
    mm.init_default_scope("mmlike_det")
    assert current_scope_name() == "mmlike_det"
    assert type(instantiate({"type": "TinyBackbone"})).__name__ == "TinyBackbone"  # from the root


# ---------------------------------------------------------------------------- errors and caches


@pytest.mark.parametrize("form", [dict, OmegaConf.create])
def test_a_miss_inside_mmengines_build_names_path_registries_and_close_names(form):
    cfg = {key: value for key, value in DETECTOR.items() if key != "backbone"}
    cfg["backbone"] = {"type": "TinyBakbone"}
    before = mmengine_scope()
    with pytest.raises(KeyError) as info:
        instantiate(form({"default_scope": "mmlike_det", "model": cfg}))
    error = info.value
    assert isinstance(error, UnknownTypeError)
    assert error.config_path == "model.backbone.type"
    assert "TinyBakbone is not in the mmlike_det::model registry" in str(error)
    assert "mmlike_det::model -> mmengine::model" in str(error) and "mmlike_det.TinyBackbone" in str(error)
    assert mmengine_scope() == before and current_scope_name() is None


def test_the_build_cache_follows_changes_on_mmengines_side():
    from mmlike_det import registry as lib

    cfg = {"type": "mmlike_det.CacheProbe"}
    lib.MODELS.register_module(name="CacheProbe", module=lambda: "first")
    assert instantiate(cfg) == "first"
    lib.MODELS.register_module(name="CacheProbe", module=lambda: "second", force=True)
    assert instantiate(cfg) == "second"
    del lib.MODELS.module_dict["CacheProbe"]
    with pytest.raises(KeyError):
        instantiate(cfg)
    late = mm.Registry("model", parent=lib.MODELS, scope="mmlike_late")
    late.register_module(name="Late", module=lambda: "late")
    assert instantiate({"type": "mmlike_late.Late"}) == "late"
    assert MODELS.find_scope("mmlike_late").parent is MODELS.find_scope("mmlike_det")


# ---------------------------------------------------------------------------- processes


def run_python(code: str, *paths: Path) -> subprocess.CompletedProcess:
    env_path = ":".join([*(str(path) for path in paths), str(REPO)])
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": env_path},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_a_real_installed_package_owns_its_scope_name(tmp_path):
    """An installed mmtrack (here a real package shaped like it) wins over the demo, said once."""
    package = tmp_path / "mmtrack"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "registry.py").write_text(
        "from mmengine.registry import MODELS as ROOT, Registry\n"
        "MODELS = Registry('model', parent=ROOT, scope='mmtrack')\n"
        "@MODELS.register_module()\nclass ByteTrack:\n    real = True\n"
        "@MODELS.register_module()\nclass ScopeReader:\n"
        "    def __init__(self):\n"
        "        from mmengine.registry import DefaultScope\n"
        "        self.scope = DefaultScope.get_current_instance().scope_name\n"
    )
    (package / "utils.py").write_text(  # OpenMMLab's way to register lazily, without `locations`
        "def register_all_modules(init_default_scope=True):\n"
        "    from .registry import MODELS\n"
        "    MODELS.register_module(name='LateTracker', module=type('LateTracker', (), {}))\n"
    )
    out = run_python(
        """
        import sys
        import warnings
        warnings.simplefilter("always")
        with warnings.catch_warnings(record=True) as caught:
            from hydrareg import instantiate
            # mmengine is not loaded yet: the switch itself brings the real package (and MMEngine) in
            assert "mmengine" not in sys.modules
            reader = instantiate({"default_scope": "mmtrack", "m": {"type": "ScopeReader"}})["m"]
            assert reader.scope == "mmtrack", reader.scope
            from hydrareg.registry import MODELS
            import hydrareg_zoo.mmtrack.registry as demo
            real = MODELS.get("mmtrack.ByteTrack")
            demo_cls = MODELS.get("demo_mmtrack.ByteTrack")
            late = MODELS.get("mmtrack.LateTracker")  # MMEngine's register_all_modules fallback
        said = [str(w.message) for w in caught if "owns" in str(w.message)]
        assert demo.SCOPE == "demo_mmtrack", demo.SCOPE
        assert getattr(real, "real", False) and real.__module__ == "mmtrack.registry", real
        assert demo_cls.__module__.startswith("hydrareg_zoo.mmtrack"), demo_cls
        assert late.__name__ == "LateTracker", late
        assert len(said) == 1 and "installed package 'mmtrack' owns the scope" in said[0], said
        print("ok")
        """,
        tmp_path,
    )
    assert out.stdout.strip().endswith("ok")


def test_hydrareg_never_imports_mmengine_by_itself():
    """Builds, scope switches, misses and errors without mmengine ever being imported."""
    run_python(
        """
        import sys
        import warnings
        import hydrareg
        from hydrareg import instantiate
        from hydrareg.registry import MODELS, use_scope
        assert "mmengine" not in sys.modules
        model = instantiate({"default_scope": "mmdet", "m": {"type": "mmcls.ResNet", "depth": 18}})
        with use_scope("mmdet", MODELS):
            MODELS.get("NoSuchThing"); MODELS.get("nosuchscope.Thing")
        try:
            instantiate({"type": "ResNett", "_scope_": "mmcls"})
        except KeyError:
            pass
        assert "mmengine" not in sys.modules, sorted(m for m in sys.modules if "mmengine" in m)
        """
    )


def test_torchs_schedulers_yield_to_mmengines_own_class_of_the_same_name():
    """An OpenMMLab config's ``MultiStepLR`` (with ``by_epoch``) builds MMEngine's class on both sides."""
    run_python(
        """
        import torch
        from hydrareg.registry import PARAM_SCHEDULERS, Registry
        torch_schedulers = torch.optim.lr_scheduler
        assert PARAM_SCHEDULERS.get("MultiStepLR") is torch_schedulers.MultiStepLR  # mmengine not loaded
        import mmengine.registry as mm
        mmengines = PARAM_SCHEDULERS.get("MultiStepLR")  # imports mmengine.optim, as MMEngine's build would
        assert mmengines is mm.PARAM_SCHEDULERS.get("MultiStepLR") is not None
        assert mmengines.__module__.startswith("mmengine.optim")
        library = Registry("parameter scheduler", parent=PARAM_SCHEDULERS, scope="mylib")
        assert library.get("MultiStepLR") is mmengines  # parent fallback
        assert PARAM_SCHEDULERS.get("CyclicLR") is torch_schedulers.CyclicLR  # MMEngine has none
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        cfg = {"type": "MultiStepLR", "by_epoch": True, "milestones": [2]}
        built = PARAM_SCHEDULERS.build(cfg, default_args={"optimizer": optimizer})
        assert type(built) is type(mm.PARAM_SCHEDULERS.build(cfg, default_args={"optimizer": optimizer}))
        """
    )


def test_without_mmengine_installed_everything_else_works():
    run_python(
        """
        import sys
        sys.modules["mmengine"] = None  # as if it were not installed: importing it fails
        from hydrareg import instantiate
        model = instantiate({"default_scope": "mmdet", "m": {"type": "mmcls.ResNet", "depth": 18}})["m"]
        assert type(model).__name__ == "ResNet"
        try:
            instantiate({"type": "x"}, registry=object())
            raise AssertionError("not refused")
        except TypeError as exc:
            assert "hydrareg or MMEngine Registry" in str(exc)
        """
    )


def test_a_broken_location_of_an_mmengine_registry_is_an_import_error_naming_it():
    from hydrareg.errors import RegistryImportError

    mm.Registry("model", parent=mm.MODELS, scope="mmlike_broken", locations=["mmlike_det.no_such_module"])
    try:
        with pytest.raises(ImportError) as info:
            MODELS.get("mmlike_broken.Anything")
        assert isinstance(info.value, RegistryImportError)
        assert "mmlike_broken::model" in str(info.value) and "no_such_module" in str(info.value)
    finally:  # a broken library must not stay in the process's trees for later tests
        mm.MODELS.children.pop("mmlike_broken")
        MODELS.children.pop("mmlike_broken")
        MODELS._scope_index.pop("mmlike_broken")
        MODELS._tree.version += 1
