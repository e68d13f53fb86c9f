"""mmdet's reusable layers."""

from .csp_layer import CSPLayer, DarknetBottleneck, Focus, SPPBottleneck

__all__ = ["CSPLayer", "DarknetBottleneck", "Focus", "SPPBottleneck"]
