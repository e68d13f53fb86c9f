"""Write one planned config as a Hydra YAML file that a person can read.

The file starts with ``# @package _global_`` (every converted file is usable as a primary config),
then the defaults list, then the content: keys in the source's order, mappings in block style,
short lists of scalars in flow style, the source's comments above the keys they described, and
``_delete_: true`` first in the mappings it replaces. Scalars are quoted exactly where OmegaConf's
YAML loader would otherwise read another type, ``${`` is escaped and the string ``???`` is written
so that it stays a string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import yaml

from .. import keys
from .comments import KeyComments
from .compose import Interp

__all__ = ["render", "yaml_scalar"]

Path = tuple[Any, ...]

_FLOW_WIDTH = 100
_MISSING_STRING = "???"
#: OmegaConf reads ``???`` as "missing"; this interpolation gives back the three characters
_MISSING_LITERAL = "${oc.decode:'\"???\"'}"


def _omegaconf_resolvers() -> dict[Any, Any]:
    """The implicit resolvers of the YAML loader OmegaConf uses (it reads ``1e-3`` as a float)."""
    try:
        from omegaconf._utils import get_yaml_loader

        loader = get_yaml_loader()
        return {k: list(v) for k, v in loader.yaml_implicit_resolvers.items()}
    except (ImportError, AttributeError):  # pragma: no cover - older/newer OmegaConf layouts
        return {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


class _Dumper(yaml.SafeDumper):
    """SafeDumper that quotes a plain scalar OmegaConf's loader would not read back as a string."""


_Dumper.yaml_implicit_resolvers = _omegaconf_resolvers()


def _escape(text: str) -> str:
    """OmegaConf escaping: ``\\${`` is a literal ``${``; backslashes just before it are doubled."""
    return re.sub(r"(\\*)\$\{", lambda m: m.group(1) * 2 + "\\${", text)


@lru_cache(maxsize=65536, typed=True)
def _dump(value: Any, flow: bool) -> str:
    """PyYAML's text for one scalar, on one line; ``flow``: valid inside ``[...]`` too."""
    options: dict[str, Any] = {"Dumper": _Dumper, "width": 2**30, "allow_unicode": True}
    if not flow:
        text = yaml.dump(value, default_flow_style=False, **options)
        if text.endswith("\n...\n") and text.count("\n") == 2:  # a plain scalar on one line
            return text[: -len("\n...\n")]
    text = yaml.dump([value], default_flow_style=True, **options)
    if text.count("\n") > 1:  # folded over lines: double quotes keep it on one
        text = yaml.dump([value], default_flow_style=True, default_style='"', **options)
    return text.strip()[1:-1]


def yaml_scalar(value: Any, flow: bool = True) -> str:
    """The YAML text of one scalar (or interpolation) that OmegaConf reads back as that value."""
    if isinstance(value, Interp):
        return _dump(value.text(), flow)
    if isinstance(value, str):
        if value == _MISSING_STRING:
            return _dump(_MISSING_LITERAL, flow)
        return _dump(_escape(value) if "${" in value else value, flow)
    if isinstance(value, bool) or value is None:
        return _dump(value, True)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _dump(float(value), True)
    raise TypeError(f"not a YAML scalar: {value!r}")


def _flow(value: Any, nested: bool = False) -> str | None:
    """``value`` on one line, if it is a scalar, an empty mapping or a list of such."""
    if isinstance(value, dict):
        return "{}" if not value else None
    if isinstance(value, (list, tuple)):
        parts = [_flow(item, True) for item in value]
        if any(p is None for p in parts):
            return None
        return "[" + ", ".join(parts) + "]"  # type: ignore[arg-type]
    return yaml_scalar(value, flow=nested)


def _comment_lines(block: Any, indent: int) -> list[str]:
    """``# text`` lines; None in ``block`` is a blank line, '' an empty comment line."""
    pad = " " * indent
    return [
        "" if text is None else pad + "#" + (text if not text or text.startswith(" ") else " " + text)
        for text in block
    ]


class _Writer:
    def __init__(self, comments: KeyComments) -> None:
        self.comments = comments.above
        self.trailing = comments.trailing
        self.lines: list[str] = []

    def comment(self, path: Path, indent: int) -> None:
        self.lines.extend(_comment_lines(self.comments.get(path, ()), indent))

    def mapping(self, mapping: dict[Any, Any], indent: int, path: Path, top: bool = False) -> None:
        for key in sorted(mapping, key=lambda k: k != keys.DELETE):
            where = (*path, key)
            if top and where in self.comments and self.lines and self.lines[-1]:
                self.lines.append("")
            self.comment(where, indent)
            self.entry(" " * indent + yaml_scalar(key) + ":", mapping[key], indent, where)

    def entry(self, head: str, value: Any, indent: int, path: Path, note: str | None = None) -> None:
        """``head`` (``key:`` or ``-``) followed by ``value`` inline or as an indented block."""
        note = self.trailing.get(path, note)
        tail = "" if note is None else "  #" + (note if note.startswith(" ") else " " + note)
        flow = _flow(value)
        if flow is not None and len(head) + 1 + len(flow) <= _FLOW_WIDTH:
            self.lines.append(f"{head} {flow}{tail}")
        elif isinstance(value, dict):
            self.lines.append(head + tail)
            self.mapping(value, indent + 2, path)
        elif isinstance(value, (list, tuple)) and value:
            self.lines.append(head + tail)
            self.sequence(value, indent + 2, path)
        else:
            self.lines.append(f"{head} {flow}{tail}")

    def sequence(self, items: Any, indent: int, path: Path) -> None:
        for index, item in enumerate(items):
            where = (*path, index)
            self.comment(where, indent)
            dash = " " * indent + "-"
            if isinstance(item, dict) and item and _flow(item) is None:
                first, *rest = list(item)
                self.comment((*where, first), indent)
                head = f"{dash} {yaml_scalar(first)}:"
                self.entry(head, item[first], indent + 2, (*where, first), self.trailing.get(where))
                self.mapping({k: item[k] for k in rest}, indent + 2, where)
            else:
                self.entry(dash, item, indent, where)


def render(
    content: dict[Any, Any],
    defaults: list[str],
    *,
    comments: KeyComments | None = None,
    header: Sequence[str | None] = (),
) -> str:
    """The text of one converted YAML file (in comment blocks, None is a blank line)."""
    comments = comments or KeyComments()
    writer = _Writer(comments)
    lines = writer.lines
    lines.append("# @package _global_")
    lines.extend(_comment_lines(header, 0))
    if defaults:
        lines.append("")
        lines.extend(_comment_lines(comments.defaults, 0))
        lines.append("defaults:")
        lines.extend(f"  - {yaml_scalar(entry, flow=False)}" for entry in [*defaults, "_self_"])
    if content:
        lines.append("")
        writer.mapping(content, 0, (), top=True)
    if comments.footer:
        lines.append("")
        lines.extend(_comment_lines(comments.footer, 0))
    return "\n".join(lines) + "\n"
