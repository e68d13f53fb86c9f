"""Multi-object tracking (scope ``mmtrack``)."""
