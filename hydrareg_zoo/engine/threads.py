"""``torch_threads(n)``: run a block with ``n`` intra-op threads, then restore the previous count.

Tiny models gain little from a second thread, and on a busy 2-core machine two threads that
wait for each other can be several times slower than one; the tasks expose this as
``num_threads`` (None keeps torch's default).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from hydrareg.errors import ConfigValueError

__all__ = ["torch_threads"]


@contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Use ``count`` threads inside the block (None: leave torch's setting alone)."""
    if count is None:
        yield
        return
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ConfigValueError(
            f"num_threads must be a positive int or null, got {count!r}", config_path="task.num_threads"
        )
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)
