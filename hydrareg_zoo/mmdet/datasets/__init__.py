"""mmdet's datasets, registered in mmdet's DATASETS (this package is its location)."""

from .coco import CocoDataset, ShapesDataset, demo_data_root

__all__ = ["CocoDataset", "ShapesDataset", "demo_data_root"]
