"""Trackers: associate per-frame detections into tracks."""

from .byte_tracker import ByteTracker, Track

__all__ = ["ByteTracker", "Track"]
