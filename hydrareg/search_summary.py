"""The hyper-parameter search part of a sweep summary (``hydra/sweeper=optuna``).

Optuna's sweeper leaves ``optimization_results.yaml`` in the sweep dir; with it, ``summary.md``
gains the study's direction, its best trial (the job, its parameters, its value) and
``summary_trials.svg``, the objective of every trial in order with the best value so far.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["best_row", "search_settings", "svg_trials_chart", "write_search_summary"]

RESULTS_FILE = "optimization_results.yaml"
TRIALS_PLOT = "summary_trials.svg"


def write_search_summary(sweep_dir: Path, rows: Sequence[Mapping[str, Any]]) -> list[Path]:
    """Append the study to ``summary.md`` and plot the trials; nothing when the sweep was no search."""
    results = _load_yaml(sweep_dir / RESULTS_FILE)
    if not isinstance(results, Mapping):
        return []
    objective, direction = search_settings(sweep_dir, rows)
    lines = ["", "## Hyper-parameter search", "", f"{len(rows)} trials, direction: {direction}."]
    if "best_value" in results:
        lines += _best_lines(results, rows, objective)
    else:  # several objectives: Optuna reports the Pareto front
        lines += ["", "Pareto front:", ""]
        lines += [f"- {item['values']}: {_params(item['params'])}" for item in results.get("solutions", [])]
    written = []
    values = [_number(row["figures"].get(objective)) for row in rows] if objective else []
    if any(value is not None for value in values):
        plot = sweep_dir / TRIALS_PLOT
        plot.write_text(svg_trials_chart(values, objective or "objective", direction), encoding="utf-8")
        lines += ["", f"![{objective} over trials]({TRIALS_PLOT})"]
        written.append(plot)
    summary = sweep_dir / "summary.md"
    summary.write_text(summary.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")
    return [summary, *written]


def _best_lines(
    results: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], objective: str | None
) -> list[str]:
    value, params = results["best_value"], _params(results.get("best_params", {}))
    row = best_row(rows, objective, value)
    where = f"job {row['job']} ({row['overrides']})" if row else "a trial of an earlier run of the study"
    return [
        "",
        f"- Best trial: {where}, {objective or 'objective'} = {value:.4g}.",
        f"- Best parameters: {params}.",
    ]


def best_row(
    rows: Sequence[Mapping[str, Any]], objective: str | None, best_value: float
) -> Mapping[str, Any] | None:
    """The first completed job whose objective figure is Optuna's best value."""
    for row in rows:
        value = _number(row["figures"].get(objective)) if objective else None
        if row["status"] == "completed" and value is not None and math.isclose(value, best_value):
            return row
    return None


def search_settings(sweep_dir: Path, rows: Sequence[Mapping[str, Any]]) -> tuple[str | None, str]:
    """(objective figure, direction) from the first job's saved configs."""
    for row in rows:
        job = sweep_dir / str(row["job"]) / ".hydra"
        config, hydra = _load_yaml(job / "config.yaml"), _load_yaml(job / "hydra.yaml")
        if isinstance(config, Mapping) and isinstance(hydra, Mapping):
            sweeper = hydra.get("hydra", {}).get("sweeper", {})
            return config.get("objective"), str(sweeper.get("direction", "minimize"))
    return None, "minimize"


def _params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={_shown(value)}" for name, value in params.items()) or "(none)"


def _shown(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _number(value: Any) -> float | None:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if is_number else None


def _load_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None


def svg_trials_chart(values: Sequence[float | None], objective: str, direction: str) -> str:
    """Each trial's objective as a dot, the best so far as a line; failed trials as red crosses."""
    width, height, pad, left = 640, 320, 40, 70
    known = [value for value in values if value is not None]
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = (width - left - pad) / max(1, len(values) - 1)

    def point(index: int, value: float) -> tuple[float, float]:
        return left + index * step, height - pad - (value - low) / span * (height - 2 * pad)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="20" font-size="14" font-weight="bold">'
        f"{html.escape(objective)} per trial ({html.escape(direction)}; line: best so far)</text>",
        f'<text x="6" y="{pad + 4}">{high:.4g}</text><text x="6" y="{height - pad + 4}">{low:.4g}</text>',
    ]
    best, path = None, []
    for index, value in enumerate(values):
        x, _ = point(index, low)
        parts.append(f'<text x="{x - 4:.1f}" y="{height - 12}">{index}</text>')
        if value is None:
            parts.append(f'<text x="{x - 4:.1f}" y="{height - pad:.1f}" fill="#b00">x</text>')
            continue
        best = value if best is None or (value > best) == (direction == "maximize") else best
        x, y = point(index, value)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#4878a8"/>')
        path.append("{:.1f},{:.1f}".format(*point(index, best)))
    parts.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="#d08020" stroke-width="2"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
