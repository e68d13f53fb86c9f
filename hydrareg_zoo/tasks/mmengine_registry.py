"""The ``zoo_digits`` registries of ``task=mmengine``, as an OpenMMLab package's ``registry.py`` has them.

Children of hydrareg's roots, with the module that registers into them as their lazy ``location``:
importing this module needs neither mmengine nor torch, so ``run.py --check`` can resolve
``zoo_digits.DigitsNet``; the location (which needs both) is imported on the first lookup.
"""

from hydrareg.registry import DATASETS as ROOT_DATASETS
from hydrareg.registry import METRICS as ROOT_METRICS
from hydrareg.registry import MODELS as ROOT_MODELS
from hydrareg.registry import Registry

SCOPE = "zoo_digits"
LOCATIONS = ["hydrareg_zoo.tasks.mmengine_parts"]

MODELS = Registry("model", parent=ROOT_MODELS, scope=SCOPE, locations=LOCATIONS)
DATASETS = Registry("dataset", parent=ROOT_DATASETS, scope=SCOPE, locations=LOCATIONS)
METRICS = Registry("metric", parent=ROOT_METRICS, scope=SCOPE, locations=LOCATIONS)
