"""Job results and the sweep summary: ``result.json`` per job, ``summary.csv``/``.md`` (+ a chart) per sweep.

A job writes ``result.json`` into its output dir (status, overrides, key figures). After a multirun
the sweep dir gets one row per job, failed jobs included. Because Hydra skips ``on_multirun_end``
when a job failed, a failure leaves a marker and from then on every job that ends rewrites the
summary. The marker and the lock that keeps parallel workers from losing each other's rows live in
the sweep dir's hidden ``.hydrareg/`` folder, which :func:`finish_sweep` removes once every job ended.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .search_summary import write_search_summary

__all__ = [
    "best_row",
    "collect_rows",
    "differing_overrides",
    "finish_sweep",
    "mark_failed_sweep",
    "read_result",
    "sweep_has_failed",
    "sweep_lock",
    "write_result",
    "write_summary",
]

RESULT_FILE = "result.json"
STATE_DIR = ".hydrareg"  # in the sweep dir while jobs run: the lock and the failure marker
FAILED_MARKER = "has_failed_jobs"
LOCK_FILE = "summary.lock"
SUMMARY_CSV = "summary.csv"
SUMMARY_MD = "summary.md"


def write_result(
    output_dir: str | os.PathLike[str],
    status: str,
    figures: Mapping[str, Any] | None = None,
    overrides: Sequence[str] = (),
    error: str | None = None,
) -> Path:
    """Write ``result.json`` atomically: ``{"status", "overrides", "figures"[, "error"]}``."""
    record: dict[str, Any] = {
        "status": status,
        "overrides": list(overrides),
        "figures": dict(figures or {}),
    }
    if error is not None:
        record["error"] = error
    path = Path(output_dir) / RESULT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
    return path


def read_result(job_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    path = Path(job_dir) / RESULT_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def collect_rows(sweep_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """One row per job dir (a dir with ``.hydra/``), ordered by job number."""
    rows = []
    for job_dir in sorted(_job_dirs(Path(sweep_dir)), key=_job_order):
        result = read_result(job_dir) or {}
        overrides = result.get("overrides") or _saved_overrides(job_dir)
        rows.append(
            {
                "job": job_dir.name,
                "overrides": " ".join(overrides),
                "status": result.get("status", "no result"),
                "figures": result.get("figures", {}),
                "error": result.get("error", ""),
            }
        )
    return rows


def _job_dirs(sweep_dir: Path) -> Iterator[Path]:
    if not sweep_dir.is_dir():
        return
    for child in sweep_dir.iterdir():
        if child.is_dir() and (child / ".hydra").is_dir():
            yield child


def _job_order(path: Path) -> tuple[int, str]:
    return (int(path.name), "") if path.name.isdigit() else (math.inf, path.name)  # type: ignore[return-value]


def _saved_overrides(job_dir: Path) -> list[str]:
    path = job_dir / ".hydra" / "overrides.yaml"
    if not path.is_file():
        return []
    lines = path.read_text().splitlines()
    return [line[2:].strip() for line in lines if line.startswith("- ")]


def scalar_figures(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names of the figures that are plain numbers or strings in some row, in first-seen order."""
    names: dict[str, None] = {}
    for row in rows:
        for name, value in row["figures"].items():
            if isinstance(value, (int, float, str, bool)) or value is None:
                names.setdefault(name, None)
    return list(names)


def mark_failed_sweep(sweep_dir: str | os.PathLike[str]) -> None:
    path = Path(sweep_dir) / STATE_DIR / FAILED_MARKER
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def sweep_has_failed(sweep_dir: str | os.PathLike[str]) -> bool:
    return (Path(sweep_dir) / STATE_DIR / FAILED_MARKER).exists()


def sweep_lock(sweep_dir: str | os.PathLike[str]) -> contextlib.AbstractContextManager[None]:
    """The lock every process takes before it reads or writes the sweep's summary."""
    return _locked(Path(sweep_dir) / STATE_DIR / LOCK_FILE)


