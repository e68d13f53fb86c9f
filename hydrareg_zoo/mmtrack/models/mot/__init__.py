"""Multi-object trackers: a detector plus an association step."""

from .bytetrack import ByteTrack

__all__ = ["ByteTrack"]
