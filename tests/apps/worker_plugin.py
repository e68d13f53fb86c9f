"""Listed in the test app's ``custom_imports``: importing it registers ``PluginPart``."""

from hydrareg.registry import MODELS


@MODELS.register_module()
class PluginPart:
    def __init__(self, depth=1, width=8):
        self.depth, self.width = depth, width
