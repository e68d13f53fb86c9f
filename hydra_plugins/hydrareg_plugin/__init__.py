"""Imported by Hydra's plugin discovery in every process that composes (multirun workers too).

It applies hydrareg's patch table (:mod:`hydrareg.hydra.table`): ``_delete_`` in composition, the
per-process config cache, safe loading of config files and faster saving of job configs. Nothing here
may stop a Hydra app: any error turns every patch off with one warning. Hydra may execute this module
twice in one process; installing is idempotent. ``HYDRAREG_PATCHES=0`` leaves Hydra unpatched.
"""

try:
    from hydrareg.hydra.patches import install_guarded

    install_guarded()
except Exception as error:  # hydrareg itself failed to import: plain Hydra, one warning
    import warnings

    warnings.warn(f"hydrareg's Hydra plugin is off: {error!r}", RuntimeWarning, stacklevel=1)
