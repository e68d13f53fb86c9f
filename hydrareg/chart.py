"""The sweep chart: one horizontal bar per job, as PNG and SVG, drawn with matplotlib (``hydrareg[plot]``).

Labels are the overrides that tell the jobs apart, in full, as tick labels left of the axis (bars
never cover them); failed jobs get a hatched red stub and the word "failed" at the bar's place. The
figure grows with the labels and the number of jobs. matplotlib's object API is used (no pyplot, no
backend switch), so an application's own plotting is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["plot_figure"]

BAR_COLOUR = "#4878a8"
FAILED_COLOUR = "#b00020"


def plot_figure(
    rows: Sequence[Mapping[str, Any]], metric: str, stem: Path, labels: Sequence[str]
) -> list[Path]:
    """Draw ``metric`` per row into ``<stem>.png`` and ``<stem>.svg``; [] without matplotlib."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return []
    texts = [
        f"job {row['job']}: {label or '(no overrides)'}" for row, label in zip(rows, labels, strict=True)
    ]
    values = [_value(row, metric) for row in rows]
    width = 4.0 + 0.075 * max(len(text) for text in texts)
    figure = Figure(figsize=(width, 1.0 + 0.4 * len(rows)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    _draw_bars(axes, texts, values, [row["status"] for row in rows])
    axes.set_title(f"{metric} per job")
    axes.set_xlabel(metric)
    written = []
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays text (searchable, testable)
        for suffix in (".png", ".svg"):
            path = stem.with_suffix(suffix)
            figure.savefig(path, bbox_inches="tight", dpi=110)
            written.append(path)
    return written


def _value(row: Mapping[str, Any], metric: str) -> float | None:
    value = row["figures"].get(metric)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok and row["status"] == "completed" else None


def _draw_bars(axes: Any, texts: list[str], values: list[float | None], statuses: list[str]) -> None:
    """Bars top to bottom in job order, the value right of each, failed jobs marked in red."""
    positions = list(range(len(texts)))[::-1]
    top = max((value for value in values if value is not None), default=1.0) or 1.0
    stub = top * 0.02
    for y, value, status in zip(positions, values, statuses, strict=True):
        if value is None:
            axes.barh(y, stub, color="white", edgecolor=FAILED_COLOUR, hatch="///")
            axes.text(stub + top * 0.02, y, status, va="center", color=FAILED_COLOUR, fontweight="bold")
        else:
            axes.barh(y, value, color=BAR_COLOUR)
            axes.text(value + top * 0.02, y, f"{value:.4g}", va="center")
    axes.set_yticks(positions, texts)
    for label, value in zip(axes.get_yticklabels(), values, strict=True):
        if value is None:
            label.set_color(FAILED_COLOUR)
    axes.set_xlim(0, top * 1.2)
    axes.spines[["top", "right"]].set_visible(False)
