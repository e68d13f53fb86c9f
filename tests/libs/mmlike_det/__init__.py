"""A small library shaped like an OpenMMLab package, for hydrareg's MMEngine tests.

Like mmdet: its own ``registry.py`` with MMEngine registries below MMEngine's roots, loading their
classes lazily from ``locations``; a detector deriving from MMEngine's ``BaseModel`` that builds
its ``data_preprocessor`` through MMEngine's root (so only MMEngine's default scope finds it), its
children through its own registry, and task parts through ``TASK_UTILS``. Importing the package
itself registers nothing.
"""
