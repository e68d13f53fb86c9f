"""Config plumbing shared by the model constructors: copy a config without losing its path."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from hydrareg import keys
from hydrareg.configdict import ConfigDict, config_path_of, join_path, to_config_tree
from hydrareg.errors import ConfigKeyError, ConfigTypeError, HydraregError

if TYPE_CHECKING:
    from hydrareg.registry import Registry


def copy_cfg(cfg: Any, what: str = "config") -> ConfigDict:
    """A shallow copy of ``cfg`` as a :class:`ConfigDict` that keeps its config path.

    Constructors receive their children's configs and must not modify them (MMEngine style), so
    they fill defaults into a copy. DictConfigs are resolved into ConfigDicts on the way.
    """
    if isinstance(cfg, ConfigDict):
        return cfg.copy()
    if isinstance(cfg, Mapping):
        return ConfigDict.with_path(cfg, config_path_of(cfg))
    if type(cfg).__name__ == "DictConfig":
        return to_config_tree(cfg, config_path_of(cfg))
    raise ConfigTypeError(f"{what} must be a dict, got {type(cfg).__name__}: {cfg!r}")


def require_type(cfg: Mapping[str, Any]) -> Any:
    """``cfg['type']``, or a :class:`ConfigKeyError` naming where it is missing."""
    if keys.TYPE not in cfg:
        path = config_path_of(cfg)
        raise ConfigKeyError(
            f"the config needs a {keys.TYPE!r} key, got {dict(cfg)}",
            config_path=join_path(path, keys.TYPE) if path else None,
        )
    return cfg[keys.TYPE]


def child_path(cfg: Any, key: str) -> str | None:
    """The config path of ``cfg[key]`` when ``cfg``'s own path is known."""
    path = config_path_of(cfg)
    return None if path is None else join_path(path, key)


def with_config_path(path: str | None, action: Callable[[], Any]) -> Any:
    """Run ``action``; a hydrareg error raised without a config path is re-raised naming ``path``.

    Constructors cannot know where their config came from, so a ``ConfigValueError`` they raise
    learns its path here, from the caller that holds the config.
    """
    try:
        return action()
    except HydraregError as exc:
        if exc.config_path is not None or path is None:
            raise
        raise type(exc)(exc.message, config_path=path, registry=exc.registry, details=exc.details) from exc


def build_child(registry: Registry, cfg: Any, what: str = "config", **default_args: Any) -> Any:
    """Build a submodule's config through ``registry``, with defaults, never touching ``cfg``.

    Errors name the child's config path (``model.backbone``) even when the class raised them.
    """
    cfg = copy_cfg(cfg, what)
    for name, value in default_args.items():
        cfg.setdefault(name, value)
    return with_config_path(config_path_of(cfg), lambda: registry.build(cfg))
