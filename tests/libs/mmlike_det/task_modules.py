"""Anchor generator and box coder, registered in mmlike_det's TASK_UTILS (built by the head)."""

from .registry import TASK_UTILS


@TASK_UTILS.register_module()
class TinyAnchorGenerator:
    def __init__(self, sizes=(8,), strides=(4,)):
        self.sizes, self.strides = list(sizes), list(strides)

    @property
    def num_base_anchors(self):
        return len(self.sizes)


@TASK_UTILS.register_module()
class TinyDeltaCoder:
    def __init__(self, scale=1.0):
        self.scale = scale

    def decode(self, deltas):
        return deltas * self.scale
