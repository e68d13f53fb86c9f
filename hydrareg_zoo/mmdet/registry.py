"""mmdet's registries: children of hydrareg's roots, loading their classes lazily."""

from hydrareg.registry import DATASETS as ROOT_DATASETS
from hydrareg.registry import MODELS as ROOT_MODELS
from hydrareg.registry import TASK_UTILS as ROOT_TASK_UTILS
from hydrareg.registry import TRANSFORMS as ROOT_TRANSFORMS
from hydrareg.registry import Registry, demo_scope_names

SCOPE, _ = demo_scope_names("mmdet")  # 'demo_mmdet' where a real mmdet is installed

MODELS = Registry("model", parent=ROOT_MODELS, scope=SCOPE, locations=["hydrareg_zoo.mmdet.models"])
TASK_UTILS = Registry(
    "task util",
    parent=ROOT_TASK_UTILS,
    scope=SCOPE,
    locations=["hydrareg_zoo.mmdet.models.task_modules"],
)
TRANSFORMS = Registry(
    "transform", parent=ROOT_TRANSFORMS, scope=SCOPE, locations=["hydrareg_zoo.mmdet.transforms"]
)
DATASETS = Registry("dataset", parent=ROOT_DATASETS, scope=SCOPE, locations=["hydrareg_zoo.mmdet.datasets"])
