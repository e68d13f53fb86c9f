"""``HydraregCallback``: every multirun job gets what the main process had; a sweep summary.

Configure it in the primary config (Hydra instantiates it, in the main process)::

    hydra:
      callbacks:
        hydrareg:
          _target_: hydrareg.callbacks.HydraregCallback
          plot_metric: accuracy   # optional: a bar chart of this figure per job
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from .resolvers import import_custom_modules
from .summary import mark_failed_sweep, read_result, sweep_has_failed, write_result, write_summary

__all__ = ["HydraregCallback", "restore_registrations", "snapshot_main_registrations"]


class HydraregCallback(Callback):
    """Give every job what the main process had, and keep a sweep summary.

    Configure it in the primary config::

        hydra:
          callbacks:
            hydrareg:
              _target_: hydrareg.callbacks.HydraregCallback
              plot_metric: accuracy   # optional: a bar chart of this figure per job

    - ``on_multirun_start`` (main process) snapshots the classes that ``__main__`` registered in
      the root registries' trees; the callback is pickled to process launchers with it.
    - ``on_job_start`` (the job's process) registers them again and carries out the config's
      ``custom_imports``, so joblib/loky and submitit workers see the same registry as a single
      run, whether the worker is fresh or reused.
    - ``on_job_end`` records a failed job's ``result.json``; ``on_multirun_end`` writes the sweep
      summary, and so does every job that ends after a failure (Hydra then skips the former).
    """

    def __init__(self, summary: bool = True, plot_metric: str | None = None) -> None:
        self.summary = summary
        self.plot_metric = plot_metric
        self.main_registrations: list[tuple[str, tuple[str, ...], str, Any]] = []

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.main_registrations = snapshot_main_registrations()

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        restore_registrations(self.main_registrations)
        import_custom_modules(config)

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        output_dir = _hydra_value(config, "runtime.output_dir")
        failed = False
        if output_dir:
            overrides = list(_hydra_value(config, "overrides.task") or [])
            failed = record_job_result(output_dir, job_return, overrides)
        if not self.summary or _hydra_value(config, "mode") != RunMode.MULTIRUN:
            return
        # Hydra skips on_multirun_end once a job has failed: from then on every job that ends
        # rewrites the summary itself (jobs in other processes see the marker file).
        sweep_dir = _hydra_value(config, "sweep.dir")
        if failed:
            mark_failed_sweep(sweep_dir)
        if failed or sweep_has_failed(sweep_dir):
            write_summary(sweep_dir, self.plot_metric)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if self.summary:
            write_summary(config.hydra.sweep.dir, self.plot_metric)


def record_job_result(output_dir: str, job_return: Any, overrides: list[str]) -> bool:
    """Write ``result.json`` for a failed job, or for a finished one whose task wrote none.

    A task's own ``result.json`` is kept; a returned mapping becomes the figures. True if the
    job failed.
    """
    from hydra.core.utils import JobStatus

    value = job_return._return_value
    if job_return.status == JobStatus.FAILED:
        first_line = str(value).splitlines()[0] if str(value) else ""
        error = f"{type(value).__name__}: {first_line}"
        write_result(output_dir, "failed", overrides=overrides, error=error)
        return True
    if read_result(output_dir) is None:
        figures = dict(value) if isinstance(value, Mapping) else {"return": _shown(value)}
        write_result(output_dir, "completed", figures, overrides)
    return False


def _shown(value: Any) -> str | None:
    return None if value is None else repr(value)


def _hydra_value(config: DictConfig, key: str) -> Any:
    return OmegaConf.select(config, f"hydra.{key}", default=None)


def snapshot_main_registrations() -> list[tuple[str, tuple[str, ...], str, Any]]:
    """``(root attribute, scope path, name, object)`` for everything ``__main__`` registered."""
    from .registry.root import ROOT_REGISTRIES

    found = []
    for attr, root in ROOT_REGISTRIES.items():
        for scopes, node in _walk_with_scopes(root, ()):
            for name, obj in node.module_dict.items():
                if getattr(obj, "__module__", None) == "__main__":
                    found.append((attr, scopes, name, obj))
    return found


def restore_registrations(registrations: list[tuple[str, tuple[str, ...], str, Any]]) -> None:
    """Register a snapshot again (replacing stale copies from an earlier job in a reused worker)."""
    from .registry.root import ROOT_REGISTRIES

    for attr, scopes, name, obj in registrations:
        node = ROOT_REGISTRIES[attr]
        for scope in scopes:
            node = node.find_scope(scope)  # type: ignore[assignment]
            if node is None:
                warnings.warn(
                    f"{name} was registered under scope {'.'.join(scopes)} in the main process, "
                    "but that registry does not exist in this job's process; skipped",
                    RuntimeWarning,
                    stacklevel=2,
                )
                break
        else:
            node.register_module(name=name, module=obj, force=True)


def _walk_with_scopes(node: Any, scopes: tuple[str, ...]) -> Any:
    yield scopes, node
    for scope, child in node.children.items():
        yield from _walk_with_scopes(child, (*scopes, scope))
