"""The README's fenced blocks do what they say: commands run, snippets run, configs match the files.

Each block is handled by its language, or by an HTML comment on the line before it:

- ``<!-- readme-test: skip (why) -->``: not run (installs, another library's configs, output shown);
- ``<!-- readme-test: app ARGS -->``: a Python app, run as ``app.py ARGS`` beside this repo's ``conf/``;
- ``<!-- readme-test: excerpt conf/x.yaml -->``: every key shown has the value the file gives it;
- ``<!-- readme-test: slow -->``: run, but only with the slow tests (``-m slow``).

Unmarked ``sh`` blocks run in a fresh directory (``python run.py`` is this repo's), ``python`` blocks
run as a script, ``yaml`` blocks that open with ``# conf/...`` must match that file, other ``yaml``
and ``toml`` blocks must parse. A block in another language (shown output) is never run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import REPO

README = REPO / "README.md"
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)\s*$")
MARKER = re.compile(r"<!-- readme-test: (?P<mode>[\w-]+)\s*(?P<arg>.*?)\s*-->")


@dataclass
class Block:
    line: int
    lang: str
    text: str
    mode: str = ""
    arg: str = ""

    @property
    def id(self) -> str:
        return f"L{self.line}-{self.lang or 'text'}{'-' + self.mode if self.mode else ''}"


def readme_blocks() -> list[Block]:
    """Every fenced block with the marker just above it (blank lines and fmt comments between allowed)."""
    lines = README.read_text().splitlines()
    blocks, index = [], 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent = len(opening["indent"])
        end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
        body = "\n".join(line[indent:] for line in lines[index + 1 : end]) + "\n"
        block = Block(index + 1, opening["lang"], body)
        marker = _marker_above(lines, index)
        if marker:
            block.mode, block.arg = marker["mode"], marker["arg"]
        blocks.append(block)
        index = end + 1
    return blocks


def _marker_above(lines: list[str], index: int) -> re.Match[str] | None:
    for previous in range(index - 1, max(index - 4, -1), -1):
        found = MARKER.search(lines[previous])
        if found:
            return found
        if lines[previous].strip() and not lines[previous].strip().startswith("<!--"):
            return None
    return None


BLOCKS = readme_blocks()


def params(*modes: str, langs: tuple[str, ...] = ()) -> list:
    chosen = [b for b in BLOCKS if b.mode in modes and (not langs or b.lang in langs)]
    return [pytest.param(b, id=b.id, marks=[pytest.mark.slow] if b.mode == "slow" else []) for b in chosen]


def run_shell(text: str, cwd: Path) -> subprocess.CompletedProcess:
    script = text.replace("python run.py", f"{sys.executable} {REPO / 'run.py'}")
    script = script.replace("python -m ", f"{sys.executable} -m ")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )


def test_every_block_is_found_and_every_marker_is_known():
    assert len(BLOCKS) >= 15
    assert {b.mode for b in BLOCKS} <= {"", "skip", "app", "excerpt", "slow"}
    assert all(b.arg for b in BLOCKS if b.mode in ("skip", "app", "excerpt"))  # a reason, args, a file


@pytest.mark.parametrize("block", params("", "slow", langs=("sh",)))
def test_shell_blocks_run(block: Block, tmp_path: Path):
    result = run_shell(block.text, tmp_path)
    assert result.returncode == 0, f"README line {block.line}:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("block", params("", "slow", langs=("python",)))
def test_python_blocks_run(block: Block, tmp_path: Path):
    for module in re.findall(r"locations=\[\"([\w.]+)\"\]", block.text):  # the library's own module
        package = tmp_path.joinpath(*module.split(".")[:-1])
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").touch()
        (package / f"{module.rsplit('.', 1)[-1]}.py").write_text("")
    (tmp_path / "snippet.py").write_text(block.text)
    result = subprocess.run(
        [sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"README line {block.line}:\n{result.stderr}"


@pytest.mark.parametrize("block", params("app"))
def test_app_blocks_run_against_this_repos_configs(block: Block, tmp_path: Path):
    (tmp_path / "app.py").write_text(block.text + "\n\nif __name__ == '__main__':\n    main()\n")
    (tmp_path / "conf").symlink_to(REPO / "conf")
    args = [*block.arg.split(), "hydra.run.dir=job"]
    result = subprocess.run(
        [sys.executable, "app.py", *args], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"README line {block.line}:\n{result.stderr}"


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.lang == "yaml" and b.mode in ("", "excerpt")], ids=lambda b: b.id
)
def test_yaml_blocks_parse_and_match_the_files_they_name(block: Block):
    shown = yaml.safe_load(block.text)
    named = block.arg or _named_file(block.text)
    if named is None:
        assert isinstance(shown, dict)
        return
    actual = yaml.safe_load((REPO / named).read_text())
    assert_excerpt(shown, actual, named)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "toml" and not b.mode], ids=lambda b: b.id)
def test_toml_blocks_parse(block: Block):
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    assert tomllib.loads(block.text)


def _named_file(text: str) -> str | None:
    first = text.splitlines()[0]
    found = re.fullmatch(r"# (conf/\S+\.yaml)", first.strip())
    return found[1] if found else None


def assert_excerpt(shown: object, actual: object, where: str) -> None:
    """Every mapping key in ``shown`` is in ``actual`` with the same value (lists and scalars equal)."""
    if isinstance(shown, dict):
        assert isinstance(actual, dict), f"{where}: the file has {actual!r}"
        for key, value in shown.items():
            assert key in actual, f"{where}.{key} is not in the file"
            assert_excerpt(value, actual[key], f"{where}.{key}")
    else:
        assert shown == actual, f"{where}: README shows {shown!r}, the file has {actual!r}"


def test_the_callback_block_configures_a_callback_hydra_can_build():
    from hydra.utils import instantiate

    block = next(b for b in BLOCKS if b.lang == "yaml" and "callbacks:" in b.text)
    for spec in yaml.safe_load(block.text)["hydra"]["callbacks"].values():
        callback = instantiate(spec)
        assert type(callback).__name__ == "HydraregCallback" and callback.plot_metric == "accuracy"
