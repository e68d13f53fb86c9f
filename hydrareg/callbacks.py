"""``HydraregCallback``: every multirun job gets what the main process had; a sweep summary.

Configure it in the primary config (Hydra instantiates it, in the main process)::

    hydra:
      callbacks:
        hydrareg:
          _target_: hydrareg.callbacks.HydraregCallback
          plot_metric: accuracy   # optional: a bar chart of this figure per job
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, cast

from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from .resolvers import import_custom_modules
from .summary import (
    best_row,
    collect_rows,
    finish_sweep,
    mark_failed_sweep,
    read_result,
    sweep_has_failed,
    sweep_lock,
    write_result,
    write_summary,
)

__all__ = [
    "HydraregCallback",
    "expected_jobs",
    "job_overrides",
    "restore_registrations",
    "snapshot_main_registrations",
]

log = logging.getLogger("hydrareg.sweep")


class HydraregCallback(Callback):
    """Give every job what the main process had, report each job as it ends, keep a sweep summary.

    Configure it in the primary config::

        hydra:
          callbacks:
            hydrareg:
              _target_: hydrareg.callbacks.HydraregCallback
              plot_metric: accuracy   # optional: the best job and a bar chart by this figure
              metric_mode: max        # or min (a loss)

    - ``on_multirun_start`` (main process) snapshots the classes that ``__main__`` registered in
      the root registries' trees and counts the jobs; the callback is pickled to process
      launchers with both.
    - ``on_job_start`` (the job's process) registers them again and carries out the config's
      ``custom_imports``, so joblib/loky and submitit workers see the same registry as a single
      run, whether the worker is fresh or reused.
    - ``on_job_end`` records the job's ``result.json`` and logs one progress line (done, failed,
      left, the best so far); ``on_multirun_end`` writes the summary and logs where it is. Hydra
      skips ``on_multirun_end`` once a job failed: then every job that ends rewrites the summary,
      and the last one ends the sweep.
    """

    def __init__(
        self,
        summary: bool = True,
        plot_metric: str | None = None,
        metric_mode: str = "max",
        progress: bool = True,
    ) -> None:
        if metric_mode not in ("max", "min"):
            raise ValueError(f"metric_mode must be 'max' or 'min', got {metric_mode!r}")
        self.summary = summary
        self.plot_metric = plot_metric
        self.metric_mode = metric_mode
        self.progress = progress
        self.total_jobs: int | None = None
        self.main_registrations: list[tuple[str, tuple[str, ...], str, Any]] = []

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.main_registrations = snapshot_main_registrations()
        self.total_jobs = expected_jobs(config)

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        restore_registrations(self.main_registrations)
        try:
            import_custom_modules(config)
        except Exception as exc:  # the job raises it again where it is reported (and recorded)
            log.debug("custom_imports failed before the job: %s", exc)

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        output_dir = _hydra_value(config, "runtime.output_dir")
        failed = False
        if output_dir:
            failed = record_job_result(output_dir, job_return, job_overrides(config.hydra))
        if _hydra_value(config, "mode") != RunMode.MULTIRUN:
            return
        sweep_dir = _hydra_value(config, "sweep.dir")
        with sweep_lock(sweep_dir):
            if failed:
                mark_failed_sweep(sweep_dir)
            rows = collect_rows(sweep_dir)
            if self.progress and output_dir:
                log.info(self._progress_line(rows, str(output_dir)))
            if not sweep_has_failed(sweep_dir):
                return  # on_multirun_end will run
            paths = write_summary(sweep_dir, self.plot_metric, self.metric_mode) if self.summary else []
            if self.total_jobs is not None and _ended(rows) >= self.total_jobs:
                log.info(self._end_block(sweep_dir, rows, paths))
                finish_sweep(sweep_dir)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = config.hydra.sweep.dir
        with sweep_lock(sweep_dir):
            rows = collect_rows(sweep_dir)
            paths = write_summary(sweep_dir, self.plot_metric, self.metric_mode) if self.summary else []
            log.info(self._end_block(sweep_dir, rows, paths))
        finish_sweep(sweep_dir)

    def _progress_line(self, rows: Sequence[Mapping[str, Any]], output_dir: str) -> str:
        """``job 2 completed (lr=0.1): accuracy 0.93 | 3 done, 1 failed, 4 left | best accuracy ...``"""
        from pathlib import Path

        job = Path(output_dir).name
        row = next((r for r in rows if r["job"] == job), None)
        what = f"job {job}"
        if row is not None:
            what += f" {row['status']} ({row['overrides'] or 'no overrides'})"
            detail = row["error"] or _figure_text(row, self.plot_metric)
            what += f": {detail}" if detail else ""
        parts = [what, _counts(rows, self.total_jobs)]
        best = best_row(rows, self.plot_metric, self.metric_mode)
        if best is not None:
            parts.append(
                f"best {self.plot_metric} {_shown_number(best, self.plot_metric)} (job {best['job']})"
            )
        return " | ".join(parts)

    def _end_block(self, sweep_dir: str, rows: Sequence[Mapping[str, Any]], paths: Sequence[Any]) -> str:
        """The few lines a sweep ends with: counts, the best job, where the summary and chart are."""
        lines = [f"sweep finished: {_counts(rows, None)} ({sweep_dir})"]
        best = best_row(rows, self.plot_metric, self.metric_mode)
        if best is not None:
            value = _shown_number(best, self.plot_metric)
            lines.append(f"  best {self.plot_metric}: {value}, job {best['job']} ({best['overrides']})")
        lines += _paths_lines(paths)
        if self.plot_metric and self.summary and not any(str(p).endswith(".png") for p in paths):
            lines.append(f"  no chart of {self.plot_metric}: no job reported it, or matplotlib is missing")
        return "\n".join(lines)


def _ended(rows: Sequence[Mapping[str, Any]]) -> int:
    return sum(row["status"] in ("completed", "failed") for row in rows)


def _counts(rows: Sequence[Mapping[str, Any]], total: int | None) -> str:
    done = sum(row["status"] == "completed" for row in rows)
    failed = sum(row["status"] == "failed" for row in rows)
    text = f"{done} done, {failed} failed"
    return text + (f", {total - done - failed} left" if total is not None else "")


def _figure_text(row: Mapping[str, Any], metric: str | None) -> str:
    if not metric or metric not in row["figures"]:
        return ""
    return f"{metric} {_shown_number(row, metric)}"


def _shown_number(row: Mapping[str, Any], metric: str | None) -> str:
    value = row["figures"].get(metric)
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _paths_lines(paths: Sequence[Any]) -> list[str]:
    """``summary: <dir>/summary.md (and summary.csv)`` and ``chart: <dir>/summary_x.png (and .svg)``."""
    names = [str(path) for path in paths]
    lines = [f"  summary: {name} (and summary.csv)" for name in names if name.endswith(".md")]
    return lines + [f"  chart:   {name} (and .svg)" for name in names if name.endswith(".png")]


def expected_jobs(config: DictConfig) -> int | None:
    """How many jobs the sweep will launch: the basic sweeper's product, or ``n_trials``; else None."""
    sweeper = OmegaConf.select(config, "hydra.sweeper", default=None)
    if not isinstance(sweeper, DictConfig):
        return None
    if str(sweeper.get("_target_", "")).endswith(".BasicSweeper"):
        params = sweeper.get("params") or {}
        arguments = [f"{key}={value}" for key, value in params.items()] + job_overrides(config.hydra)
        return _basic_sweep_size(arguments)
    trials = sweeper.get("n_trials")
    return trials if isinstance(trials, int) else None


