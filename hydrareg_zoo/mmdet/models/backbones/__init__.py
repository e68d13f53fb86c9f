"""mmdet backbones."""

from .csp_darknet import CSPDarknet

__all__ = ["CSPDarknet"]
