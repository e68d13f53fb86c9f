"""The training engine: registries-built optimizer/scheduler, hooks, unfreezing, progress, checkpoints.

Tiny test-local models stand in for the zoo's classifiers here (same interface: ``.backbone``
with ``frozen_stages``/``_freeze_stages()``, ``loss``, ``predict``); test_zoo_train.py runs the
real ones.
"""

from __future__ import annotations

import io
import json
import logging
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from hydrareg import instantiate
from hydrareg.configdict import to_config_tree
from hydrareg.errors import ConfigTypeError, ConfigValueError, UnknownTypeError
from hydrareg.registry import DATASETS, HOOKS, MODELS
from hydrareg_zoo.engine import (
    DigitsDataset,
    Hook,
    Runner,
    UnfreezeBackboneHook,
    load_checkpoint,
    load_digits_split,
    parse_losses,
    save_checkpoint,
    torch_threads,
)
from hydrareg_zoo.tasks import TASKS


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """These tiny models run about as fast on one thread, and far faster on a busy machine."""
    with torch_threads(1):
        yield


class TinyBackbone(nn.Module):
    """Two conv stages; ``frozen_stages`` freezes the first ones as the zoo's backbones do."""

    def __init__(self, frozen_stages: int = -1) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU())
        self.layer1 = nn.Sequential(nn.Conv2d(8, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU())
        self.out_channels = [16]
        self.frozen_stages = frozen_stages
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        for stage in [self.stem, self.layer1][: self.frozen_stages + 1]:
            stage.eval()
            for param in stage.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> TinyBackbone:
        super().train(mode)
        self._freeze_stages()
        return self

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
        return (self.layer1(self.stem(x)),)


class TinyClassifier(nn.Module):
    def __init__(self, frozen_stages: int = -1) -> None:
        super().__init__()
        self.backbone = TinyBackbone(frozen_stages)
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x)[-1].mean(dim=(2, 3)))

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"loss": F.cross_entropy(self(x), y)}

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        return self(x).argmax(dim=1)


def random_loader(batches: int = 3, batch_size: int = 4) -> DataLoader:
    generator = torch.Generator().manual_seed(0)
    data = TensorDataset(
        torch.randn(batches * batch_size, 3, 8, 8, generator=generator),
        torch.randint(0, 10, (batches * batch_size,), generator=generator),
    )
    return DataLoader(data, batch_size=batch_size)


SGD = {"type": "SGD", "lr": 0.1, "momentum": 0.9}


def make_runner(model=None, **kwargs) -> Runner:
    kwargs.setdefault("optimizer", SGD)
    kwargs.setdefault("max_epochs", 3)
    kwargs.setdefault("progress", False)
    return Runner(model or TinyClassifier(), random_loader(), **kwargs)


# ------------------------------------------------------------------ optimizer and scheduler


@pytest.mark.parametrize("as_omegaconf", [False, True])
def test_optimizer_and_step_scheduler_from_registries(as_omegaconf):
    optim = OmegaConf.create(SGD) if as_omegaconf else dict(SGD)
    sched_cfg = {"type": "StepLR", "step_size": 1, "gamma": 0.5}
    sched = OmegaConf.create(sched_cfg) if as_omegaconf else dict(sched_cfg)
    runner = make_runner(optimizer=optim, param_scheduler=sched)
    assert isinstance(runner.optimizer, torch.optim.SGD)
    assert runner.optimizer.param_groups[0]["momentum"] == 0.9
    history = runner.train()
    assert [record["lr"] for record in history] == pytest.approx([0.1, 0.05, 0.025])
    assert runner.current_lr() == pytest.approx(0.0125)
    assert (OmegaConf.to_container(sched) if as_omegaconf else sched) == sched_cfg  # not mutated


def test_cosine_scheduler_by_hand_and_per_iteration_stepping():
    runner = make_runner(
        optimizer={"type": "AdamW", "lr": 0.01},
        param_scheduler={"type": "CosineAnnealingLR", "T_max": 4},
        max_epochs=4,
    )
    lrs = [record["lr"] for record in runner.train()]
    assert lrs == pytest.approx([0.01 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)])
    per_iter = make_runner(
        param_scheduler={"type": "StepLR", "step_size": 1, "gamma": 0.5, "by_epoch": False}, max_epochs=2
    )
    per_iter.train()  # 3 iterations per epoch, 6 steps
    assert per_iter.current_lr() == pytest.approx(0.1 * 0.5**6)


