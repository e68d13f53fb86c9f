"""Assigners: decide which prior learns which ground-truth box."""

from .assign_result import AssignResult
from .max_iou_assigner import MaxIoUAssigner
from .sim_ota_assigner import SimOTAAssigner

__all__ = ["AssignResult", "MaxIoUAssigner", "SimOTAAssigner"]
