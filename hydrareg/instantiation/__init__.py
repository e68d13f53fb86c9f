"""Building objects from configs: :func:`instantiate` and the two walks behind it.

- :mod:`.entry`: ``instantiate`` itself (the root decides the walk; ``custom_imports``, ``default_scope``);
- :mod:`.registry_style`: ``type`` nodes through the registry tree, MMEngine's semantics;
- :mod:`.hydra_style`: everything else with ``hydra.utils.instantiate``'s semantics;
- :mod:`.targets`: where a ``_target_`` becomes a callable and is called;
- :mod:`.errors`: errors that are Hydra's ``InstantiationException`` and hydrareg's at once.

(Not called ``instantiate``: ``hydrareg.instantiate`` is always the function, whatever was imported.)
"""

from .entry import instantiate

__all__ = ["instantiate"]
