"""The special config keys hydrareg reads, defined once.

MMEngine-style keys (``type``, ``_scope_``, ``_delete_``, ``custom_imports``, ``default_scope``) and
Hydra-style keys (``_target_`` and its companions) live side by side in one config tree.
"""

from __future__ import annotations

#: The registered name (``'ResNet'``, ``'mmcls.ConvNeXt'``) or the callable to build.
TYPE = "type"
#: Switches the default scope for the node and for everything built while it is built.
SCOPE = "_scope_"
#: Inside a config file: replace what composition produced so far for this node instead of merging.
DELETE = "_delete_"
#: Modules to import before building, as in MMEngine configs.
CUSTOM_IMPORTS = "custom_imports"
#: The scope used for builds from the root registries, as MMEngine's Runner reads it.
DEFAULT_SCOPE = "default_scope"

#: Hydra's keys, kept with Hydra's meaning.
TARGET = "_target_"
RECURSIVE = "_recursive_"
PARTIAL = "_partial_"
ARGS = "_args_"
CONVERT = "_convert_"

#: Keys that steer a build and never reach a constructor.
BUILD_KEYS = frozenset({TYPE, SCOPE, RECURSIVE, PARTIAL, ARGS, CONVERT, TARGET})
#: Hydra's per-node switches (a ``type`` node honours ``_recursive_`` and ``_partial_`` too).
HYDRA_FLAGS = frozenset({RECURSIVE, PARTIAL, ARGS, CONVERT})

#: The two keys of MMEngine's dict form of ``custom_imports``.
IMPORTS = "imports"
ALLOW_FAILED_IMPORTS = "allow_failed_imports"
