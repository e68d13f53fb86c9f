"""``ImageClassifier``: backbone, optional neck and a head, each built from its config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor

from hydrareg.errors import ConfigValueError

from ....common._cfg import build_child
from ....common.base_module import BaseModule, InitCfg
from ...registry import MODELS

__all__ = ["ImageClassifier"]


@MODELS.register_module()
class ImageClassifier(BaseModule):
    """Classify images: ``forward`` gives logits, ``loss`` a dict with ``loss``, ``predict`` labels.

    The submodules are built through mmcls's ``MODELS``, so ``type: ResNet`` means mmcls's and
    ``type: mmdet.CSPDarknet`` reaches another library.
    """

    def __init__(
        self,
        backbone: Mapping[str, Any],
        neck: Mapping[str, Any] | None = None,
        head: Mapping[str, Any] | None = None,
        init_cfg: InitCfg = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.backbone = build_child(MODELS, backbone, "backbone")
        self.neck = None if neck is None else build_child(MODELS, neck, "neck")
        self.head = None if head is None else build_child(MODELS, head, "head")

    def extract_feat(self, inputs: Tensor) -> tuple[Tensor, ...]:
        feats = self.backbone(inputs)
        return feats if self.neck is None else self.neck(feats)

    def forward(self, inputs: Tensor) -> Tensor:
        return self._head().forward(self.extract_feat(inputs))

    def loss(self, inputs: Tensor, labels: Tensor) -> dict[str, Tensor]:
        return self._head().loss(self.extract_feat(inputs), labels)

    def predict(self, inputs: Tensor) -> Tensor:
        return self._head().predict(self.extract_feat(inputs))

    def _head(self) -> Any:
        if self.head is None:
            raise ConfigValueError("ImageClassifier: this model has no head, so it cannot classify")
        return self.head
