"""mmcls's registries: children of hydrareg's roots, loading their classes lazily."""

from hydrareg.registry import MODELS as ROOT_MODELS
from hydrareg.registry import Registry, demo_scope_names

# The library's newer name is an alias; configs use both. An installed mmcls/mmpretrain owns its name.
SCOPE, ALIASES = demo_scope_names("mmcls", "mmpretrain")

MODELS = Registry(
    "model",
    parent=ROOT_MODELS,
    scope=SCOPE,
    scope_aliases=ALIASES,
    locations=["hydrareg_zoo.mmcls.models"],
)
