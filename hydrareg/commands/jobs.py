"""Compose the jobs of an app's sweep in this process, as Hydra's basic sweeper would launch them
(for an Optuna search: every value its parameters can take, and its bounds checked).

The sweep is expanded with Hydra's own override parser (``a=1,2 b=x,y`` gives four jobs, in the
basic sweeper's order, ``hydra.sweeper.params`` first), and each job is composed with Hydra's
public ``compose`` API, so hydrareg's per-process config cache makes every job after the first
cheap. The defaults list of a job comes from the public ``ConfigLoader.compute_defaults_list``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from omegaconf import DictConfig

from ..errors import ConfigValueError
from .app import AppSpec
from .problems import Problem

_BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"
_OPTUNA_SWEEPER = "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper"


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


def sweep_jobs(composer: Composer, overrides: Sequence[str], multirun: bool) -> SweepPlan:
    """The override list of every job to check, and the problems of the search space itself.

    One job without ``-m``; with it, the basic sweeper's product, or, for an Optuna search, every
    value a parameter can take at least once (each choice, each interval's two bounds).
    """
    if not multirun:
        return SweepPlan([list(overrides)])
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(overrides))
    plain = [str(o.input_line) for o in parsed if not o.is_sweep_override()]
    sweeper, params = _sweeper(composer, plain)
    plan = SweepPlan([])
    choices: dict[str, list[str]] = {}
    for override in OverridesParser.create().parse_overrides([*params, *overrides]):
        key = override.get_key_element()
        choices[key] = _values(override, sweeper, plan.problems)
    plan.jobs = _optuna_jobs(choices) if sweeper == _OPTUNA_SWEEPER else _product(choices)
    return plan


@dataclass
class SweepPlan:
    """The jobs a check composes, and what is wrong with the sweep's search space."""

    jobs: list[list[str]]
    problems: list[Problem] = field(default_factory=list)


def _values(override: Any, sweeper: str | None, problems: list[Problem]) -> list[str]:
    """``key=value`` for each value of one override the check composes."""
    key = override.get_key_element()
    if not override.is_sweep_override():
        return [f"{key}={override.get_value_element_as_str()}"]
    if override.is_discrete_sweep() and not (sweeper == _OPTUNA_SWEEPER and override.is_range_sweep()):
        return [f"{key}={value}" for value in override.sweep_string_iterator()]
    if sweeper != _OPTUNA_SWEEPER:
        raise ConfigValueError(
            f"{override.input_line}: Hydra's basic sweeper cannot run a "
            f"{getattr(override.value_type, 'name', None)} "
            "sweep (it belongs to a sweeper plugin such as optuna), so it cannot be checked either"
        )
    value = override.value()
    low, high = value.start, getattr(value, "end", getattr(value, "stop", None))
    problems.extend(_bound_problems(key, str(override.input_line), low, high, "log" in value.tags))
    return [f"{key}={low!r}", f"{key}={high!r}"]


def _bound_problems(key: str, line: str, low: Any, high: Any, log: bool) -> list[Problem]:
    """What Optuna refuses when it makes the distribution (so the whole search fails at its start)."""
    if low > high:
        message = f"the low bound {low!r} is above the high bound {high!r}"
    elif log and low <= 0:
        message = f"a log scale needs a low bound above 0, got {low!r}"
    else:
        return []
    return [Problem("search-space", key, f"Optuna refuses {line}: {message}", origin=line)]


def _product(choices: dict[str, list[str]]) -> list[list[str]]:
    """Every combination, in the basic sweeper's order."""
    return [list(job) for job in itertools.product(*choices.values())]


def _optuna_jobs(choices: dict[str, list[str]]) -> list[list[str]]:
    """Every value of every parameter once: the first job takes each first value, each further job
    changes one parameter (Optuna samples combinations; what can fail is a value)."""
    base = [values[0] for values in choices.values()]
    jobs = [base]
    for index, values in enumerate(choices.values()):
        jobs.extend([*base[:index], value, *base[index + 1 :]] for value in values[1:])
    return jobs


def _sweeper(composer: Composer, plain: list[str]) -> tuple[str | None, list[str]]:
    """The app's sweeper and its ``hydra.sweeper.params`` as overrides (they come first)."""
    try:
        cfg = composer.compose(plain, with_hydra=True)
    except Exception:  # a bad override: each job's compose reports it
        return _BASIC_SWEEPER, []
    sweeper = cfg.hydra.get("sweeper") or {}
    target = sweeper.get("_target_")
    if target not in (_BASIC_SWEEPER, _OPTUNA_SWEEPER):
        raise ConfigValueError(
            f"the app sweeps with {target}; hydrareg check expands the sweeps of the basic sweeper "
            "and of the Optuna sweeper only"
        )
    params = sweeper.get("params") or {}
    return target, [f"{key}={value}" for key, value in params.items()]


def first_lines(exc: BaseException, limit: int = 3) -> str:
    """The start of an error's message (Hydra appends its whole search path)."""
    return "\n".join(str(exc).strip().splitlines()[:limit]) or type(exc).__name__
