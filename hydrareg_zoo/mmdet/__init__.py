"""Object detection (scope ``mmdet``)."""
