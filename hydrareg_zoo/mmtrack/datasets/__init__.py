"""Data for the tracking demo: a synthetic video with ground-truth tracks."""

from .synthetic_video import SyntheticVideo, make_video

__all__ = ["SyntheticVideo", "make_video"]
