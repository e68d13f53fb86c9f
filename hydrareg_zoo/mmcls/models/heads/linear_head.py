"""``LinearClsHead``: one fully connected layer from the last feature vector to class logits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor, nn

from hydrareg.errors import ConfigValueError

from ....common._cfg import build_child
from ....common.base_module import BaseModule, InitCfg
from ...registry import MODELS

__all__ = ["LinearClsHead"]

# Default sub-configs name their library: the root MODELS also holds torch's CrossEntropyLoss and
# L1Loss, which an unprefixed name reaches when this head is built under another library's default
# scope (a detector inside an mmtrack tracker, say).
CE_LOSS = {"type": "mmcls.CrossEntropyLoss", "loss_weight": 1.0}
NORMAL_LINEAR_INIT = {"type": "Normal", "layer": "Linear", "std": 0.01}


@MODELS.register_module()
class LinearClsHead(BaseModule):
    """Logits ``[B, num_classes]`` from the last of the neck's vectors, and their loss.

    Args:
        num_classes: Number of classes.
        in_channels: Length of the feature vector (the backbone's last ``out_channels`` after GAP).
        loss: Config of the loss, built through mmcls's ``MODELS``.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        loss: Mapping[str, Any] = CE_LOSS,
        init_cfg: InitCfg = NORMAL_LINEAR_INIT,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_classes <= 0:
            raise ConfigValueError(f"LinearClsHead: num_classes must be positive, got {num_classes}")
        self.num_classes, self.in_channels = num_classes, in_channels
        self.loss_module = build_child(MODELS, loss, "loss")
        self.fc = nn.Linear(in_channels, num_classes)

    def pre_logits(self, feats: Tensor | tuple[Tensor, ...]) -> Tensor:
        """The vector the classifier reads: the last level's."""
        return feats[-1] if isinstance(feats, tuple) else feats

    def forward(self, feats: Tensor | tuple[Tensor, ...]) -> Tensor:
        return self.fc(self.pre_logits(feats))

    def loss(self, feats: Tensor | tuple[Tensor, ...], labels: Tensor) -> dict[str, Tensor]:
        return {"loss": self.loss_module(self(feats), labels)}

    def predict(self, feats: Tensor | tuple[Tensor, ...]) -> Tensor:
        return self(feats).argmax(dim=1)
