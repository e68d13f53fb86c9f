"""The ``hydrareg`` command: one subcommand per tool, each in its own module, imported on use."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any


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
    _add_command(commands, "check", "compose every job of a sweep and check it against the registries")
    _add_command(commands, "explain", "show where a value of the composed config came from")
    _add_command(commands, "registry", "print the registry tree, or search it", "registry_tree")
    _add_command(commands, "schema", "write a JSON Schema of the app's configs (for editors)")
    _add_command(commands, "doctor", "which of hydrareg's patches of Hydra are live here, and why not")
    return parser


def _add_command(commands: Any, name: str, summary: str, module_name: str | None = None) -> None:
    """A subcommand whose module in ``hydrareg.commands`` has ``add_arguments``, ``run`` and ``EXAMPLE``."""
    module = importlib.import_module(f"hydrareg.commands.{module_name or name}")
    parser = commands.add_parser(
        name,
        help=summary,
        description=(module.__doc__ or summary).strip(),
        epilog=module.EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    module.add_arguments(parser)
    parser.set_defaults(run=module.run)


def _run_convert(args: argparse.Namespace) -> int:
    from .convert import main as convert_main

    return convert_main(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # overrides after an option (`check run.py -m a=1,2`) belong to the positionals
        if not hasattr(args, "words") or any(word.startswith("-") for word in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.words = [*args.words, *extra]
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
