"""Box arithmetic the transforms share, one set of operations per box type.

Boxes travel through a pipeline as plain float32 arrays; their width tells their type
(``'hbox'``: ``[N, 4]`` as ``x1, y1, x2, y2``). Other libraries add types without touching
the transforms: mmrotate registers ``'rbox'`` (``[N, 5]`` as ``cx, cy, w, h, angle``) and
the converters between the two, as mmdet 3's box-type registry lets it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "BoxOps",
    "box_type_of",
    "convert_boxes",
    "get_box_ops",
    "register_box_converter",
    "register_box_type",
    "registered_box_types",
]

Converter = Callable[[np.ndarray], np.ndarray]
FLIP_DIRECTIONS = ("horizontal", "vertical", "diagonal")


@dataclass(frozen=True)
class BoxOps:
    """What Resize and RandomFlip need to know about one box type."""

    name: str
    width: int
    rescale: Callable[[np.ndarray, float, float], np.ndarray]
    flip: Callable[[np.ndarray, tuple[int, int], str], np.ndarray]
    clip: Callable[[np.ndarray, tuple[int, int]], np.ndarray]


_TYPES: dict[str, BoxOps] = {}
_CONVERTERS: dict[tuple[str, str], Converter] = {}


def register_box_type(ops: BoxOps) -> None:
    """Make a box type known; registering the same ops again is a no-op."""
    existing = _TYPES.get(ops.name)
    if existing is not None and existing != ops:
        raise ValueError(f"box type {ops.name!r} is already registered differently")
    if any(other.width == ops.width and other.name != ops.name for other in _TYPES.values()):
        raise ValueError(f"another box type already has width {ops.width}")
    _TYPES[ops.name] = ops


def register_box_converter(src: str, dst: str, func: Converter) -> None:
    """Register how boxes of type ``src`` become boxes of type ``dst``."""
    _CONVERTERS[(src, dst)] = func


def registered_box_types() -> list[str]:
    return sorted(_TYPES)


def get_box_ops(name: str) -> BoxOps:
    """The operations of box type ``name``; a ValueError names the known ones."""
    try:
        return _TYPES[name]
    except KeyError:
        raise ValueError(f"unknown box type {name!r}; known: {', '.join(registered_box_types())}") from None


def box_type_of(boxes: np.ndarray) -> BoxOps:
    """The box type of an ``[N, W]`` array, told by its width ``W``."""
    width = boxes.shape[-1] if boxes.ndim == 2 else None
    for ops in _TYPES.values():
        if ops.width == width:
            return ops
    raise ValueError(
        f"boxes of shape {tuple(boxes.shape)} match no box type "
        f"({', '.join(f'{t.name}: [N, {t.width}]' for t in _TYPES.values())})"
    )


def convert_boxes(boxes: np.ndarray, dst: str) -> np.ndarray:
    """``boxes`` converted to box type ``dst`` (a copy; unchanged values if already ``dst``)."""
    src = box_type_of(boxes).name
    if src == dst:
        return boxes.copy()
    func = _CONVERTERS.get((src, dst))
    if func is None:
        get_box_ops(dst)  # an unknown name gets the clearer message
        raise ValueError(f"no converter from box type {src!r} to {dst!r}")
    return func(boxes).astype(np.float32)


# ---------------------------------------------------------------- horizontal boxes


def _hbox_rescale(boxes: np.ndarray, sx: float, sy: float) -> np.ndarray:
    return (boxes * np.array([sx, sy, sx, sy], dtype=np.float32)).astype(np.float32)


def _hbox_flip(boxes: np.ndarray, img_shape: tuple[int, int], direction: str) -> np.ndarray:
    """Mirror boxes in an image of ``img_shape`` (h, w): x1' = w - x2, x2' = w - x1, likewise y."""
    h, w = img_shape
    out = boxes.copy()
    if direction in ("horizontal", "diagonal"):
        out[:, 0], out[:, 2] = w - boxes[:, 2], w - boxes[:, 0]
    if direction in ("vertical", "diagonal"):
        out[:, 1], out[:, 3] = h - boxes[:, 3], h - boxes[:, 1]
    return out


def _hbox_clip(boxes: np.ndarray, img_shape: tuple[int, int]) -> np.ndarray:
    h, w = img_shape
    out = boxes.copy()
    out[:, 0::2] = out[:, 0::2].clip(0, w)
    out[:, 1::2] = out[:, 1::2].clip(0, h)
    return out


HBOX = BoxOps("hbox", 4, _hbox_rescale, _hbox_flip, _hbox_clip)
register_box_type(HBOX)
