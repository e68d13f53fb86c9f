"""Safe loading: a config file that cannot be composed fails fast with an error naming the file.

Checked on the first load of each file (by the ``file_source`` and ``package_source`` patches):

- it must be UTF-8 text (binary garbage otherwise raises a ``UnicodeDecodeError`` naming no file);
- YAML aliases must not refer to a node that contains them (a recursive alias makes OmegaConf
  recurse until ``RecursionError``);
- aliases may expand to at most :data:`MAX_ALIAS_EXPANSION` nodes per file (a few hundred bytes of
  nested aliases, the "billion laughs", otherwise take minutes and gigabytes).

Cycles in defaults lists are caught by :mod:`hydrareg.hydra.cache.defaults`. Files without aliases
(no ``*`` in the text) cost one read and one decode.
"""

from __future__ import annotations

import os
from typing import Any

from .errors import HydraCompositionError

__all__ = ["MAX_ALIAS_EXPANSION", "check_source_file", "check_yaml_text"]

#: Nodes that the aliases of one file may expand to, in total (a config with merge keys uses far fewer).
MAX_ALIAS_EXPANSION = 100_000


def check_source_file(source: Any, config_path: str) -> None:
    """Check the file a ``file://`` or ``pkg://`` config source is about to load (others are skipped)."""
    data, where = _read(source, config_path)
    if data is not None:
        check_yaml_text(data, where)


def check_yaml_text(data: bytes, where: str) -> None:
    """Raise :class:`~.errors.HydraCompositionError` naming ``where`` if OmegaConf must not load ``data``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HydraCompositionError(
            f"the config file is not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r})",
            details=[("file", where)],
        ) from None
    if "*" in text:
        _check_aliases(text, where)


def _read(source: Any, config_path: str) -> tuple[bytes | None, str]:
    try:
        name = source._normalize_file_name(config_path)
        if source.scheme() == "file":
            path = os.path.join(source.path, name)
            with open(path, "rb") as file:
                return file.read(), path
        if source.scheme() == "pkg":
            from .cache.validators import package_files

            return package_files(source.path).joinpath(name).read_bytes(), f"pkg://{source.path}/{name}"
    except (OSError, ImportError, ValueError, TypeError):  # missing: Hydra raises its own error
        pass
    return None, config_path


def _check_aliases(text: str, where: str) -> None:
    """Walk the YAML events, sizing every anchor, without building anything."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    sizer = _AliasSizer(where)
    try:
        for event in yaml.parse(text, Loader=loader):
            sizer.step(event)
    except yaml.YAMLError:
        return  # not valid YAML: Hydra reports it with its own message
    except RecursionError:
        raise HydraCompositionError(
            "the config file is nested too deeply", details=[("file", where)]
        ) from None


class _AliasSizer:
    """The size of every anchored node, and how many nodes the aliases expand to in total."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.sizes: dict[str, int] = {}
        self.frames: list[list[Any]] = []  # [anchor, nodes so far] of every collection being read
        self.expanded = 0

    def step(self, event: Any) -> None:
        import yaml

        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self.frames.append([event.anchor, 1])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, count = self.frames.pop()
            if anchor:
                self.sizes[anchor] = count
            self._add(count)
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor:
                self.sizes[event.anchor] = 1
            self._add(1)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event)

    def _alias(self, event: Any) -> None:
        if any(frame[0] == event.anchor for frame in self.frames):
            raise HydraCompositionError(
                f"the YAML alias *{event.anchor} refers to a node that contains it (a recursive alias)",
                details=[("file", self.where), ("line", str(event.start_mark.line + 1))],
            )
        size = self.sizes.get(event.anchor, 1)
        self.expanded += size
        if self.expanded > MAX_ALIAS_EXPANSION:
            raise HydraCompositionError(
                f"the YAML aliases of this config file expand to more than {MAX_ALIAS_EXPANSION:,} nodes "
                "(an alias bomb?)",
                details=[("file", self.where), ("line", str(event.start_mark.line + 1))],
            )
        self._add(size)

    def _add(self, count: int) -> None:
        if self.frames:
            self.frames[-1][1] += count
