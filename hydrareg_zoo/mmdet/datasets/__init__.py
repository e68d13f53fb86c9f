"""mmdet's datasets, registered in mmdet's DATASETS (this package is its location)."""

from .coco import CocoDataset, ShapesDataset, demo_data_root
from .dataset_wrappers import MultiImageMixDataset

__all__ = ["CocoDataset", "MultiImageMixDataset", "ShapesDataset", "demo_data_root"]
