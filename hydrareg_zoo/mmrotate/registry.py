"""mmrotate's registries: children of hydrareg's roots, loading their classes lazily."""

from hydrareg.registry import DATASETS as ROOT_DATASETS
from hydrareg.registry import TRANSFORMS as ROOT_TRANSFORMS
from hydrareg.registry import Registry, demo_scope_names

SCOPE, _ = demo_scope_names("mmrotate")  # 'demo_mmrotate' where a real mmrotate is installed

TRANSFORMS = Registry(
    "transform", parent=ROOT_TRANSFORMS, scope=SCOPE, locations=["hydrareg_zoo.mmrotate.transforms"]
)
# No datasets of its own yet: this node lets `_scope_: mmrotate` sit on a dataset config (whose
# `type: mmdet.ShapesDataset` is then found through mmdet) without an unknown-scope warning.
DATASETS = Registry("dataset", parent=ROOT_DATASETS, scope=SCOPE)
