"""``${backbone_channels:model.backbone}``: a neck's ``in_channels`` follow the chosen backbone.

The resolver builds the backbone config at that dotted path on torch's ``meta`` device (no memory,
no weights, a few milliseconds) and returns its ``out_channels``, as a ``ListConfig`` (unlike a
plain list, that survives ``OmegaConf.resolve(cfg)``). ``${backbone_channels:model.backbone,-1}``
returns one entry (a classifier head reads the last level). A ``_scope_`` on an enclosing node
(``model._scope_: mmdet``) applies, as it would when the whole model is built. Importing this
module imports neither torch nor the model code: both load on the first call.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from hydrareg import keys
from hydrareg.configdict import to_config_tree
from hydrareg.errors import ConfigKeyError, ConfigTypeError, ConfigValueError

__all__ = ["RESOLVER_NAME", "backbone_channels", "neg_half", "register_resolvers"]

RESOLVER_NAME = "backbone_channels"


def backbone_channels(key: str, index: int | None = None, *, _root_: Any) -> Any:
    """``out_channels`` of the backbone configured at ``key`` (or its entry ``index``)."""
    node = OmegaConf.select(_root_, key, default=None)
    if not isinstance(node, DictConfig):
        raise ConfigKeyError(
            f"${{{RESOLVER_NAME}:{key}}} needs a backbone config at {key!r}, found {node!r}",
            config_path=key,
        )
    container = OmegaConf.to_container(node, resolve=True)
    channels = _channels(
        json.dumps(container, sort_keys=True, default=str), key, _enclosing_scope(_root_, key)
    )
    if index is None:
        return ListConfig(list(channels))  # a plain list would break OmegaConf.resolve(cfg)
    if not isinstance(index, int) or not -len(channels) <= index < len(channels):
        raise ConfigValueError(
            f"${{{RESOLVER_NAME}:{key},{index}}}: index out of range for out_channels {list(channels)}",
            config_path=key,
        )
    return channels[index]


def _enclosing_scope(root: Any, key: str) -> str | None:
    """The ``_scope_`` of the nearest node above ``key`` that sets one (MMEngine's scope switch)."""
    parts = key.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        parent = OmegaConf.select(root, ".".join(parts[:cut]), default=None)
        if isinstance(parent, DictConfig) and isinstance(parent.get(keys.SCOPE), str):
            return parent[keys.SCOPE]
    return None


@functools.lru_cache(maxsize=64)
def _channels(config_json: str, key: str, scope: str | None) -> tuple[int, ...]:
    """Build the backbone on the meta device and read ``out_channels`` (cached per config)."""
    import torch

    from hydrareg.registry import MODELS

    cfg = to_config_tree(json.loads(config_json), key, frozenset({keys.DELETE}))  # never an argument
    with torch.device("meta"), MODELS.switch_scope_and_registry(scope) as registry:
        backbone = registry.build(cfg)
    channels = getattr(backbone, "out_channels", None)
    if not isinstance(channels, (list, tuple)) or not all(isinstance(c, int) for c in channels):
        raise ConfigTypeError(
            f"{type(backbone).__name__} does not expose out_channels as a list of ints "
            f"(got {channels!r}), so ${{{RESOLVER_NAME}:...}} cannot read it",
            config_path=key,
        )
    return tuple(channels)


def neg_half(value: Any) -> Any:
    """``-v // 2`` for a number or each number of a list: MMDetection's Mosaic border
    ``(-img_scale[0] // 2, -img_scale[1] // 2)`` as ``${neg_half:${img_scale}}``."""
    if isinstance(value, (ListConfig, list, tuple)):
        return ListConfig([neg_half(item) for item in value])
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigTypeError(f"${{neg_half:...}} takes whole numbers, got {value!r}")
    return -value // 2


def register_resolvers() -> None:
    """Register the resolvers with OmegaConf (safe to call again, also after a replacement)."""
    OmegaConf.register_new_resolver(RESOLVER_NAME, backbone_channels, replace=True)
    OmegaConf.register_new_resolver("neg_half", neg_half, replace=True)