def _basic_sweep_size(arguments: list[str]) -> int | None:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_overrides(arguments)
        sizes = {o.get_key_element(): len(list(o.sweep_iterator())) for o in parsed if o.is_sweep_override()}
    except Exception:  # a sweep the parser cannot count alone (glob over config groups): unknown
        return None
    total = 1
    for size in sizes.values():
        total *= size
    return total


def job_overrides(hydra_node: Any) -> list[str]:
    """The job's command-line overrides as typed (a ``${...}`` in one is text, not resolved)."""
    node = OmegaConf.select(hydra_node, "overrides.task", default=None)
    if node is None:
        return []
    return [str(item) for item in cast(list, OmegaConf.to_container(node, resolve=False))]


def record_job_result(output_dir: str, job_return: Any, overrides: list[str]) -> bool:
    """Write ``result.json`` for a failed job, or for a finished one whose task wrote none.

    A task's own ``result.json`` is kept; a returned mapping becomes the figures. True if the
    job failed.
    """
    from hydra.core.utils import JobStatus

    from .app import JobFailed

    value = job_return._return_value
    if job_return.status == JobStatus.FAILED:
        first_line = str(value).splitlines()[0] if str(value) else ""
        error = first_line if isinstance(value, JobFailed) else f"{type(value).__name__}: {first_line}"
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
    from .registry import walk_registry_tree
    from .registry.root import ROOT_REGISTRIES

    found = []
    for attr, root in ROOT_REGISTRIES.items():
        for scopes, node in walk_registry_tree(root):
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
