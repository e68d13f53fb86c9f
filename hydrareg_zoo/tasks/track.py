"""The `track` task (to be written)."""
