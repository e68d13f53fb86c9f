"""The `pipeline` task (to be written)."""
