"""Compose the jobs of an app's sweep in this process, as Hydra's basic sweeper would launch them.

The sweep is expanded with Hydra's own override parser (``a=1,2 b=x,y`` gives four jobs, in the
basic sweeper's order, ``hydra.sweeper.params`` first), and each job is composed with Hydra's
public ``compose`` API, so hydrareg's per-process config cache makes every job after the first
cheap. The defaults list of a job comes from the public ``ConfigLoader.compute_defaults_list``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from omegaconf import DictConfig

from ..errors import ConfigValueError
from .app import AppSpec

_BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


class Composer:
    """Composes one app's config with any overrides, while :func:`composing` is active."""

    def __init__(self, app: AppSpec) -> None:
        self.app = app

    def compose(self, overrides: Sequence[str], with_hydra: bool = False) -> DictConfig:
        from hydra import compose

        return compose(self.app.config_name, overrides=list(overrides), return_hydra_config=with_hydra)

    def defaults_list(self, overrides: Sequence[str]) -> list[Any]:
        """Hydra's defaults list for these overrides: the config files merged, in merge order."""
        from hydra.core.global_hydra import GlobalHydra
        from hydra.types import RunMode

        loader = GlobalHydra.instance().config_loader()
        return loader.compute_defaults_list(self.app.config_name, list(overrides), RunMode.RUN).defaults

    def config_file(self, config_path: str) -> str | None:
        """The file a config path (``backbone/mmcls_resnet18``) is loaded from, first in the search path."""
        import os

        from hydra.core.global_hydra import GlobalHydra

        for source in GlobalHydra.instance().config_loader().get_sources():
            if source.scheme() == "file" and source.is_config(config_path):
                return os.path.join(source.path, config_path + ".yaml")
        return None

    def is_group(self, key: str) -> bool:
        from hydra.core.global_hydra import GlobalHydra

        group = key.split("@")[0].lstrip("+~")
        return bool(GlobalHydra.instance().config_loader().get_group_options(group))


@contextmanager
def composing(app: AppSpec) -> Iterator[Composer]:
    """Hydra initialised for the app's config dir for the block (and cleared after)."""
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=app.config_dir, version_base="1.3", job_name="hydrareg"):
        yield Composer(app)


def sweep_jobs(composer: Composer, overrides: Sequence[str], multirun: bool) -> list[list[str]]:
    """The override list of every job: one job without ``-m``, the basic sweeper's product with it."""
    if not multirun:
        return [list(overrides)]
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(overrides))
    plain = [str(o.input_line) for o in parsed if not o.is_sweep_override()]
    params = _sweeper_params(composer, plain)
    choices: dict[str, list[str]] = {}
    for override in OverridesParser.create().parse_overrides([*params, *overrides]):
        key = override.get_key_element()
        if not override.is_sweep_override():
            choices[key] = [f"{key}={override.get_value_element_as_str()}"]
        elif override.is_discrete_sweep():
            choices[key] = [f"{key}={value}" for value in override.sweep_string_iterator()]
        else:
            raise ConfigValueError(
                f"{override.input_line}: Hydra's basic sweeper cannot run a "
                f"{getattr(override.value_type, 'name', None)} "
                "sweep (it belongs to a sweeper plugin such as optuna), so it cannot be checked either"
            )
    return [list(job) for job in itertools.product(*choices.values())]


def _sweeper_params(composer: Composer, plain: list[str]) -> list[str]:
    """``hydra.sweeper.params`` of the basic sweeper, as overrides (they come first)."""
    try:
        cfg = composer.compose(plain, with_hydra=True)
    except Exception:  # a bad override: each job's compose reports it
        return []
    sweeper = cfg.hydra.get("sweeper") or {}
    if sweeper.get("_target_") != _BASIC_SWEEPER:
        raise ConfigValueError(
            f"the app sweeps with {sweeper.get('_target_')}; hydrareg check expands the basic sweeper's "
            "sweeps only (hydra/sweeper=basic)"
        )
    params = sweeper.get("params") or {}
    return [f"{key}={value}" for key, value in params.items()]


def first_lines(exc: BaseException, limit: int = 3) -> str:
    """The start of an error's message (Hydra appends its whole search path)."""
    return "\n".join(str(exc).strip().splitlines()[:limit]) or type(exc).__name__
