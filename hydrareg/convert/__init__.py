"""``hydrareg convert``: MMEngine Python configs (with ``_base_`` chains) to a Hydra config tree.

Each ``a/b.py`` becomes ``a/b.yaml`` whose defaults list is its ``_base_`` list and whose content is
what it sets on top, so ``compose(config_name='a/b')`` gives the dict ``mmengine.Config.fromfile``
gives (with hydrareg installed, for ``_delete_``). ``pkg::path`` bases are converted too, under
``pkg/``. The modules: :mod:`.pyeval` evaluates config code as data, :mod:`.loader` reads files as
MMEngine does, :mod:`.plan` decides each file's defaults and content and checks them with
:mod:`.compose`, :mod:`.writer` writes the YAML.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConversionError
from .loader import Loader
from .plan import Node, Planner
from .writer import render

__all__ = ["ConversionReport", "add_arguments", "convert_tree", "main"]

_SUFFIX = ".py"


@dataclass
class ConversionReport:
    """What one conversion did: configs written, configs that failed (with why), and notes."""

    root: str
    outdir: str
    #: config names of the files asked for (all in a directory, or the one file)
    targets: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    failed: dict[str, ConversionError] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def convert_tree(
    src: str,
    outdir: str,
    *,
    package_roots: Mapping[str, str] | None = None,
    root: str | None = None,
    progress: bool = False,
) -> ConversionReport:
    """Convert a config directory (every ``.py`` in it) or one ``.py`` config into ``outdir``.

    The output mirrors the tree from ``root``: by default the deepest directory that holds ``src``
    and every local ``_base_`` file it needs, so a subdirectory (``configs/retinanet``) pulls in
    ``configs/_base_``. ``package_roots`` maps a package name to the directory its ``name::path``
    bases are read from (default: the package next to the converted one, or the installed one).
    Raises ``FileNotFoundError`` for a missing source and ``ValueError`` for one without configs.
    ``progress`` draws a bar on a terminal while reading and planning (with tqdm, if installed).
    """
    src = os.path.abspath(src)
    loader = Loader(package_roots)
    targets = _targets(src)
    root = _checked_root(src, root) if root is not None else _closure_root(src, targets, loader)
    planner = Planner(loader, root)
    names = []
    with _progress(progress, len(targets), "reading") as step:
        for target in targets:
            names.append(planner.add(target).name)
            step()
    with _progress(progress, len(planner.order), "converting") as step:
        planner.plan_all(step)
    report = ConversionReport(root=root, outdir=os.path.abspath(outdir), targets=names)
    for node in planner.order:
        _write_node(node, report)
    return report


def _write_node(node: Node, report: ConversionReport) -> None:
    """Write one planned config's YAML, or record why it failed (and remove a stale file)."""
    destination = os.path.join(report.outdir, *node.name.split("/")) + ".yaml"
    if node.error is not None:
        report.failed[node.path] = node.error
        # a file from an earlier run would compose to something this config is not
        if node.name and os.path.isfile(destination):
            os.remove(destination)
        return
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    with open(destination, "w", encoding="utf-8") as f:
        f.write(_render(node))
    report.written.append(node.name)
    report.notes.extend(f"{node.path}: {note}" for note in _notes(node))


@contextlib.contextmanager
def _progress(enabled: bool, total: int, desc: str) -> Iterator[Callable[[], Any]]:
    """A step function that advances a tqdm bar on a terminal; a no-op in logs, pipes, or without tqdm."""
    try:
        from tqdm import tqdm
    except ImportError:
        enabled = False
    if not enabled:
        yield lambda: None
        return
    bar = tqdm(total=total, desc=desc, unit="config", leave=False, disable=None, file=sys.stderr)
    try:
        yield bar.update
    finally:
        bar.close()


def _render(node: Node) -> str:
    assert node.loaded is not None
    source = os.path.relpath(node.path, node.top).replace(os.sep, "/")
    if node.scope is not None:
        source = f"{node.scope}::{source}"
    header = [f" Converted by `hydrareg convert` from {source}"]
    header += [f" note: {note}" for note in _notes(node)]
    return render(
        node.content,
        ["/" + entry.name for entry in node.entries],
        comments=node.loaded.comments,
        header=header,
    )


def _notes(node: Node) -> list[str]:
    return [*(node.loaded.notes if node.loaded else ()), *node.notes]


