"""What ``hydrareg check`` reports: one problem, where it is, and the jobs that have it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Problem:
    """One thing that would fail (or misbehave) when the job builds its config."""

    kind: str  # unknown-type, unknown-argument, missing-argument, wrong-type, import, scope, reference, ...
    path: str  # the dotted config path
    message: str
    hint: str = ""  # "did you mean: out_indices?"
    registry: str = ""  # the registries searched, or where the type was found
    scope: str | None = None  # the default scope in effect
    file: str | None = None
    line: int | None = None
    origin: str = ""  # "conf/backbone/x.yaml:3", or the command-line override
    jobs: list[list[str]] = field(default_factory=list)

    def identity(self) -> tuple[str, str, str]:
        return (self.kind, self.path, self.message)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
