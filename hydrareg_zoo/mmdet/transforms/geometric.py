"""Geometric steps: resizing and flipping the image together with its boxes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from hydrareg.errors import ConfigTypeError, ConfigValueError

from ..registry import TRANSFORMS
from .base import BaseTransform, require
from .boxes import FLIP_DIRECTIONS, box_type_of

__all__ = ["RandomFlip", "Resize", "pair", "pair_of_ints", "rescale_size", "resize_image"]

BOX_KEYS = ("gt_bboxes",)
_INTERPOLATIONS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
}


def pair(value: Any, name: str) -> tuple[float, float]:
    """An int/float or a 2-sequence as a pair; anything else is a ConfigTypeError."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        return (value[0], value[1])
    raise ConfigTypeError(f"{name} must be a number or a (w, h) pair, got {value!r}")


def pair_of_ints(value: Any, name: str) -> tuple[int, int]:
    """A positive int or a (w, h) pair of them; anything else is a ConfigTypeError/ConfigValueError."""
    w, h = pair(value, name)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (w, h)):
        raise ConfigTypeError(f"{name} must be whole numbers, got {value!r}")
    if w <= 0 or h <= 0:
        raise ConfigValueError(f"{name} must be positive, got {value!r}")
    return w, h


def rescale_size(size: tuple[int, int], scale: tuple[float, float]) -> tuple[int, int]:
    """The (w, h) of an image of ``size`` (w, h) scaled as large as fits ``scale``, ratio kept.

    As in mmcv, ``scale``'s larger number bounds the long edge and its smaller one the short edge.
    """
    w, h = size
    factor = min(max(scale) / max(w, h), min(scale) / min(w, h))
    return int(w * factor + 0.5), int(h * factor + 0.5)


def resize_image(img: np.ndarray, size: tuple[int, int], interpolation: str) -> np.ndarray:
    """``img`` (HW or HWC) resized to ``size`` (w, h) with Pillow, dtype kept."""
    method = _INTERPOLATIONS[interpolation]
    if img.dtype == np.uint8 and (img.ndim == 2 or img.shape[2] in (3, 4)):
        return np.array(Image.fromarray(img).resize(size, method))  # writable, unlike asarray
    channels = img[..., None] if img.ndim == 2 else img
    planes = [
        np.asarray(Image.fromarray(plane.astype(np.float32), mode="F").resize(size, method))
        for plane in np.moveaxis(channels, 2, 0)
    ]
    out = np.stack(planes, axis=-1).astype(img.dtype)
    return out[..., 0] if img.ndim == 2 else out


@TRANSFORMS.register_module()
class Resize(BaseTransform):
    """Resize the image to ``scale`` (w, h) or by ``scale_factor``, scaling the boxes alike.

    With ``keep_ratio`` the image keeps its aspect ratio and is made as large as fits
    ``scale``. Sets ``img_shape``, ``scale`` (w, h), ``scale_factor`` (w_scale, h_scale) and
    ``keep_ratio``; boxes are clipped to the new image when ``clip_object_border``.
    """

    def __init__(
        self,
        scale: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
        keep_ratio: bool = False,
        clip_object_border: bool = True,
        interpolation: str = "bilinear",
    ) -> None:
        if (scale is None) == (scale_factor is None):
            raise ConfigValueError("Resize needs exactly one of scale and scale_factor")
        if interpolation not in _INTERPOLATIONS:
            raise ConfigValueError(
                f"interpolation must be one of {', '.join(_INTERPOLATIONS)}, got {interpolation!r}"
            )
        self.scale = None if scale is None else tuple(int(v) for v in pair(scale, "scale"))
        self.scale_factor = None if scale_factor is None else pair(scale_factor, "scale_factor")
        for value in self.scale or self.scale_factor or ():
            if value <= 0:
                raise ConfigValueError(f"Resize needs positive sizes, got {scale or scale_factor!r}")
        self.keep_ratio = keep_ratio
        self.clip_object_border = clip_object_border
        self.interpolation = interpolation

    def target_size(self, w: int, h: int) -> tuple[int, int]:
        """The (w, h) an image of width ``w`` and height ``h`` is resized to."""
        if self.scale is not None:
            return rescale_size((w, h), self.scale) if self.keep_ratio else self.scale
        fx, fy = self.scale_factor  # type: ignore[misc]
        if self.keep_ratio:
            fy = fx
        return int(w * fx + 0.5), int(h * fy + 0.5)

    def transform(self, results: dict[str, Any]) -> dict[str, Any]:
        img = require(results, "img", self)
        h, w = img.shape[:2]
        new_w, new_h = self.target_size(w, h)
        results["img"] = resize_image(img, (new_w, new_h), self.interpolation)
        w_scale, h_scale = new_w / w, new_h / h
        results["img_shape"] = (new_h, new_w)
        results["scale"] = (new_w, new_h)
        results["scale_factor"] = (w_scale, h_scale)
        results["keep_ratio"] = self.keep_ratio
        for key in BOX_KEYS:
            if key in results:
                ops = box_type_of(results[key])
                boxes = ops.rescale(results[key], w_scale, h_scale)
                if self.clip_object_border:
                    boxes = ops.clip(boxes, (new_h, new_w))
                results[key] = boxes
        return results

    def _repr_fields(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "scale_factor": self.scale_factor,
            "keep_ratio": self.keep_ratio,
        }


