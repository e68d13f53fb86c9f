"""The library stays readable: no function in ``hydrareg/`` is longer than 40 lines."""

from __future__ import annotations

import ast
from pathlib import Path

LIBRARY = Path(__file__).resolve().parents[1] / "hydrareg"
MAX_LINES = 40
#: Functions still over the limit (none now); add one only with a reason, and remove it once split.
KNOWN: set[str] = set()


def long_functions(root: Path = LIBRARY, limit: int = MAX_LINES) -> list[str]:
    """``file:line name (n lines)`` of every function or method longer than ``limit`` lines."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > limit:
                    found.append(
                        f"{path.relative_to(root.parent)}:{node.lineno} {node.name} ({length} lines)"
                    )
    return found


def _key(offender: str) -> str:
    location, name = offender.split(" ")[:2]
    return f"{location.rsplit(':', 1)[0]} {name}"


def test_no_function_in_the_library_is_longer_than_40_lines():
    offenders = long_functions()
    new = [offender for offender in offenders if _key(offender) not in KNOWN]
    assert not new, "split these into smaller functions:\n" + "\n".join(new)
    fixed = KNOWN - {_key(offender) for offender in offenders}
    assert not fixed, f"no longer too long, remove from KNOWN: {sorted(fixed)}"


def test_the_check_sees_a_long_function(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_LINES))
    (tmp_path / "long.py").write_text(f"def long():\n{body}\n\ndef short():\n    return 1\n")
    assert long_functions(tmp_path) == [f"{tmp_path.name}/long.py:1 long ({MAX_LINES + 1} lines)"]
