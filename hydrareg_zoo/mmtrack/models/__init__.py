"""mmtrack's models, registered in mmtrack's MODELS (this package is its location)."""

from .mot import ByteTrack
from .trackers import ByteTracker, Track

__all__ = ["ByteTrack", "ByteTracker", "Track"]
