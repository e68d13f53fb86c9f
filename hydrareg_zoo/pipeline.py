"""``Compose``: a data pipeline built from a list of transform configs through TRANSFORMS.

Each step is built through the root ``TRANSFORMS`` registry, so the current default scope
decides where unprefixed names are found: with ``_scope_: mmrotate`` on the dataset,
``ConvertBoxType`` comes from mmrotate and ``mmdet.Resize`` from mmdet. Importing this module
imports neither torch nor numpy.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from hydrareg.configdict import config_path_of, to_config_tree
from hydrareg.errors import ConfigTypeError, HydraregError
from hydrareg.registry import TRANSFORMS, Registry

__all__ = ["Compose"]

Transform = Callable[[dict[str, Any]], "dict[str, Any] | None"]


class Compose:
    """Run transforms in order; a step returning None drops the sample (the result is None)."""

    def __init__(
        self,
        transforms: Iterable[Mapping[str, Any] | Transform] | None,
        registry: Registry = TRANSFORMS,
    ) -> None:
        items = [] if transforms is None else transforms
        if _is_omegaconf(items):
            items = to_config_tree(items, config_path_of(items))
        if isinstance(items, (Mapping, str)) or not isinstance(items, Iterable):
            raise ConfigTypeError(
                f"a pipeline must be a list of transform configs, got {type(items).__name__}",
                config_path=config_path_of(items),
            )
        items = list(items)
        base = _list_path(items)
        self.transforms: list[Transform] = [
            _build(item, registry, f"{base}[{index}]" if base else None) for index, item in enumerate(items)
        ]

    def __call__(self, results: dict[str, Any]) -> dict[str, Any] | None:
        for index, step in enumerate(self.transforms):
            try:
                results = step(results)  # type: ignore[assignment]
            except Exception as exc:
                exc.add_note(f"in pipeline step {index}: {step!r}")
                raise
            if results is None:
                return None
        return results

    def __len__(self) -> int:
        return len(self.transforms)

    def __repr__(self) -> str:
        steps = "".join(f"\n    {step!r}," for step in self.transforms)
        return f"Compose([{steps}\n])"


def _list_path(items: list[Any]) -> str | None:
    """The config path of the list itself, read off its first item that knows its own."""
    for item in items:
        path = config_path_of(item)
        if path and path.endswith("]"):
            return path[: path.rindex("[")]
    return None


def _build(item: Any, registry: Registry, path: str | None) -> Transform:
    if isinstance(item, Mapping):
        path = config_path_of(item) or path
        try:
            return registry.build(item)
        except HydraregError as exc:
            if exc.config_path is None and path is not None:
                raise type(exc)(
                    exc.message, config_path=path, registry=exc.registry, details=exc.details
                ) from exc
            raise
    if callable(item):
        return item
    raise ConfigTypeError(
        f"a pipeline step must be a transform config (a dict with 'type') or a callable, "
        f"got {type(item).__name__}: {item!r}",
        config_path=path,
    )


def _is_omegaconf(value: Any) -> bool:
    omegaconf = sys.modules.get("omegaconf")
    return omegaconf is not None and isinstance(value, omegaconf.Container)
