"""mmtrack's registries: children of hydrareg's roots, loading their classes lazily."""

from hydrareg.registry import MODELS as ROOT_MODELS
from hydrareg.registry import Registry, demo_scope_names

SCOPE, _ = demo_scope_names("mmtrack")  # 'demo_mmtrack' where a real mmtrack is installed

MODELS = Registry("model", parent=ROOT_MODELS, scope=SCOPE, locations=["hydrareg_zoo.mmtrack.models"])
