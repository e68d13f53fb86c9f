"""mmrotate's registries: children of hydrareg's roots, loading their classes lazily."""

from hydrareg.registry import TRANSFORMS as ROOT_TRANSFORMS
from hydrareg.registry import Registry

SCOPE = "mmrotate"

TRANSFORMS = Registry(
    "transform", parent=ROOT_TRANSFORMS, scope=SCOPE, locations=["hydrareg_zoo.mmrotate.transforms"]
)
