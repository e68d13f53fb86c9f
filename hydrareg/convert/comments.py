"""The comments of a Python config, by line, so the YAML can keep them next to the same keys."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Any

Path = tuple[Any, ...]

__all__ = ["KeyComments", "SourceComments"]

# lint and formatter pragmas say nothing to a reader of the YAML
_PRAGMA = re.compile(r"\s*(noqa\b.*|(yapf|type|fmt|pylint|isort|flake8|pragma|mypy)\s*:.*)$", re.IGNORECASE)


def _clean(comment: str) -> str:
    """The comment's text without the ``#`` and without pragmas ('' if nothing else is left)."""
    text = comment[1:]
    if _PRAGMA.match(text) or _CODING.match(text):
        return ""
    for match in re.finditer("#", text):
        if _PRAGMA.match(text[match.end() :]):
            text = text[: match.start()]
            break
    return text.rstrip()


_CODING = re.compile(r".*coding[:=]\s*[-\w.]+")


@dataclass
class SourceComments:
    """Comment lines of one file: whole-line comments and comments after code, by line number."""

    own_line: dict[int, str] = field(default_factory=dict)
    after_code: dict[int, str] = field(default_factory=dict)
    blank: set[int] = field(default_factory=set)
    claimed: set[int] = field(default_factory=set)

    @classmethod
    def read(cls, text: str) -> SourceComments:
        """Tokenize ``text``; a file that does not tokenize simply has no comments."""
        found = cls()
        lines = text.splitlines()
        found.blank = {i + 1 for i, line in enumerate(lines) if not line.strip()}
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                if tok.type != tokenize.COMMENT:
                    continue
                row, col = tok.start
                cleaned = _clean(tok.string)
                if lines[row - 1][:col].strip():
                    if cleaned:
                        found.after_code[row] = cleaned
                elif cleaned or tok.string.strip() == "#":
                    found.own_line[row] = cleaned
        except (tokenize.TokenError, SyntaxError, IndentationError):
            pass
        return found

    def claim(self, line: int) -> list[str | None]:
        """The comment block just above ``line``, once only."""
        block: list[str | None] = []
        row = line - 1
        while row in self.own_line and row not in self.claimed:
            block.append(self.own_line[row])
            row -= 1
        block.reverse()
        self.claimed.update(range(row + 1, line))
        return _trim(block)

    def region(self, after: int, line: int | None) -> list[str | None]:
        """Unclaimed comments between lines ``after`` and ``line`` (blank lines: None), once only.

        With ``line`` None: everything after ``after`` (the file's closing comments).
        """
        rows = sorted(
            r for r in self.own_line if r > after and (line is None or r < line) and r not in self.claimed
        )
        self.claimed.update(rows)
        block: list[str | None] = []
        for previous, row in zip([None, *rows], rows, strict=False):
            if previous is not None and any(r in self.blank for r in range(previous + 1, row)):
                block.append(None)
            block.append(self.own_line[row])
        return _trim(block)

    def trailing(self, line: int) -> str | None:
        """The comment after the code on ``line``, once only."""
        if line in self.after_code and line not in self.claimed:
            self.claimed.add(line)
            return self.after_code[line]
        return None


def _trim(block: list[str | None]) -> list[str | None]:
    while block and not block[0]:
        block.pop(0)
    while block and not block[-1]:
        block.pop()
    return block


@dataclass
class KeyComments:
    """The comments that go with a converted file, by config path (None in a block: blank line)."""

    #: config path -> the comment lines above that key
    above: dict[Path, list[str | None]] = field(default_factory=dict)
    #: config path -> the comment after the code on that key's line
    trailing: dict[Path, str] = field(default_factory=dict)
    #: above the ``_base_`` list, and after the last statement
    defaults: list[str | None] = field(default_factory=list)
    footer: list[str | None] = field(default_factory=list)

    def add(self, where: Path, block: list[str | None], trailing: str | None) -> None:
        """Attach a comment block and a trailing comment to ``where`` (the first trailing wins)."""
        if block:
            self.above.setdefault(where, []).extend(block)
        if trailing and where not in self.trailing:
            self.trailing[where] = trailing
