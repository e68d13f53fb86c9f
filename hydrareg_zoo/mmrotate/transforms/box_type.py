"""``ConvertBoxType``: switch the box type of results entries mid-pipeline (hbox <-> rbox)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hydrareg.configdict import config_path_of, join_path
from hydrareg.errors import ConfigTypeError, ConfigValueError
from hydrareg_zoo.mmdet.transforms.base import BaseTransform
from hydrareg_zoo.mmdet.transforms.boxes import convert_boxes, registered_box_types

from .. import structures  # noqa: F401  (registers 'rbox')
from ..registry import TRANSFORMS

__all__ = ["ConvertBoxType"]


@TRANSFORMS.register_module()
class ConvertBoxType(BaseTransform):
    """Convert ``results[key]`` to box type ``dst`` for each ``key: dst`` of ``box_type_mapping``.

    ``{'gt_bboxes': 'rbox'}`` turns ``[N, 4]`` xyxy boxes into ``[N, 5]`` (cx, cy, w, h, angle)
    boxes; ``'hbox'`` turns them back. Keys missing from the results are skipped.
    """

    def __init__(self, box_type_mapping: Mapping[str, str]) -> None:
        path = config_path_of(box_type_mapping)
        if not isinstance(box_type_mapping, Mapping) or not box_type_mapping:
            raise ConfigTypeError(
                f"box_type_mapping must be a non-empty mapping of results keys to box types, "
                f"got {box_type_mapping!r}",
                config_path=path,
            )
        known = registered_box_types()
        for key, dst in box_type_mapping.items():
            if dst not in known:
                raise ConfigValueError(
                    f"unknown box type {dst!r} for {key!r}; known: {', '.join(known)}",
                    config_path=join_path(path, key) if path else None,
                )
        self.box_type_mapping = dict(box_type_mapping)

    def transform(self, results: dict[str, Any]) -> dict[str, Any]:
        for key, dst in self.box_type_mapping.items():
            if key in results:
                results[key] = convert_boxes(results[key], dst)
        return results

    def _repr_fields(self) -> dict[str, Any]:
        return {"box_type_mapping": self.box_type_mapping}