def _config_files(directory: str) -> list[str]:
    found = []
    for folder, subfolders, files in os.walk(directory):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d != "__pycache__")
        found += [os.path.join(folder, f) for f in sorted(files) if f.endswith(_SUFFIX)]
    return found


def _targets(src: str) -> list[str]:
    """The ``.py`` configs to convert: every one under a directory, or the one file."""
    if os.path.isfile(src):
        return [src]
    if not os.path.isdir(src):
        raise FileNotFoundError(f"no such config file or directory: {src}")
    targets = _config_files(src)
    if not targets:
        raise ValueError(f"no {_SUFFIX} configs in {src}: nothing to convert")
    return targets


def _checked_root(src: str, root: str) -> str:
    root = os.path.abspath(root)
    if os.path.commonpath([root, src]) != root:
        raise ValueError(f"--root {root} does not contain {src}")
    return root


def _closure_root(src: str, targets: list[str], loader: Loader) -> str:
    """The directory that holds ``src`` and every local file of the targets' ``_base_`` closures."""
    folders = {src if os.path.isdir(src) else os.path.dirname(src)}
    todo, seen = [], set(targets)
    for target in targets:
        with contextlib.suppress(ConversionError):  # reported when converting
            todo.append(loader.load(target))
    while todo:
        for base in todo.pop().bases:
            if base.scope is None and base.path not in seen:
                seen.add(base.path)
                folders.add(os.path.dirname(base.path))
                with contextlib.suppress(ConversionError):
                    todo.append(loader.load(base.path))
    return os.path.commonpath(sorted(folders))


def _package_root(text: str) -> tuple[str, str]:
    name, sep, directory = text.partition("=")
    if not sep or not name or not directory:
        raise argparse.ArgumentTypeError(f"expected NAME=DIR, got {text!r}")
    return name, directory


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``hydrareg convert`` options (beyond SRC and OUTDIR)."""
    parser.add_argument(
        "--package-root",
        metavar="NAME=DIR",
        type=_package_root,
        action="append",
        default=[],
        help="read NAME::path bases from DIR (the package's configs directory, or a directory with "
        ".mim/configs); by default the package next to the converted one, or the installed one",
    )
    parser.add_argument(
        "--root",
        metavar="DIR",
        help="the config tree SRC belongs to: the output mirrors it from there (default: the deepest "
        "directory holding SRC and every _base_ file it needs)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")


def main(args: argparse.Namespace | Sequence[str] | None = None) -> int:
    """Run ``hydrareg convert``; exit status 0: all converted, 1: some failed, 2: bad usage."""
    if not isinstance(args, argparse.Namespace):
        parser = argparse.ArgumentParser(prog="hydrareg convert")
        parser.add_argument("src")
        parser.add_argument("outdir")
        add_arguments(parser)
        args = parser.parse_args(args)
    try:
        report = convert_tree(
            args.src,
            args.outdir,
            package_roots=dict(args.package_root),
            root=getattr(args, "root", None),
            progress=not getattr(args, "quiet", False),
        )
    except (FileNotFoundError, ValueError) as error:
        print(f"hydrareg convert: {error}", file=sys.stderr)
        return 2
    _print_summary(report, args.src, quiet=getattr(args, "quiet", False))
    return 0 if report.ok else 1


def _print_summary(report: ConversionReport, src: str, quiet: bool) -> None:
    sys.stdout.flush()
    src = os.path.abspath(src)
    if report.root != src and os.path.isdir(src):
        print(f"bases outside {src} come from the enclosing tree {report.root}; the output mirrors it")
    if report.failed:
        print(f"failed ({len(report.failed)}):", file=sys.stderr)
        for path in sorted(report.failed):
            message = str(report.failed[path]).splitlines()[0]
            print(f"  {message}", file=sys.stderr)
        sys.stderr.flush()
    if report.notes and not quiet:
        print(f"notes ({len(report.notes)}):")
        for note in report.notes:
            print(f"  {note}")
    total = len(report.written) + len(report.failed)
    print(
        f"hydrareg convert: {len(report.written)} of {total} configs converted, "
        f"{len(report.failed)} failed; written to {report.outdir}"
    )
    if len(report.targets) == 1 and report.targets[0] in report.written:
        print(f"compose it with --config-dir {report.outdir} --config-name {report.targets[0]}")
