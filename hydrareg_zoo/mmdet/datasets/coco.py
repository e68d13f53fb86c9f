"""A small COCO-style detection dataset: a JSON of images, boxes and categories, plus a pipeline."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from hydrareg.errors import ConfigValueError
from hydrareg_zoo.pipeline import Compose

from ..registry import DATASETS

__all__ = ["CocoDataset", "ShapesDataset", "demo_data_root"]


def demo_data_root() -> Path:
    """Where the demo scenes ship inside the package (``hydrareg_zoo/data/det_shapes``)."""
    return Path(__file__).resolve().parents[2] / "data" / "det_shapes"


@DATASETS.register_module()
class CocoDataset:
    """Samples from a COCO-style annotation file, each run through ``pipeline``.

    ``ann_file`` and ``data_prefix['img']`` are relative to ``data_root``. A sample starts as
    ``{img_id, img_path, height, width, instances}``, each instance ``{bbox: [x1, y1, x2, y2],
    bbox_label, ignore_flag}`` (COCO's ``[x, y, w, h]`` converted; category ids mapped to
    labels 0..C-1), like mmdet 3's data infos. ``filter_empty_gt`` drops images without
    objects unless ``test_mode``.
    """

    METAINFO: ClassVar[dict[str, Any]] = {"classes": ()}

    def __init__(
        self,
        ann_file: str,
        data_root: str | None = None,
        data_prefix: Mapping[str, str] | None = None,
        pipeline: Sequence[Any] = (),
        filter_empty_gt: bool = False,
        test_mode: bool = False,
        indices: int | Sequence[int] | None = None,
    ) -> None:
        root = Path(data_root) if data_root else Path()
        self.ann_file = root / ann_file
        self.img_dir = root / (data_prefix or {}).get("img", "")
        self.filter_empty_gt = filter_empty_gt
        self.test_mode = test_mode
        self.pipeline = Compose(pipeline)
        self.metainfo: dict[str, Any] = {}
        self.data_list = self._select(self.load_data_list(), indices)

    def load_data_list(self) -> list[dict[str, Any]]:
        """Read the annotation file into one data info per image."""
        coco = self._read_json()
        categories = sorted(coco["categories"], key=lambda category: category["id"])
        cat2label = {category["id"]: label for label, category in enumerate(categories)}
        self.metainfo = {"classes": tuple(category["name"] for category in categories)}
        per_image: dict[int, list[dict[str, Any]]] = {image["id"]: [] for image in coco["images"]}
        for ann in coco["annotations"]:
            x, y, w, h = ann["bbox"]
            per_image[ann["image_id"]].append(
                {
                    "bbox": [x, y, x + w, y + h],
                    "bbox_label": cat2label[ann["category_id"]],
                    "ignore_flag": int(ann.get("iscrowd", 0)),
                }
            )
        infos = [
            {
                "img_id": image["id"],
                "img_path": str(self.img_dir / image["file_name"]),
                "height": image["height"],
                "width": image["width"],
                "instances": per_image[image["id"]],
            }
            for image in coco["images"]
        ]
        if self.filter_empty_gt and not self.test_mode:
            infos = [info for info in infos if info["instances"]]
        return infos

    def _read_json(self) -> dict[str, Any]:
        if not self.ann_file.is_file():
            raise FileNotFoundError(f"{type(self).__name__}: no annotation file at {self.ann_file}")
        coco = json.loads(self.ann_file.read_text())
        missing = [key for key in ("images", "annotations", "categories") if key not in coco]
        if missing:
            raise ConfigValueError(
                f"{self.ann_file} is not a COCO-style annotation file: no {', '.join(missing)}"
            )
        return coco

    @staticmethod
    def _select(infos: list[dict[str, Any]], indices: int | Sequence[int] | None):
        if indices is None:
            return infos
        if isinstance(indices, int):
            return infos[:indices]
        return [infos[index] for index in indices]

    def __len__(self) -> int:
        return len(self.data_list)

    def get_data_info(self, index: int) -> dict[str, Any]:
        """A fresh copy of sample ``index``'s data info (the pipeline may change it freely)."""
        return copy.deepcopy(self.data_list[index])

    def __getitem__(self, index: int) -> Any:
        return self.pipeline(self.get_data_info(index))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({len(self)} samples from {self.ann_file}, "
            f"classes={self.metainfo.get('classes')}, pipeline={len(self.pipeline)} steps)"
        )


@DATASETS.register_module()
class ShapesDataset(CocoDataset):
    """The shipped demo scenes of squares, circles and triangles (scripts/make_demo_data.py)."""

    METAINFO: ClassVar[dict[str, Any]] = {"classes": ("square", "circle", "triangle")}

    def __init__(
        self,
        ann_file: str = "annotations.json",
        data_root: str | None = None,
        data_prefix: Mapping[str, str] | None = None,
        pipeline: Sequence[Any] = (),
        filter_empty_gt: bool = False,
        test_mode: bool = False,
        indices: int | Sequence[int] | None = None,
    ) -> None:
        super().__init__(
            ann_file,
            data_root=str(demo_data_root()) if data_root is None else data_root,
            data_prefix={"img": "images/"} if data_prefix is None else data_prefix,
            pipeline=pipeline,
            filter_empty_gt=filter_empty_gt,
            test_mode=test_mode,
            indices=indices,
        )
