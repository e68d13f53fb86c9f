"""Where each value of a composed config came from: file and line, ``_delete_``, command line.

Hydra does not keep this, so it is rebuilt from what Hydra merged: the job's defaults list (each
config file, its package, in merge order), each file read again with PyYAML's node marks, then the
job's command-line overrides, which Hydra applies last. A mapping merges into what came before;
a scalar, a list, a ``_delete_: true`` node or an override replaces it.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .. import keys

Key = tuple[str, ...]
COMMAND_LINE = "command line"


@dataclass(frozen=True)
class Origin:
    """One thing that set a config node."""

    kind: str  # "file", "delete" (a ``_delete_: true`` node), "override", "removed" (``~key``)
    file: str  # a path, or "command line"
    line: int | None
    text: str  # the YAML value as written, or the override
    replaces: bool  # sets the whole node; False for a mapping merged into what came before
    note: str = ""  # e.g. how the config file was chosen

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def parse_key(dotted: str) -> Key:
    """``'model.pipeline[2].type'`` -> ``('model', 'pipeline', '2', 'type')``."""
    return tuple(part for part in re.split(r"[.\[\]]", dotted) if part)


class Provenance:
    """The origins of every node of one job's config."""

    def __init__(self) -> None:
        self._events: dict[Key, list[tuple[int, Origin]]] = {}
        self._count = 0

    def add(self, key: Key, origin: Origin) -> None:
        self._events.setdefault(key, []).append((self._count, origin))
        self._count += 1

    def chain(self, key: Key) -> list[Origin]:
        """Everything that set ``key`` or replaced a node above it, oldest first."""
        found = list(self._events.get(key, ()))
        for cut in range(len(key)):
            found.extend(event for event in self._events.get(key[:cut], ()) if event[1].replaces)
        return [origin for _, origin in sorted(found, key=lambda event: event[0])]

    def origin(self, key: Key) -> Origin | None:
        """What set ``key`` last, else what set the nearest node above it."""
        for cut in range(len(key), -1, -1):
            chain = self.chain(key[:cut])
            if chain:
                return chain[-1]
        return None


def job_provenance(composer: Any, overrides: Sequence[str]) -> Provenance:
    """The provenance of the job that ``overrides`` compose (through ``composer``)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(overrides))
    chosen = {
        f"{o.key_or_group.lstrip('+~').split('@')[0]}/{o.value()}": o.input_line
        for o in parsed
        if composer.is_group(o.key_or_group) and isinstance(o.value(), str)
    }
    provenance = Provenance()
    for default in composer.defaults_list(overrides):
        package = default.package or ""
        if default.config_path is None or package == "hydra" or package.startswith("hydra."):
            continue
        path = composer.config_file(default.config_path)
        if path is None:
            continue
        note = _how_chosen(default, chosen.get(default.config_path))
        for key, origin in file_events(path, package, note):
            provenance.add(key, origin)
    for override in parsed:
        if not composer.is_group(override.key_or_group):
            _add_override(provenance, override)
    return provenance


def _how_chosen(default: Any, command_line: str | None) -> str:
    """How a config file got into the defaults list (none for the primary config)."""
    if command_line:
        return f"{default.config_path}, chosen on the command line: {command_line}"
    if default.primary or not default.parent or default.parent == "<root>" or default.is_self:
        return ""
    return f"{default.config_path}, in the defaults list of {default.parent}"


def _add_override(provenance: Provenance, override: Any) -> None:
    key = parse_key(override.key_or_group.lstrip("+~"))
    if key and key[0] == "hydra":
        return
    kind = "removed" if override.is_delete() else "override"
    provenance.add(key, Origin(kind, COMMAND_LINE, None, override.input_line, True))


def file_events(path: str, package: str, note: str = "") -> list[tuple[Key, Origin]]:
    """The origins a config file contributes when merged at ``package`` (``''`` is the root)."""
    stat = os.stat(path)
    return _file_events(path, package, note, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=512)
def _file_events(path: str, package: str, note: str, _mtime: int, _size: int) -> list[tuple[Key, Origin]]:
    import yaml

    with open(path, encoding="utf-8") as file:
        text = file.read()
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    shown = display_path(path)
    prefix = parse_key(package)
    events: list[tuple[Key, Origin]] = []
    if isinstance(root, yaml.MappingNode):
        events.append((prefix, Origin("file", shown, root.start_mark.line + 1, "", False, note)))
        items = [(k, v) for k, v in root.value if not (k.value == "defaults" and not prefix)]
        events.extend(_node_events(items, prefix, Origin("file", shown, None, text, False, note)))
    return events


def _node_events(items: list[tuple[Any, Any]], prefix: Key, file: Origin) -> Iterator[tuple[Key, Origin]]:
    """Origins of a mapping's items; ``file`` carries the file's name, note and text."""
    import yaml

    for key_node, value_node in items:
        key = (*prefix, str(key_node.value)) if key_node is not None else prefix
        line = (key_node or value_node).start_mark.line + 1
        shown = _source(value_node, file.text)
        if isinstance(value_node, yaml.MappingNode):
            deleted = any(k.value == keys.DELETE and v.value in ("true", "True") for k, v in value_node.value)
            yield key, Origin("delete" if deleted else "file", file.file, line, shown, deleted, file.note)
            yield from _node_events(value_node.value, key, file)
        elif isinstance(value_node, yaml.SequenceNode):
            yield key, Origin("file", file.file, line, shown, True, file.note)
            for index, item in enumerate(value_node.value):
                yield from _node_events([(None, item)], (*key, str(index)), file)
        else:
            yield key, Origin("file", file.file, line, str(value_node.value), True, file.note)


def _source(node: Any, text: str) -> str:
    """A collection as written when it fits on one line (``[4, 8]``), else ``[...]``/``{...}``."""
    import yaml

    written = text[node.start_mark.index : node.end_mark.index].strip()
    if "\n" not in written and len(written) <= 60:
        return written
    return "[...]" if isinstance(node, yaml.SequenceNode) else "{...}"


def display_path(path: str) -> str:
    """``path`` relative to the working directory when it is inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
