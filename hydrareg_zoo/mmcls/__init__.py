"""Image classification (scope ``mmcls``, also reachable as ``mmpretrain``)."""
