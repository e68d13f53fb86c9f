"""What ``task=mmengine`` trains with MMEngine's Runner: a model, a dataset and a metric.

They live in hydrareg registries of scope ``zoo_digits`` (:mod:`.mmengine_registry`); MMEngine's
Runner builds them through MMEngine's own registries, which reach them because the two trees are
one (:mod:`hydrareg.registry.mmengine_bridge`). Imports mmengine and torch: loaded by the task only.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from torch import nn

from hydrareg_zoo.engine.digits import DigitsDataset

from .mmengine_registry import DATASETS, METRICS, MODELS

DATASETS.register_module(module=DigitsDataset)


@MODELS.register_module()
class DigitsNet(BaseModel):
    """A small MLP classifier on MMEngine's BaseModel (``loss``/``predict``/``tensor`` modes)."""

    def __init__(
        self,
        in_features: int = 64,
        hidden: int = 64,
        num_classes: int = 10,
        data_preprocessor: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)
        )

    def forward(self, inputs: torch.Tensor, labels: torch.Tensor, mode: str = "tensor") -> Any:
        logits = self.net(inputs)
        if mode == "loss":
            return {"loss": F.cross_entropy(logits, labels)}
        if mode == "predict":
            return list(zip(logits.argmax(dim=1).tolist(), labels.tolist(), strict=True))
        return logits


@METRICS.register_module()
class DigitsAccuracy(BaseMetric):
    """The fraction of correctly predicted digits (reported as ``digits/accuracy``)."""

    default_prefix = "digits"

    def process(self, data_batch: Any, data_samples: list[tuple[int, int]]) -> None:
        self.results.extend(int(predicted == label) for predicted, label in data_samples)

    def compute_metrics(self, results: list[int]) -> dict[str, float]:
        return {"accuracy": sum(results) / max(len(results), 1)}
