"""Helpers of the instantiate tests: every case on a dict and on a DictConfig, input left unchanged."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from omegaconf import DictConfig, ListConfig, OmegaConf

from hydrareg import instantiate


def as_dict(cfg: Any) -> Any:
    return copy.deepcopy(cfg)


def as_dictconfig(cfg: Any) -> Any:
    return OmegaConf.create(cfg)


both = pytest.mark.parametrize("wrap", [as_dict, as_dictconfig], ids=["dict", "DictConfig"])


def snapshot(cfg: Any) -> Any:
    if isinstance(cfg, (DictConfig, ListConfig)):
        return OmegaConf.to_container(cfg)
    return copy.deepcopy(cfg)


def build(wrap: Any, cfg: Any, *args: Any, **kwargs: Any) -> Any:
    """instantiate(wrap(cfg), ...) and check that the config given was not modified."""
    config = wrap(cfg)
    before = snapshot(config)
    built = instantiate(config, *args, **kwargs)
    assert snapshot(config) == before
    return built
