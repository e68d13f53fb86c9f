"""``BaseBackbone``: what every backbone shares (output levels, frozen stages, frozen norms)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from hydrareg.errors import ConfigValueError

from .base_module import BaseModule, InitCfg
from .layers import freeze, set_bn_eval

__all__ = ["BaseBackbone", "LayerSequenceBackbone", "normalize_indices"]


class BaseBackbone(BaseModule):
    """A backbone returning one map per ``out_indices`` entry, with ``out_channels`` for each.

    ``frozen_stages=k`` freezes the first ``k + 1`` entries of :meth:`stage_modules` (entry 0 is
    the stem in ResNet, CSPDarknet and MobileNetV3; -1 freezes nothing): their parameters stop
    requiring gradients and their BatchNorms stay in eval mode, also after ``model.train()``.
    ``norm_eval=True`` keeps every BatchNorm in eval mode while training (small-batch fine-tuning).
    To unfreeze later (a hook at some epoch), set ``frozen_stages = -1`` and turn
    ``requires_grad`` back on; the next ``train()`` no longer freezes anything.
    """

    out_channels: list[int]

    def __init__(self, frozen_stages: int = -1, norm_eval: bool = False, init_cfg: InitCfg = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

    def stage_modules(self) -> Sequence[Sequence[nn.Module]]:
        """The modules of each freezable stage, in order (entry 0 first to freeze)."""
        raise NotImplementedError

    def _check_frozen_stages(self) -> None:
        count = len(self.stage_modules())
        if not -1 <= self.frozen_stages < count:
            raise ConfigValueError(
                f"{type(self).__name__}: frozen_stages must be in [-1, {count - 1}], got {self.frozen_stages}"
            )

    def _freeze_stages(self) -> None:
        """Freeze stages ``0..frozen_stages`` (parameters and BatchNorm statistics)."""
        for modules in self.stage_modules()[: self.frozen_stages + 1]:
            for module in modules:
                freeze(module)

    def train(self, mode: bool = True) -> BaseBackbone:
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            set_bn_eval(self)
        return self


class LayerSequenceBackbone(BaseBackbone):
    """A backbone that is a chain of named layers (``self.layer_names``), each one stage.

    ``forward`` runs the chain only as far as the deepest of ``out_indices`` and returns those
    layers' outputs; each layer is one freezable stage.
    """

    layer_names: list[str]
    out_indices: list[int]

    def stage_modules(self) -> list[list[nn.Module]]:
        return [[getattr(self, name)] for name in self.layer_names]

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        feats = []
        for name in self.layer_names[: max(self.out_indices) + 1]:
            x = getattr(self, name)(x)
            feats.append(x)
        return tuple(feats[i] for i in self.out_indices)


def normalize_indices(out_indices: int | Sequence[int], count: int, owner: str) -> list[int]:
    """``out_indices`` as a list of non-negative indices below ``count`` (negatives count back)."""
    if isinstance(out_indices, str):  # list('foo') would report 'f'
        raise ConfigValueError(f"{owner}: out_indices must be an int or a list of ints, got {out_indices!r}")
    indices = [out_indices] if isinstance(out_indices, int) else list(out_indices)
    if not indices:
        raise ConfigValueError(f"{owner}: out_indices must not be empty")
    result = []
    for index in indices:
        if not isinstance(index, int) or not -count <= index < count:
            raise ConfigValueError(
                f"{owner}: out_indices entries must be ints in [{-count}, {count - 1}], got {index!r}"
            )
        result.append(index % count)
    return result
