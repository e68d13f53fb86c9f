"""The `train` task (to be written)."""
