"""Tracking metrics."""

from .mot_metrics import track_metrics

__all__ = ["track_metrics"]
