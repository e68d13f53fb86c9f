"""Rotated object detection (scope ``mmrotate``)."""
