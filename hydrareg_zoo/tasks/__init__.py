"""The tasks run.py can run (see registry.py for the contract)."""
