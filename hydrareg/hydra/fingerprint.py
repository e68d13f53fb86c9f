"""Fingerprints of Hydra's private functions: the code each patch of hydrareg was written against.

A fingerprint is a hash of the function's source lines (read through ``linecache``, without the
tokenizer: about 50 µs a function, paid in every Hydra process). It changes when Hydra edits the
function, and not with the Python version or the bytecode.
"""

from __future__ import annotations

import hashlib
import linecache
from typing import Any

__all__ = ["fingerprint"]


def fingerprint(function: Any) -> str | None:
    """A short hash of ``function``'s source; None when it has no Python source to read."""
    code = getattr(getattr(function, "__func__", function), "__code__", None)
    if code is None:
        return None
    lines = linecache.getlines(code.co_filename)
    last = max((line for *_, line in code.co_lines() if line), default=code.co_firstlineno)
    text = "".join(lines[code.co_firstlineno - 1 : last])
    if not text:
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
