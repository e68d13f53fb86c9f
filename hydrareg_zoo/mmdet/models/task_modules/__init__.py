"""mmdet's task utilities (``TASK_UTILS``): assigners, prior generators and box coders."""

from .assigners import AssignResult, MaxIoUAssigner, SimOTAAssigner
from .coders import DeltaXYWHBBoxCoder
from .prior_generators import AnchorGenerator, MlvlPointGenerator

__all__ = [
    "AnchorGenerator",
    "AssignResult",
    "DeltaXYWHBBoxCoder",
    "MaxIoUAssigner",
    "MlvlPointGenerator",
    "SimOTAAssigner",
]