def test_bad_optimizer_config_names_the_path():
    cfg = to_config_tree({"type": "SDG", "lr": 0.1}, "optim")
    with pytest.raises(UnknownTypeError) as info:
        make_runner(optimizer=cfg)
    assert "optim.type" in str(info.value) and "SGD" in str(info.value)
    with pytest.raises(ConfigValueError, match="max_epochs"):
        make_runner(max_epochs=0)


# ------------------------------------------------------------------ hooks


class RecordingHook(Hook):
    def __init__(self, log: list) -> None:
        self.log = log

    def before_train(self, runner):
        self.log.append(("before_train", runner.epoch))

    def before_train_epoch(self, runner):
        self.log.append(("before_train_epoch", runner.epoch))

    def after_train_iter(self, runner, batch_idx, data_batch, outputs):
        assert set(outputs) == {"loss"} and isinstance(outputs["loss"], float)
        self.log.append(("after_train_iter", runner.epoch, batch_idx))

    def after_train_epoch(self, runner):
        self.log.append(("after_train_epoch", runner.epoch, len(runner.history)))

    def after_train(self, runner):
        self.log.append(("after_train", runner.epoch))


def test_hooks_fire_at_the_right_moments():
    log: list = []
    runner = make_runner(max_epochs=2, custom_hooks=[{"type": RecordingHook, "log": log}])
    runner.train()
    iters = [("after_train_iter", e, b) for e in range(2) for b in range(3)]
    assert log == [
        ("before_train", 0),
        ("before_train_epoch", 0),
        *iters[:3],
        ("after_train_epoch", 0, 1),
        ("before_train_epoch", 1),
        *iters[3:],
        ("after_train_epoch", 1, 2),
        ("after_train", 1),
    ]


def test_unfreeze_hook_really_unfreezes_at_its_epoch():
    model = TinyClassifier(frozen_stages=0)
    stem = model.backbone.stem
    assert not any(p.requires_grad for p in stem.parameters())
    frozen_weight = stem[0].weight.detach().clone()
    snapshots = []

    class Snapshot(Hook):
        def after_train_epoch(self, runner):
            snapshots.append((stem[0].weight.detach().clone(), stem[1].training))

    hooks = [
        to_config_tree({"type": "UnfreezeBackboneHook", "unfreeze_epoch": 1}, "task.custom_hooks[0]"),
        Snapshot(),
    ]
    runner = make_runner(model=model, custom_hooks=hooks)
    assert isinstance(runner.hooks[0], UnfreezeBackboneHook)
    history = runner.train()
    stem_params = sum(p.numel() for p in stem.parameters())
    trainable = [record["trainable_params"] for record in history]
    assert trainable[1] - trainable[0] == stem_params and trainable[2] == trainable[1]
    assert runner.hooks[0].unfrozen == stem_params
    assert torch.equal(snapshots[0][0], frozen_weight) and snapshots[0][1] is False
    assert not torch.equal(snapshots[1][0], frozen_weight) and snapshots[1][1] is True
    assert model.backbone.frozen_stages == -1
    assert any("unfrozen" in message for message in runner.messages)


def test_unfreeze_hook_on_a_backbone_with_nothing_frozen_says_so():
    runner = make_runner(model=TinyClassifier(frozen_stages=-1), custom_hooks=[UnfreezeBackboneHook(1)])
    runner.train()
    assert runner.hooks[0].unfrozen == 0
    assert "epoch 2: nothing to unfreeze (no backbone stage was frozen)" in runner.messages
    assert not any("unfrozen" in message for message in runner.messages)


def test_unfreeze_hook_errors_and_warnings():
    with pytest.raises(ConfigValueError, match=">= 0"):
        UnfreezeBackboneHook(-1)
    with pytest.raises(ConfigTypeError, match="int"):
        UnfreezeBackboneHook("2")
    with pytest.warns(UserWarning, match="never fires"):
        make_runner(custom_hooks=[UnfreezeBackboneHook(5)]).train()
    headless = nn.Linear(3, 2)
    runner = Runner(
        headless,
        [],
        {"type": "SGD", "lr": 0.1},
        max_epochs=1,
        custom_hooks=[UnfreezeBackboneHook(0)],
        progress=False,
    )
    with pytest.raises(ConfigValueError, match="backbone"):
        runner.train()


def test_bad_custom_hooks_name_the_config_path():
    hooks = to_config_tree({"custom_hooks": [{"type": "UnfreezeBackbonHook"}]}, "task")
    with pytest.raises(UnknownTypeError) as info:
        make_runner(custom_hooks=hooks["custom_hooks"])
    assert "task.custom_hooks[0].type" in str(info.value)
    assert "UnfreezeBackboneHook" in str(info.value)  # the suggestion
    not_a_hook = to_config_tree({"custom_hooks": [{"type": "torch.nn.Identity"}]}, "task")
    with pytest.raises(ConfigTypeError, match=r"task\.custom_hooks\[0\]"):
        make_runner(custom_hooks=not_a_hook["custom_hooks"])
    assert HOOKS.get("UnfreezeBackboneHook") is UnfreezeBackboneHook


