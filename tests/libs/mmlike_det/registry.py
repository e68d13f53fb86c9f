"""mmlike_det's registries: children of MMEngine's roots, as an OpenMMLab library writes them."""

from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import Registry

MODELS = Registry("model", parent=MMENGINE_MODELS, scope="mmlike_det", locations=["mmlike_det.models"])
TASK_UTILS = Registry(
    "task util", parent=MMENGINE_TASK_UTILS, scope="mmlike_det", locations=["mmlike_det.task_modules"]
)
