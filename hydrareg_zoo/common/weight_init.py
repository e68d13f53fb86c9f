"""Weight initialisers for ``init_cfg``, registered into the root ``WEIGHT_INITIALIZERS``.

Each initialiser is built from one ``init_cfg`` entry and called with the module to initialise:
``Kaiming``, ``Normal``, ``Constant`` and ``Xavier`` touch the submodules whose class (or a base
class) is named in ``layer``; ``Pretrained`` loads a local checkpoint, optionally only the keys
under ``prefix`` (``'backbone.'``), so a trained classifier's backbone can seed a detector.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from hydrareg.errors import ConfigValueError
from hydrareg.registry import WEIGHT_INITIALIZERS

log = logging.getLogger(__name__)

__all__ = ["Constant", "Kaiming", "Normal", "Pretrained", "Xavier", "load_checkpoint"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def bias_from_prob(prior_prob: float) -> float:
    """The bias whose sigmoid is ``prior_prob`` (focal-loss heads start from a rare foreground)."""
    return -math.log((1 - prior_prob) / prior_prob)


class _LayerInit:
    """Shared by the initialisers that fill weights: which layers, and what bias."""

    def __init__(
        self,
        layer: str | Sequence[str] | None = None,
        bias: float = 0.0,
        bias_prob: float | None = None,
    ) -> None:
        self.layer = [layer] if isinstance(layer, str) else (None if layer is None else list(layer))
        self.bias = bias if bias_prob is None else bias_from_prob(bias_prob)

    def __call__(self, module: nn.Module) -> None:
        for layer in module.modules():
            if self._selected(layer):
                weight = getattr(layer, "weight", None)
                if isinstance(weight, Tensor) and self._accepts(weight):
                    self.fill(weight)
                bias = getattr(layer, "bias", None)
                if isinstance(bias, Tensor):
                    nn.init.constant_(bias, self.bias)

    def _selected(self, layer: nn.Module) -> bool:
        if self.layer is None:
            return isinstance(getattr(layer, "weight", None), nn.Parameter)
        names = {cls.__name__ for cls in type(layer).__mro__}
        return any(name in names for name in self.layer)

    def _accepts(self, weight: Tensor) -> bool:
        return True

    def fill(self, weight: Tensor) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({fields})"


class _FanInit(_LayerInit):
    """Initialisers defined by fan-in/fan-out, which need weights with two or more dimensions."""

    def _accepts(self, weight: Tensor) -> bool:
        return weight.dim() >= 2


@WEIGHT_INITIALIZERS.register_module()
class Kaiming(_FanInit):
    """He initialisation (``distribution`` ``'normal'`` or ``'uniform'``)."""

    def __init__(
        self,
        a: float = 0.0,
        mode: str = "fan_out",
        nonlinearity: str = "relu",
        distribution: str = "normal",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if distribution not in ("normal", "uniform"):
            raise ConfigValueError(f"Kaiming: distribution must be normal or uniform, got {distribution!r}")
        self.a, self.mode, self.nonlinearity, self.distribution = (
            a,
            mode,
            nonlinearity,
            distribution,
        )

    def fill(self, weight: Tensor) -> None:
        init = nn.init.kaiming_normal_ if self.distribution == "normal" else nn.init.kaiming_uniform_
        init(weight, a=self.a, mode=self.mode, nonlinearity=self.nonlinearity)


@WEIGHT_INITIALIZERS.register_module()
class Xavier(_FanInit):
    """Glorot initialisation (``distribution`` ``'normal'`` or ``'uniform'``)."""

    def __init__(self, gain: float = 1.0, distribution: str = "normal", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if distribution not in ("normal", "uniform"):
            raise ConfigValueError(f"Xavier: distribution must be normal or uniform, got {distribution!r}")
        self.gain, self.distribution = gain, distribution

    def fill(self, weight: Tensor) -> None:
        init = nn.init.xavier_normal_ if self.distribution == "normal" else nn.init.xavier_uniform_
        init(weight, gain=self.gain)


@WEIGHT_INITIALIZERS.register_module()
class Normal(_LayerInit):
    """Weights drawn from ``N(mean, std**2)``."""

    def __init__(self, mean: float = 0.0, std: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mean, self.std = mean, std

    def fill(self, weight: Tensor) -> None:
        nn.init.normal_(weight, self.mean, self.std)


@WEIGHT_INITIALIZERS.register_module()
class Constant(_LayerInit):
    """Weights set to ``val`` (e.g. ``val=1`` for norm layers)."""

    def __init__(self, val: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.val = val

    def fill(self, weight: Tensor) -> None:
        nn.init.constant_(weight, self.val)


@WEIGHT_INITIALIZERS.register_module()
class Pretrained:
    """Load a local checkpoint into the module; ``prefix='backbone.'`` takes only those keys.

    URLs are refused when the config is built: nothing is downloaded here, so the config must
    point at a checkpoint file on disk (for example one saved by ``task=train``).
    """

    def __init__(
        self,
        checkpoint: str | os.PathLike[str],
        prefix: str | None = None,
        map_location: str = "cpu",
    ) -> None:
        checkpoint = os.fspath(checkpoint)
        if _URL.match(checkpoint):
            raise ConfigValueError(
                f"Pretrained: cannot download {checkpoint!r}: URLs cannot be downloaded here; "
                "set checkpoint to a local file path (e.g. a checkpoint saved by task=train)"
            )
        self.checkpoint, self.prefix, self.map_location = checkpoint, prefix, map_location

    def __call__(self, module: nn.Module) -> None:
        load_checkpoint(module, self.checkpoint, prefix=self.prefix, map_location=self.map_location)

    def __repr__(self) -> str:
        return f"Pretrained(checkpoint={self.checkpoint!r}, prefix={self.prefix!r})"


def load_checkpoint(
    module: nn.Module,
    filename: str | os.PathLike[str],
    prefix: str | None = None,
    map_location: str = "cpu",
) -> list[str]:
    """Load ``filename``'s state dict (the keys under ``prefix``, stripped) into ``module``.

    Returns the module's keys the checkpoint did not provide (also reported as a warning).
    Raises :class:`ConfigValueError` when the file is missing or unreadable, when no key has the
    prefix, or when a tensor's shape does not fit.
    """
    filename = os.fspath(filename)
    state = _selected_state(_read_state_dict(filename, map_location), prefix, filename)
    try:
        result = module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        problems = "; ".join(_fit_problems(module, state)) or str(exc)
        raise ConfigValueError(f"checkpoint {filename!r} does not fit the module: {problems}") from exc
    if result.unexpected_keys:
        raise ConfigValueError(
            f"checkpoint {filename!r} has keys the module lacks (wrong prefix or model?): "
            f"{_preview(result.unexpected_keys)}"
        )
    shown = f" (keys under {prefix!r})" if prefix else ""
    log.info("loaded %d tensors from %s%s into %s", len(state), filename, shown, type(module).__name__)
    if result.missing_keys:
        warnings.warn(
            f"checkpoint {filename!r} left {len(result.missing_keys)} keys uninitialised: "
            f"{_preview(result.missing_keys)}",
            UserWarning,
            stacklevel=2,
        )
    return list(result.missing_keys)


def _read_state_dict(filename: str, map_location: str) -> Mapping[str, Tensor]:
    if not os.path.isfile(filename):
        raise ConfigValueError(f"checkpoint file {filename!r} does not exist")
    try:
        checkpoint = torch.load(filename, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as exc:
        raise ConfigValueError(
            f"cannot read checkpoint {filename!r} (it must hold tensors in plain dicts/lists): {exc}"
        ) from exc
    if isinstance(checkpoint, Mapping) and isinstance(checkpoint.get("state_dict"), Mapping):
        checkpoint = checkpoint["state_dict"]
    if not isinstance(checkpoint, Mapping):
        raise ConfigValueError(
            f"checkpoint {filename!r} holds a {type(checkpoint).__name__}, not a state dict"
        )
    return checkpoint


def _selected_state(state: Mapping[str, Tensor], prefix: str | None, filename: str) -> dict[str, Tensor]:
    if not prefix:
        return dict(state)
    prefix = prefix if prefix.endswith(".") else prefix + "."
    selected = {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}
    if not selected:
        heads = sorted({key.split(".", 1)[0] + "." for key in state})
        raise ConfigValueError(
            f"checkpoint {filename!r} has no keys starting with {prefix!r}; "
            f"its top-level prefixes are {_preview(heads)}"
        )
    return selected


def _fit_problems(module: nn.Module, state: Mapping[str, Tensor]) -> list[str]:
    """Short lines on what does not fit (torch's own message lists every key)."""
    own = module.state_dict()
    missing = [key for key in own if key not in state]
    unexpected = [key for key in state if key not in own]
    shapes = [
        f"{key} {list(state[key].shape)} (module: {list(own[key].shape)})"
        for key in state
        if key in own and hasattr(state[key], "shape") and state[key].shape != own[key].shape
    ]
    labels = ("wrong shapes", "missing", "unexpected")
    return [
        f"{label}: {_preview(keys, 3)}"
        for label, keys in zip(labels, (shapes, missing, unexpected), strict=True)
        if keys
    ]


def _preview(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")
