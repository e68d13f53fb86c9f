"""A dependency-free progress bar: redrawn in place on a terminal, one line per bar otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """``bar.update(loss=0.3)`` per step, ``bar.close(acc=0.9)`` at the end.

    On a terminal the line is redrawn at most ten times a second; in a log file (not a tty)
    only the final line is written, so logs stay readable.
    """

    def __init__(
        self,
        total: int,
        desc: str = "",
        stream: TextIO | None = None,
        width: int = 24,
        live: bool | None = None,
    ) -> None:
        self.total = max(int(total), 0)
        self.desc = desc
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.live = _isatty(self.stream) if live is None else live
        self.count = 0
        self.postfix: dict[str, Any] = {}
        self.start = time.perf_counter()
        self._drawn = 0.0

    def update(self, n: int = 1, **postfix: Any) -> None:
        """Advance by ``n`` steps and remember the figures to show."""
        self.count += n
        self.postfix.update(postfix)
        now = time.perf_counter()
        if self.live and (now - self._drawn > 0.1 or self.count >= self.total):
            self._drawn = now
            self.stream.write("\r" + self.render())
            self.stream.flush()

    def close(self, **postfix: Any) -> str:
        """Write the final line (with a newline) and return it."""
        self.postfix.update(postfix)
        line = self.render()
        self.stream.write(("\r" if self.live else "") + line + "\n")
        self.stream.flush()
        return line

    def render(self) -> str:
        """``desc |#######.....| 23/45 loss 0.4123 [1.2s]``"""
        done = self.width if not self.total else round(self.width * min(self.count / self.total, 1))
        bar = "#" * done + "." * (self.width - done)
        figures = " ".join(f"{key} {_fmt(value)}" for key, value in self.postfix.items())
        elapsed = time.perf_counter() - self.start
        parts = [self.desc, f"|{bar}|", f"{self.count}/{self.total}", figures, f"[{elapsed:.1f}s]"]
        return " ".join(part for part in parts if part)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e-3 and value else f"{value:.4f}"
    return str(value)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
