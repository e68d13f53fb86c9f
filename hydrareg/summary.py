"""Job results and the sweep summary: ``result.json`` per job, ``summary.csv``/``.md`` (+ a plot) per sweep.

A job writes ``result.json`` into its output dir (status, overrides, key figures). After a multirun
the sweep dir gets one row per job, failed jobs included. Because Hydra skips ``on_multirun_end``
when a job failed, a failure leaves a marker in the sweep dir and from then on every job that ends
rewrites the summary (under a file lock, so parallel workers do not lose each other's rows).
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "collect_rows",
    "mark_failed_sweep",
    "read_result",
    "sweep_has_failed",
    "write_result",
    "write_summary",
]

RESULT_FILE = "result.json"
FAILED_MARKER = ".has_failed_jobs"
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
    path = Path(sweep_dir) / FAILED_MARKER
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def sweep_has_failed(sweep_dir: str | os.PathLike[str]) -> bool:
    return (Path(sweep_dir) / FAILED_MARKER).exists()


def write_summary(sweep_dir: str | os.PathLike[str], plot_metric: str | None = None) -> list[Path]:
    """Write ``summary.csv``, ``summary.md`` and, if ``plot_metric`` is a figure, ``summary_<metric>.svg``."""
    sweep_dir = Path(sweep_dir)
    with _locked(sweep_dir / ".summary.lock"):
        rows = collect_rows(sweep_dir)
        figures = scalar_figures(rows)
        written = [
            _write_csv(sweep_dir / SUMMARY_CSV, rows, figures),
            _write_markdown(sweep_dir / SUMMARY_MD, rows, figures),
        ]
        if plot_metric and plot_metric in figures:
            written.append(_write_plot(sweep_dir / f"summary_{plot_metric}.svg", rows, plot_metric))
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


def _write_markdown(path: Path, rows: Sequence[Mapping[str, Any]], figures: Sequence[str]) -> Path:
    header = ["job", "overrides", "status", *figures]
    lines = [
        f"# Sweep summary: {path.parent.name}",
        "",
        f"{sum(row['status'] == 'completed' for row in rows)} of {len(rows)} jobs completed.",
        "",
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


def _write_plot(path: Path, rows: Sequence[Mapping[str, Any]], metric: str) -> Path:
    """A horizontal bar chart of ``metric`` per job, as a self-contained SVG."""
    bars = []
    for row in rows:
        value = row["figures"].get(metric)
        label = f"{row['job']}: {row['overrides'] or '(no overrides)'}"
        bars.append((label, value if isinstance(value, (int, float)) else None, row["status"]))
    _atomic_write(path, svg_bar_chart(bars, title=f"{metric} per job"))
    return path


def svg_bar_chart(bars: Sequence[tuple[str, float | None, str]], title: str) -> str:
    """SVG with one labelled bar per ``(label, value, status)``; missing values show as 'failed'."""
    row_height, label_width, bar_width, pad = 28, 420, 360, 12
    values = [value for _, value, _ in bars if value is not None]
    top = max(values, default=1.0) or 1.0
    height = pad * 3 + 20 + row_height * len(bars)
    width = label_width + bar_width + 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="13">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{pad}" y="{pad + 14}" font-size="15" font-weight="bold">{html.escape(title)}</text>',
    ]
    for index, (label, value, status) in enumerate(bars):
        y = pad * 2 + 20 + index * row_height
        parts.append(f'<text x="{pad}" y="{y + 17}">{html.escape(label[:60])}</text>')
        if value is None:
            parts.append(f'<text x="{label_width}" y="{y + 17}" fill="#b00">{html.escape(status)}</text>')
            continue
        length = max(1.0, bar_width * value / top)
        box = f'x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row_height - 8}"'
        parts.append(f'<rect {box} fill="#4878a8"/>')
        parts.append(f'<text x="{label_width + length + 6:.1f}" y="{y + 17}">{value:.4g}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


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