def finish_sweep(sweep_dir: str | os.PathLike[str]) -> None:
    """Remove the hidden state folder once every job has ended (nothing stray in the sweep dir)."""
    shutil.rmtree(Path(sweep_dir) / STATE_DIR, ignore_errors=True)


def differing_overrides(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each row's overrides without those every row shares: what tells the jobs apart."""
    split = [row["overrides"].split() for row in rows]
    common = set.intersection(*(set(parts) for parts in split)) if len(split) > 1 else set()
    return [" ".join(part for part in parts if part not in common) for parts in split]


def best_row(
    rows: Sequence[Mapping[str, Any]], metric: str | None, mode: str = "max"
) -> Mapping[str, Any] | None:
    """The completed row with the highest (``mode='min'``: lowest) numeric ``metric``, if any."""
    scored = [row for row in rows if _number(row["figures"].get(metric)) is not None] if metric else []
    if not scored:
        return None
    pick = min if mode == "min" else max
    return pick(scored, key=lambda row: row["figures"][metric])


def _number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def write_summary(
    sweep_dir: str | os.PathLike[str], plot_metric: str | None = None, mode: str = "max"
) -> list[Path]:
    """Write ``summary.csv``, ``summary.md`` and, if ``plot_metric`` is a figure, its chart.

    The chart (``summary_<metric>.png`` and ``.svg``) needs matplotlib (``hydrareg[plot]``).
    Call it under :func:`sweep_lock` when jobs may still be running.
    """
    sweep_dir = Path(sweep_dir)
    rows = collect_rows(sweep_dir)
    figures = scalar_figures(rows)
    best = best_row(rows, plot_metric, mode)
    written = [
        _write_csv(sweep_dir / SUMMARY_CSV, rows, figures),
        _write_markdown(sweep_dir / SUMMARY_MD, rows, figures, best, plot_metric),
    ]
    if plot_metric and plot_metric in figures:
        from .chart import plot_figure

        written += plot_figure(
            rows, plot_metric, sweep_dir / f"summary_{plot_metric}", differing_overrides(rows)
        )
    written += write_search_summary(sweep_dir, rows)  # an Optuna study's best trial and trials plot
    return written


def _cells(row: Mapping[str, Any], figures: Sequence[str]) -> list[str]:
    return [
        row["job"],
        row["overrides"],
        row["status"],
        *(_format(row["figures"].get(name)) for name in figures),
    ]


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _write_csv(path: Path, rows: Sequence[Mapping[str, Any]], figures: Sequence[str]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["job", "overrides", "status", *figures, "error"])
    for row in rows:
        writer.writerow([*_cells(row, figures), row["error"]])
    _atomic_write(path, buffer.getvalue())
    return path


def _write_markdown(
    path: Path,
    rows: Sequence[Mapping[str, Any]],
    figures: Sequence[str],
    best: Mapping[str, Any] | None,
    metric: str | None,
) -> Path:
    header = ["job", "overrides", "status", *figures]
    lines = [
        f"# Sweep summary: {path.parent.name}",
        "",
        f"{sum(row['status'] == 'completed' for row in rows)} of {len(rows)} jobs completed.",
        "",
    ]
    if best is not None:
        value = _format(best["figures"][metric])
        lines += [f"Best {metric}: {value}, job {best['job']} ({best['overrides'] or 'no overrides'}).", ""]
    lines += [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in rows:
        cells = [cell.replace("|", "\\|") or " " for cell in _cells(row, figures)]
        lines.append("| " + " | ".join(cells) + " |")
    failed = [row for row in rows if row["error"]]
    if failed:
        lines += ["", "## Failures", ""]
        lines += [f"- job {row['job']} ({row['overrides']}): {row['error']}" for row in failed]
    _atomic_write(path, "\n".join(lines) + "\n")
    return path


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """An exclusive lock between processes writing the same sweep summary (POSIX; no-op elsewhere)."""
    try:
        import fcntl
    except ImportError:  # Windows: jobs there run one at a time with the basic launcher
        yield
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
