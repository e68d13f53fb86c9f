"""mmcls's registries: children of hydrareg's roots, loading their classes lazily."""

from hydrareg.registry import MODELS as ROOT_MODELS
from hydrareg.registry import Registry

SCOPE = "mmcls"
ALIASES = ("mmpretrain",)  # the library's newer name; configs use both

MODELS = Registry(
    "model",
    parent=ROOT_MODELS,
    scope=SCOPE,
    scope_aliases=ALIASES,
    locations=["hydrareg_zoo.mmcls.models"],
)
