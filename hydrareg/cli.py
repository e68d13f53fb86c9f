"""The ``hydrareg`` command: one subcommand per tool, each in its own module, imported on use."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    from . import __version__, usage

    parser = argparse.ArgumentParser(
        prog="hydrareg",
        description=usage.DESCRIPTION,
        epilog=usage.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hydrareg {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    convert = commands.add_parser(
        "convert",
        help="convert MMEngine Python configs (with _base_ chains) into a Hydra config tree",
    )
    convert.add_argument("src", help="a config directory or one .py config")
    convert.add_argument("outdir", help="where the Hydra config tree is written")
    from .convert import add_arguments

    add_arguments(convert)
    convert.set_defaults(run=_run_convert)
    return parser


def _run_convert(args: argparse.Namespace) -> int:
    from .convert import main as convert_main

    return convert_main(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
