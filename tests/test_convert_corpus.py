"""The whole MMDetection 3.3.0 config tree, converted and scored against MMEngine's own results.

The corpus (``<repo>/../shared/corpus``) holds MMDetection's and MMPretrain's configs and, for each
MMDetection config, the dict ``mmengine.Config.fromfile`` makes of it. This converts the whole tree
once (through the scorer, as the project's acceptance run does) and scores a sample of 40 configs
chosen deterministically so that every feature of the scorer's table is represented.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import corpus_or_skip
from patch_modes import PATCHES_ON

SAMPLE_SIZE = 40


def _delete_in_mappings(value: Any) -> bool:
    """MMEngine left ``_delete_`` in a mapping: hydrareg drops it by design, so it cannot match."""
    return isinstance(value, dict) and ("_delete_" in value or any(map(_delete_in_mappings, value.values())))


def _sample(corpus: Path) -> list[str]:
    sys.path.insert(0, str(corpus))
    try:
        from score_converter import FEATURES
    finally:
        sys.path.remove(str(corpus))
    with gzip.open(corpus / "goldens-mmdet.jsonl.gz", "rt", encoding="utf-8") as f:
        goldens = [json.loads(line) for line in f]
    scored = sorted(
        (g for g in goldens if g["role"] in ("leaf", "base") and g["status"] == "ok" and g["expressible"]),
        key=lambda g: g["path"],
    )
    scored = [g for g in scored if not _delete_in_mappings(g["cfg"])]
    picked: list[str] = []
    pools = [[g["path"] for g in scored if test(g, g["features"])] for _label, test in FEATURES]
    while len(picked) < SAMPLE_SIZE and any(pools):
        for pool in pools:
            while pool and pool[0] in picked:
                pool.pop(0)
            if pool and len(picked) < SAMPLE_SIZE:
                picked.append(pool.pop(0))
    return picked


def _expected_failures(corpus: Path) -> set[str]:
    """Configs MMEngine itself cannot load, and the helper scripts (which import modules)."""
    with gzip.open(corpus / "goldens-mmdet.jsonl.gz", "rt", encoding="utf-8") as f:
        goldens = [json.loads(line) for line in f]
    return {g["path"] for g in goldens if g["status"] != "ok" or g["role"] == "script"}


@pytest.mark.skipif(
    not PATCHES_ON,
    reason="the corpus's _delete_ configs equal MMEngine's dicts only with hydrareg's compose patch "
    "(HYDRAREG_PATCHES=0 leaves _delete_ in place, and instantiate refuses it: tests/patch_modes.py)",
)
def test_mmdetection_tree(tmp_path: Path) -> None:
    corpus = corpus_or_skip()
    sample = _sample(corpus)
    assert len(sample) == SAMPLE_SIZE
    converter = f"{sys.executable} -m hydrareg.cli convert -q {{configs}} {{outdir}}"
    command = [
        sys.executable,
        str(corpus / "score_converter.py"),
        "--packages", "mmdet",
        "--require-tree",
        "--tree-converter", converter,
        "--filter", "^(" + "|".join(re.escape(p) for p in sample) + ")$",
        "--jobs", "2",
        "--work", str(tmp_path / "work"),
        "--report", str(tmp_path / "report.jsonl"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.stdout.strip().splitlines()[-1] == f"{SAMPLE_SIZE} passed, 0 failed, 0 skipped", (
        done.stdout[-3000:] + done.stderr[-3000:]
    )
    report = [json.loads(line) for line in (tmp_path / "report.jsonl").read_text().splitlines()]
    assert sorted(r["path"] for r in report) == sorted(sample)

    # the converter ran on the whole tree: it fails exactly where MMEngine fails, and on the scripts
    root = f"{tmp_path / 'work' / 'src'}/"
    failed = {
        line.strip().split(":", 1)[0].replace(root, "")
        for line in done.stderr.splitlines()
        if line.startswith("  " + root)
    }
    assert failed == _expected_failures(corpus)
    tree = tmp_path / "work" / "tree" / "mmdet"
    assert (tree / "_base_" / "default_runtime.yaml").is_file()
    assert any((tree / "mmpretrain").rglob("*.yaml"))  # the cross-package bases, converted too
