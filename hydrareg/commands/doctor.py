"""``hydrareg doctor``: which of hydrareg's patches of Hydra are live in this environment, and why not.

One line per entry of the patch table (``hydrareg/hydra/table.py``), then what happens to ``_delete_``.
``HYDRAREG_PATCHES=0`` turns every patch off.
"""

from __future__ import annotations

import argparse

EXAMPLE = """examples:
  hydrareg doctor
  HYDRAREG_PATCHES=0 hydrareg doctor"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No arguments: the report is about this Python environment."""


def run(args: argparse.Namespace) -> int:
    from ..hydra.doctor import doctor_report

    print(doctor_report()[0])
    return 0
