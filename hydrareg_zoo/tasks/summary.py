"""The `summary` task (to be written)."""
