"""``hydrareg explain [KEY]``: where a value of the composed config came from.

For KEY: every file and line that set it in merge order (primary config, group options, a
``_delete_`` that replaced it, command-line overrides), the interpolation it holds and where its
target was set, the resolved value, and for a ``type`` the class it names, its source file, and the
registry and scope it was found in. Without KEY: every leaf of the config with the place that set it.
Resolving a value runs the config's resolvers (``${backbone_channels:...}`` builds a backbone on
torch's meta device); ``--no-resolve`` leaves them alone.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from collections.abc import Iterator
from typing import Any

from omegaconf import OmegaConf

from .. import keys
from ..errors import HydraregError
from .app import add_app_arguments, app_from_arguments
from .check import split_app
from .checker import ConfigChecker
from .jobs import Composer, composing, first_lines
from .lookup import Lookup, describe
from .provenance import Origin, Provenance, job_provenance, parse_key
from .values import BrokenReference, absolute, is_interpolation, plain, select

EXAMPLE = """examples:
  hydrareg explain run.py model.neck.in_channels model=retinanet backbone=mmcls_mobilenetv3
  hydrareg explain run.py model.backbone.type backbone=mmcls_convnext
  hydrareg explain run.py task=train            (every value, with the file and line that set it)"""

_RESOLVER = re.compile(r"\$\{\s*([\w.]+)\s*:([^}]*)\}")
_REFERENCE = re.compile(r"\$\{\s*([^${}:\s]+)\s*\}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "words", nargs="*", metavar="[APP.py] [KEY] OVERRIDE", help="the app, the key, overrides"
    )
    parser.add_argument("--no-resolve", action="store_true", help="do not run resolvers to show the value")
    add_app_arguments(parser)


def run(args: argparse.Namespace) -> int:
    app_path, words = split_app(args.words)
    key = words.pop(0) if words and "=" not in words[0] and not words[0].startswith("~") else None
    try:
        app = app_from_arguments(app_path, args)
        with composing(app) as composer:
            cfg = _compose(composer, words)
            provenance = job_provenance(composer, words)
            lookup = Lookup(app.builds)
            lines = (
                explain_key(cfg, provenance, lookup, key, not args.no_resolve)
                if key
                else annotate(cfg, provenance)
            )
    except HydraregError as exc:
        print(f"hydrareg explain: {exc}", file=sys.stderr)
        return 2
    from .output import console

    for line in lines:
        console().print(line, markup=False)
    return 0


def _compose(composer: Composer, overrides: list[str]) -> Any:
    try:
        return composer.compose(overrides)
    except Exception as exc:  # Hydra's errors: an unknown group option, a bad override
        raise HydraregError(f"cannot compose the config: {first_lines(exc)}") from exc


def explain_key(cfg: Any, provenance: Provenance, lookup: Lookup, key: str, resolve: bool) -> list[str]:
    """The lines that explain one dotted key."""
    root = plain(cfg)
    path = parse_key(key)
    try:
        raw = select(root, path)
    except BrokenReference as exc:
        raise HydraregError(f"{key} is not in the composed config", config_path=key) from exc
    lines = [f"{key} = {_short(raw)}"]
    lines.extend(_chain_lines(provenance, path))
    if is_interpolation(raw):
        lines.extend(_interpolation_lines(root, provenance, path, raw))
    if resolve and (is_interpolation(raw) or isinstance(raw, (dict, list))):
        lines.append(f"  value: {_resolved(cfg, key)}")
    type_path = (
        path
        if path[-1:] == (keys.TYPE,)
        else (*path, keys.TYPE)
        if isinstance(raw, dict) and keys.TYPE in raw
        else None
    )
    if type_path is not None:
        lines.extend(_type_lines(root, lookup, type_path[:-1]))
    return lines


def _chain_lines(provenance: Provenance, path: tuple[str, ...]) -> Iterator[str]:
    chain = provenance.chain(path)
    if not chain:
        yield "  set by: nothing in the config files (a default of a structured config or Hydra)"
    for number, origin in enumerate(chain, start=1):
        yield f"  {number}. {_describe_origin(origin)}"


def _describe_origin(origin: Origin, quote: bool = True) -> str:
    what = {
        "file": f"set in {origin.where}",
        "delete": f"replaced (_delete_: true) in {origin.where}",
        "override": f"command-line override {origin.text}",
        "removed": f"removed on the command line: {origin.text}",
    }[origin.kind]
    shown = f": {origin.text}" if quote and origin.kind == "file" and origin.text not in ("", "{...}") else ""
    note = f" ({origin.note})" if origin.note else ""
    return what + shown + note


def _interpolation_lines(root: Any, provenance: Provenance, path: tuple[str, ...], raw: str) -> Iterator[str]:
    for name, arguments in _RESOLVER.findall(raw):
        yield f"  interpolation: resolver {name}({arguments.strip()}), computed when the config is resolved"
        for argument in arguments.split(","):
            yield from _reference_line(root, provenance, parse_key(argument.strip()), "reads")
    for reference in _REFERENCE.findall(raw):
        yield f"  interpolation: ${{{reference}}}"
        yield from _reference_line(root, provenance, absolute(path, reference), "refers to")


def _reference_line(root: Any, provenance: Provenance, target: tuple[Any, ...], verb: str) -> Iterator[str]:
    try:
        value = select(root, target)
    except BrokenReference:
        return
    origin = provenance.origin(target)
    where = f", {_describe_origin(origin, quote=False)}" if origin else ""
    yield f"    {verb} {'.'.join(map(str, target))} = {_short(value, 40)}{where}"


def _resolved(cfg: Any, key: str) -> str:
    try:
        value = OmegaConf.select(cfg, key)
        return _short(OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value)
    except Exception as exc:  # a resolver that fails: show why, as the build would
        return f"cannot be resolved: {str(exc).splitlines()[0]}"


def _type_lines(root: Any, lookup: Lookup, node_path: tuple[Any, ...]) -> Iterator[str]:
    checker = ConfigChecker(lookup)
    context = checker.context_of(root, node_path)
    found = checker.found_type(select(root, node_path), node_path, context)
    scope = context.scope or "none"
    searched = describe(context.registry)
    if found is None:
        yield f"  type: not found from {searched} (default scope {scope}); run hydrareg check for why"
        return
    obj = found.obj
    yield f"  type: {getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
    yield f"    defined in {_source(obj)}"
    yield f"    found in {describe(found.holder)}, looked up from {describe(found.called)}"
    yield f"    default scope: {scope}"


def _source(obj: Any) -> str:
    try:
        from .provenance import display_path

        return f"{display_path(inspect.getsourcefile(obj) or '?')}:{inspect.getsourcelines(obj)[1]}"
    except (TypeError, OSError):
        return "(no source)"


def annotate(cfg: Any, provenance: Provenance) -> list[str]:
    """Every leaf of the config, ``key = value    # where it was set``."""
    rows = [(key, value) for key, value in _leaves(plain(cfg), ()) if key[0] != "hydra"]
    width = min(60, max((len(_dotted(key)) + len(_short(value)) for key, value in rows), default=0) + 3)
    lines = []
    for key, value in rows:
        origin = provenance.origin(tuple(map(str, key)))
        where = (
            ""
            if origin is None
            else origin.where
            if origin.kind != "override"
            else f"command line: {origin.text}"
        )
        text = f"{_dotted(key)} = {_short(value)}"
        lines.append(f"{text:<{width}}  # {where}" if where else text)
    return lines


def _leaves(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict) and value:
        for key, child in value.items():
            yield from _leaves(child, (*path, key))
    elif isinstance(value, list) and value and any(isinstance(item, (dict, list)) for item in value):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    elif path:
        yield path, value


def _dotted(path: tuple[Any, ...]) -> str:
    return "".join(
        f"[{key}]" if isinstance(key, int) else f".{key}" if i else str(key) for i, key in enumerate(path)
    )


def _short(value: Any, limit: int = 70) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."
