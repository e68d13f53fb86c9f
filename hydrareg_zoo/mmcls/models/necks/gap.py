"""``GlobalAveragePooling``: each feature map ``[B, C, H, W]`` becomes a vector ``[B, C]``."""

from __future__ import annotations

from torch import Tensor, nn

from ...registry import MODELS

__all__ = ["GlobalAveragePooling"]


@MODELS.register_module()
class GlobalAveragePooling(nn.Module):
    """Average every map over its spatial dimensions; a tuple of maps gives a tuple of vectors."""

    def __init__(self, dim: int = 2) -> None:
        super().__init__()
        if dim not in (1, 2, 3):
            raise ValueError(f"GlobalAveragePooling: dim must be 1, 2 or 3, got {dim}")
        self.dim = dim

    def _pool(self, x: Tensor) -> Tensor:
        if x.dim() == 2:  # already a vector (e.g. ConvNeXt with gap_before_final_norm)
            return x
        return x.flatten(2).mean(dim=2) if x.dim() == self.dim + 2 else x.flatten(1)

    def forward(self, inputs: Tensor | tuple[Tensor, ...]) -> Tensor | tuple[Tensor, ...]:
        if isinstance(inputs, tuple):
            return tuple(self._pool(x) for x in inputs)
        if isinstance(inputs, Tensor):
            return self._pool(inputs)
        raise TypeError(f"GlobalAveragePooling expects a Tensor or a tuple, got {type(inputs).__name__}")
