"""The digits data (scikit-learn's bundled 8x8 handwritten digits), upscaled for CNN backbones.

No download: the 1,797 images ship inside scikit-learn. They are split deterministically
(stratified, ``seed``), upscaled to ``size`` x ``size`` with bilinear interpolation, given
``channels`` identical channels (3 suits ImageNet-style backbones) and standardised with the
training split's mean and deviation.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from hydrareg.errors import ConfigValueError
from hydrareg.registry import DATASETS

__all__ = ["DigitsDataset", "load_digits_split"]

SPLITS = ("train", "test")


@functools.lru_cache(maxsize=4)
def load_digits_split(
    size: int = 32, test_fraction: float = 0.2, seed: int = 0, channels: int = 3
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """``{'train': (images [N, C, size, size] float32, labels [N] int64), 'test': (...)}``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0 < test_fraction < 1:
        raise ConfigValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    if size < 8 or channels < 1:
        raise ConfigValueError(f"size must be >= 8 and channels >= 1, got {size} and {channels}")
    digits = load_digits()
    images = torch.from_numpy(digits.images).float().div_(16.0).unsqueeze(1)  # [N, 1, 8, 8] in [0, 1]
    labels = torch.from_numpy(digits.target).long()
    train_idx, test_idx = train_test_split(
        range(len(labels)), test_size=test_fraction, random_state=seed, stratify=digits.target
    )
    images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    train_images = images[train_idx]
    mean, std = train_images.mean(), train_images.std()
    images = ((images - mean) / std).expand(-1, channels, -1, -1).contiguous()
    return {
        "train": (images[train_idx], labels[train_idx]),
        "test": (images[test_idx], labels[test_idx]),
    }


@DATASETS.register_module()
class DigitsDataset(Dataset):
    """One split of the upscaled digits: ``dataset[i] -> (image [C, size, size], label)``."""

    METAINFO = {"classes": tuple(str(digit) for digit in range(10))}

    def __init__(
        self,
        split: str = "train",
        size: int = 32,
        test_fraction: float = 0.2,
        seed: int = 0,
        channels: int = 3,
    ) -> None:
        if split not in SPLITS:
            raise ConfigValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
        self.split = split
        self.images, self.labels = load_digits_split(size, test_fraction, seed, channels)[split]
        self.metainfo = dict(self.METAINFO)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.labels[index]

    def __repr__(self) -> str:
        return f"DigitsDataset(split={self.split!r}, {len(self)} images of {tuple(self.images.shape[1:])})"