# ------------------------------------------------------------------ losses, progress


def test_parse_losses():
    total, values = parse_losses(
        {
            "loss_cls": torch.tensor(1.5),
            "loss_box": [torch.tensor(1.0), torch.tensor(0.5)],
            "acc": torch.tensor(0.9),
        }
    )
    assert float(total) == 3.0 and values == {"loss_cls": 1.5, "loss_box": 1.5}
    with pytest.raises(ValueError, match="no entry"):
        parse_losses({"acc": torch.tensor(1.0)})


def test_non_finite_loss_stops_training():
    class Exploding(TinyClassifier):
        def loss(self, x, y):
            return {"loss": super().loss(x, y)["loss"] * float("nan")}

    with pytest.raises(FloatingPointError, match="nan"):
        make_runner(model=Exploding()).train()


def test_torch_threads_restores_the_count():
    before = torch.get_num_threads()
    with torch_threads(2):
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == before
    with pytest.raises(ConfigValueError, match=r"task\.num_threads"), torch_threads(0):
        pass


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_runner_logs_one_line_per_epoch_and_draws_no_bar_without_a_terminal(caplog):
    stream = io.StringIO()
    with caplog.at_level(logging.INFO, logger="hydrareg_zoo.engine.runner"):
        make_runner(progress=True, stream=stream, max_epochs=2).train()
    lines = [r.getMessage() for r in caplog.records if r.name == "hydrareg_zoo.engine.runner"]
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    assert all(" loss " in line and ", lr " in line and line.endswith(" s)") for line in lines)
    assert stream.getvalue() == ""  # a log or a pipe gets the epoch lines only


def test_runner_draws_a_bar_on_a_terminal_and_clears_it():
    terminal = Terminal()
    make_runner(progress=True, stream=terminal, max_epochs=1).train()
    drawn = terminal.getvalue()
    assert "epoch 1/1: " in drawn and "/3 " in drawn and drawn.endswith("\r")  # drawn, then cleared
    silent = Terminal()
    make_runner(progress=False, stream=silent, max_epochs=1).train()
    assert silent.getvalue() == ""


# ------------------------------------------------------------------ data, training, checkpoints


def test_digits_split_is_deterministic_and_stratified():
    split = load_digits_split(16, 0.2, 0, 3)
    images, train_labels = split["train"]
    test_images, test_labels = split["test"]
    assert images.shape == (1437, 3, 16, 16) and test_images.shape == (360, 3, 16, 16)
    assert abs(float(images.mean())) < 1e-4 and abs(float(images.std()) - 1) < 1e-3
    assert torch.equal(images[:, 0], images[:, 2])
    per_class_test = torch.bincount(test_labels, minlength=10).float()
    per_class = per_class_test + torch.bincount(train_labels, minlength=10)
    assert torch.allclose(per_class_test / per_class, torch.full((10,), 0.2), atol=0.01)  # stratified
    again = load_digits_split.__wrapped__(16, 0.2, 0, 3)
    assert torch.equal(again["test"][1], test_labels)
    other = load_digits_split.__wrapped__(16, 0.2, 1, 3)
    assert not torch.equal(other["test"][1], test_labels)


def test_digits_dataset_through_the_registry():
    dataset = DATASETS.build({"type": "DigitsDataset", "split": "test", "size": 16})
    assert isinstance(dataset, DigitsDataset) and len(dataset) == 360
    image, label = dataset[0]
    assert image.shape == (3, 16, 16) and 0 <= int(label) < 10
    with pytest.raises(ConfigValueError, match="split"):
        DigitsDataset(split="val")


def digits_loaders(size: int = 16):
    generator = torch.Generator().manual_seed(0)
    train = DataLoader(DigitsDataset("train", size=size), batch_size=32, shuffle=True, generator=generator)
    test = DataLoader(DigitsDataset("test", size=size), batch_size=256)
    return train, test


