"""The README's instantiate examples (Hydra's documented ones) run as written."""

from __future__ import annotations

import re
import sys
import types

import pytest
from conftest import REPO

MARKER = "<!-- readme-test: skip (tests/test_readme_instantiate.py runs it as the module my_app) -->"


def readme_examples() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(re.escape(MARKER) + r"\n```python\n(.*?)\n```", text, flags=re.DOTALL)


def test_the_readme_has_its_examples():
    assert len(readme_examples()) >= 2


@pytest.mark.parametrize("index", range(len(readme_examples())))
def test_a_readme_example_runs_as_the_module_my_app(index, monkeypatch):
    module = types.ModuleType("my_app")
    monkeypatch.setitem(sys.modules, "my_app", module)
    exec(compile(readme_examples()[index], f"README.md example {index}", "exec"), module.__dict__)
