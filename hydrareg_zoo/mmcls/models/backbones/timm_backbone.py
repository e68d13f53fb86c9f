"""``TIMMBackbone``: any ``timm`` model as a backbone, as MMPretrain wraps it.

``timm`` is optional (``pip install 'hydrareg[timm]'``) and imported when the first
``TIMMBackbone`` is built, so the mmcls registry stays cheap to load.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from hydrareg.errors import ConfigValueError

from ....common.base_module import BaseModule, InitCfg
from ...registry import MODELS

__all__ = ["TIMMBackbone"]


@MODELS.register_module()
class TIMMBackbone(BaseModule):
    """A ``timm.create_model(model_name, ...)`` model; its feature maps as a tuple.

    With ``features_only=True`` (what detectors use) the outputs are the maps at ``out_indices``
    and ``out_channels`` lists their channels, so a neck's ``${backbone_channels:...}`` follows the
    chosen model. Otherwise the model's final output is returned as a 1-tuple. Extra keyword
    arguments (``out_indices``, ``drop_path_rate``, ...) go to ``timm.create_model``.
    ``pretrained=True`` downloads weights from timm's hub, which needs the network.
    """

    def __init__(
        self,
        model_name: str,
        features_only: bool = False,
        pretrained: bool = False,
        checkpoint_path: str = "",
        in_channels: int = 3,
        init_cfg: InitCfg = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        timm = _import_timm()
        if not timm.is_model(model_name):
            close = timm.list_models(f"*{model_name.split('_')[0]}*")[:5]
            raise ConfigValueError(
                f"timm has no model named {model_name!r}" + (f"; close: {', '.join(close)}" if close else "")
            )
        self.timm_model = timm.create_model(
            model_name,
            features_only=features_only,
            pretrained=pretrained,
            in_chans=in_channels,
            checkpoint_path=checkpoint_path,
            **kwargs,
        )
        self.features_only = features_only
        self.out_channels = _out_channels(self.timm_model, features_only)

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        features = self.timm_model(x)
        return tuple(features) if isinstance(features, (list, tuple)) else (features,)


def _out_channels(model: nn.Module, features_only: bool) -> list[int]:
    """The channels of each returned map (``feature_info``), or the classifier's feature count."""
    if features_only:
        return list(model.feature_info.channels())
    return [int(getattr(model, "num_classes", 0) or getattr(model, "num_features", 0))]


def _import_timm() -> Any:
    """``timm``, importable beside a CPU torch whose torchvision lacks its compiled ops."""
    from ....common.torchvision_ops import ensure_torchvision_importable

    ensure_torchvision_importable()
    try:
        import timm
    except ImportError as error:
        raise ImportError(
            "TIMMBackbone needs timm: pip install 'hydrareg[timm]' (or pip install timm)"
        ) from error
    return timm