@TRANSFORMS.register_module()
class RandomFlip(BaseTransform):
    """Flip the image and its boxes with probability ``prob`` in ``direction``.

    ``direction`` may be a list: a float ``prob`` is then the total probability of flipping,
    shared equally, and a list ``prob`` gives one probability per direction (as in mmcv).
    Sets ``flip`` and ``flip_direction``. ``seed`` makes the draws reproducible.
    """

    def __init__(
        self,
        prob: float | Sequence[float],
        direction: str | Sequence[str] = "horizontal",
        seed: int | None = None,
    ) -> None:
        directions = [direction] if isinstance(direction, str) else list(direction)
        for item in directions:
            if item not in FLIP_DIRECTIONS:
                raise ConfigValueError(
                    f"flip direction must be one of {', '.join(FLIP_DIRECTIONS)}, got {item!r}"
                )
        if isinstance(prob, (int, float)) and not isinstance(prob, bool):
            probs = [prob / len(directions)] * len(directions)
        elif isinstance(prob, Sequence) and len(prob) == len(directions):
            probs = [float(p) for p in prob]
        else:
            raise ConfigTypeError(
                f"prob must be a number or one number per direction, got {prob!r} for directions {directions}"
            )
        if any(p < 0 for p in probs) or sum(probs) > 1 + 1e-9:
            raise ConfigValueError(f"flip probabilities must be >= 0 and sum to <= 1, got {prob!r}")
        self.prob = prob
        self.direction = direction
        self._choices: list[str | None] = [*directions, None]
        self._probs = [*probs, max(0.0, 1.0 - sum(probs))]
        self._rng = np.random.default_rng(seed)

    def choose_direction(self) -> str | None:
        """One draw: a direction to flip in, or None for no flip."""
        index = self._rng.choice(len(self._choices), p=np.asarray(self._probs) / sum(self._probs))
        return self._choices[index]

    def transform(self, results: dict[str, Any]) -> dict[str, Any]:
        img = require(results, "img", self)
        direction = self.choose_direction()
        results["flip"] = direction is not None
        results["flip_direction"] = direction
        if direction is None:
            return results
        if direction in ("horizontal", "diagonal"):
            img = img[:, ::-1]
        if direction in ("vertical", "diagonal"):
            img = img[::-1]
        results["img"] = np.ascontiguousarray(img)
        h, w = results["img"].shape[:2]
        for key in BOX_KEYS:
            if key in results:
                results[key] = box_type_of(results[key]).flip(results[key], (h, w), direction)
        return results

    def _repr_fields(self) -> dict[str, Any]:
        return {"prob": self.prob, "direction": self.direction}
