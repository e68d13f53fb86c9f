"""Test support code that is not a test: stand-ins for compiled extension modules, extra configs."""