def test_short_training_reaches_a_meaningful_accuracy():
    torch.manual_seed(0)
    train, test = digits_loaders()
    runner = Runner(
        TinyClassifier(),
        train,
        {"type": "SGD", "lr": 0.1, "momentum": 0.9},
        max_epochs=3,
        test_dataloader=test,
        progress=False,
        param_scheduler={"type": "CosineAnnealingLR", "T_max": 3},
    )
    history = runner.train()
    assert history[-1]["accuracy"] >= 0.85  # chance is 0.1
    assert history[-1]["loss"] < history[0]["loss"]


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    model = TinyClassifier()
    model.eval()
    path = save_checkpoint(model, tmp_path / "sub" / "ckpt.pth", meta={"epoch": 3, "acc": 0.5})
    fresh = TinyClassifier()
    fresh.eval()
    x = torch.randn(2, 3, 8, 8)
    assert not torch.equal(fresh(x), model(x))
    assert load_checkpoint(fresh, path) == {"epoch": 3, "acc": 0.5}
    assert torch.equal(fresh(x), model(x))
    backbone = TinyBackbone()
    load_checkpoint(backbone, path, prefix="backbone.")
    assert torch.equal(backbone.stem[0].weight, model.backbone.stem[0].weight)
    with pytest.raises(KeyError, match="neck"):
        load_checkpoint(backbone, path, prefix="neck.")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(backbone, tmp_path / "missing.pth")


# ------------------------------------------------------------------ the train task, composed as run.py does

CONF = Path(__file__).resolve().parents[1] / "conf"


def compose_app(*overrides: str):
    """conf/config.yaml composed as run.py would, with these command-line overrides."""
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def test_train_task_composes_model_dataset_optimizer_and_schedule():
    cfg = compose_app("task=train")
    assert cfg.model.type == "mmcls.ImageClassifier" and cfg.model.backbone.type == "mmcls.ResNet"
    assert cfg.dataset.type == "DigitsDataset" and cfg.optim.type == "SGD"
    assert cfg.schedule.type == "CosineAnnealingLR" and cfg.schedule.T_max == cfg.task.epochs == 5
    assert cfg.task.custom_hooks[0].type == "UnfreezeBackboneHook"
    swapped = compose_app(
        "task=train",
        "optim=adamw",
        "optim.lr=0.01",
        "schedule=step",
        "backbone=mmcls_mobilenetv3",
        "task.epochs=3",
    )
    assert swapped.optim.type == "AdamW" and swapped.optim.lr == 0.01
    assert swapped.schedule.type == "StepLR"
    assert swapped.model.backbone.type == "mmcls.MobileNetV3"
    assert compose_app("task=train", "model=yolox").model.type == "mmdet.YOLOX"  # CLI wins


def test_train_task_rejects_a_detector(tmp_path):
    cfg = compose_app("task=train", "model=yolox", "dataset.size=16")
    with pytest.raises(ConfigValueError) as info:
        instantiate(cfg.task, registry=TASKS, cfg=cfg, output_dir=tmp_path)
    assert "model=image_classifier" in str(info.value) and "config path: model" in str(info.value)


def test_train_task_with_the_zoo_classifier_then_a_detector_loads_its_backbone(tmp_path):
    """Item 5 in small (16 px digits, 2 epochs): train, save, load the backbone into RetinaNet."""
    cfg = compose_app(
        "task=train",
        "backbone=mmcls_resnet18",
        "dataset.size=16",
        "task.epochs=2",
        "model.backbone.frozen_stages=1",
        "task.progress=false",
        "task.num_threads=1",
    )
    figures = instantiate(cfg.task, registry=TASKS, cfg=cfg, output_dir=tmp_path)
    assert figures["accuracy"] >= 0.85  # measured 0.96; chance is 0.1
    assert figures["epochs"] == 2 and figures["loss"] > 0 and figures["seconds"] > 0
    history = json.loads((tmp_path / "history.json").read_text())
    assert history[1]["trainable_params"] > history[0]["trainable_params"]  # unfrozen at epoch 2
    checkpoint = Path(figures["checkpoint"])
    saved = torch.load(checkpoint, weights_only=True)
    assert saved["meta"]["accuracy"] == pytest.approx(figures["accuracy"], abs=1e-4)
    assert saved["meta"]["model"]["type"] == "mmcls.ImageClassifier"

    detector_cfg = compose_app(
        "model=retinanet",
        "backbone=mmcls_resnet18",
        "+model.backbone.init_cfg.type=Pretrained",
        f"+model.backbone.init_cfg.checkpoint={checkpoint}",
        "+model.backbone.init_cfg.prefix=backbone.",
    )
    detector = instantiate(detector_cfg.model, registry=MODELS)
    detector.init_weights()
    loaded = detector.backbone.state_dict()
    trained = {k[len("backbone.") :]: v for k, v in saved["state_dict"].items() if k.startswith("backbone.")}
    assert loaded.keys() == trained.keys()
    assert all(torch.equal(loaded[key], value) for key, value in trained.items())
