"""Make the demo detection data shipped in ``hydrareg_zoo/data/det_shapes`` (deterministic).

Ten small scenes of coloured squares, circles and triangles on a noisy gradient, as PNG files,
with COCO-style annotations (``annotations.json``: ``images``, ``annotations`` with
``bbox = [x, y, w, h]`` in pixels, ``categories``). Each box is the tight box of the pixels
its shape covers. One scene is empty, as real datasets have some.

    python scripts/make_demo_data.py [--out DIR]

Running it again gives the same pixels and the same JSON (tests check this).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ("square", "circle", "triangle")
SIZES = [
    (96, 96),
    (96, 72),
    (72, 96),
    (96, 96),
    (80, 96),
    (96, 80),
    (96, 96),
    (64, 64),
    (96, 72),
    (96, 96),
]  # (w, h) of each scene
EMPTY_SCENE = 7
SEED = 20240
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "hydrareg_zoo" / "data" / "det_shapes"


def background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A vertical gradient between two muted colours with faint noise (HWC uint8)."""
    top, bottom = rng.integers(20, 110, size=3), rng.integers(20, 110, size=3)
    t = np.linspace(0.0, 1.0, h)[:, None, None]
    img = top * (1 - t) + bottom * t + np.zeros((h, w, 3))
    img += rng.integers(-2, 3, size=(h, w, 3))
    return img.clip(0, 255).astype(np.uint8)


def place(rng: np.random.Generator, w: int, h: int, taken: list[tuple[int, int, int, int]]):
    """A free square region (x0, y0, side) at least 2 px away from the ones taken, or None."""
    for _ in range(200):
        side = int(rng.integers(14, 31))
        x0, y0 = int(rng.integers(1, w - side)), int(rng.integers(1, h - side))
        box = (x0 - 2, y0 - 2, x0 + side + 2, y0 + side + 2)
        if all(box[2] <= t[0] or t[2] <= box[0] or box[3] <= t[1] or t[3] <= box[1] for t in taken):
            taken.append(box)
            return x0, y0, side
    return None


def draw_shape(draw: ImageDraw.ImageDraw, label: int, x0: int, y0: int, side: int, fill) -> None:
    """Draw shape ``label`` inside the square (x0, y0, side)."""
    x1, y1 = x0 + side - 1, y0 + side - 1
    if CLASSES[label] == "square":
        draw.rectangle((x0, y0, x1, y1), fill=fill)
    elif CLASSES[label] == "circle":
        draw.ellipse((x0, y0, x1, y1), fill=fill)
    else:
        draw.polygon([(x0 + side / 2, y0), (x1, y1), (x0, y1)], fill=fill)


def tight_box(mask: np.ndarray) -> list[int]:
    """COCO [x, y, w, h] around the nonzero pixels of ``mask``, in pixel edges (w = max - min + 1)."""
    ys, xs = np.nonzero(mask)
    x0, y0 = int(xs.min()), int(ys.min())
    return [x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1]


def make_scene(rng: np.random.Generator, w: int, h: int, count: int):
    """One image and its objects as (label, [x, y, w, h]) pairs."""
    image = Image.fromarray(background(rng, w, h))
    draw = ImageDraw.Draw(image)
    objects, taken = [], []
    for _ in range(count):
        spot = place(rng, w, h, taken)
        if spot is None:
            break
        label = int(rng.integers(len(CLASSES)))
        fill = tuple(int(v) for v in rng.integers(140, 256, size=3))
        mask = Image.new("L", (w, h), 0)
        draw_shape(ImageDraw.Draw(mask), label, *spot, fill=255)
        draw_shape(draw, label, *spot, fill=fill)
        objects.append((label, tight_box(np.asarray(mask))))
    return image, objects


def make_dataset(out: Path) -> dict:
    """Write the images under ``out/images`` and return the COCO-style annotation dict."""
    rng = np.random.default_rng(SEED)
    (out / "images").mkdir(parents=True, exist_ok=True)
    coco: dict = {
        "images": [],
        "annotations": [],
        "categories": [{"id": i + 1, "name": name} for i, name in enumerate(CLASSES)],
    }
    for index, (w, h) in enumerate(SIZES):
        count = 0 if index == EMPTY_SCENE else int(rng.integers(1, 5))
        image, objects = make_scene(rng, w, h, count)
        name = f"scene_{index:02d}.png"
        image.save(out / "images" / name)
        coco["images"].append({"id": index + 1, "file_name": name, "width": w, "height": h})
        for label, bbox in objects:
            coco["annotations"].append(
                {
                    "id": len(coco["annotations"]) + 1,
                    "image_id": index + 1,
                    "category_id": label + 1,
                    "bbox": bbox,
                    "area": bbox[2] * bbox[3],
                    "iscrowd": 0,
                }
            )
    return coco


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    coco = make_dataset(args.out)
    (args.out / "annotations.json").write_text(json.dumps(coco, indent=1) + "\n")
    print(f"wrote {len(coco['images'])} images, {len(coco['annotations'])} boxes to {args.out}")


if __name__ == "__main__":
    main()
