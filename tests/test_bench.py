"""scripts/bench.py: a smoke test of the script (it runs and prints every row), never of the times."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

BENCH = REPO / "scripts" / "bench.py"
W2_ROWS = [
    (f"W2 get {kind}", contender)
    for kind in ("own", "parent", "sibling", "miss")
    for contender in ("hydrareg", "mmengine", "floor (dict.get)")
]


@pytest.fixture(scope="module")
def bench_module():
    """scripts/bench.py imported as a module (its pure helpers), with scripts/ on sys.path."""
    sys.path.insert(0, str(BENCH.parent))
    try:
        spec = importlib.util.spec_from_file_location("hydrareg_bench", BENCH)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("hydrareg_bench", None)
        sys.path.remove(str(BENCH.parent))


def test_quick_w2_prints_every_row_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--only", "W2", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    payload = json.loads(out.read_text())
    rows = [(row["workload"], row["contender"]) for row in payload["rows"]]
    assert sorted(rows) == sorted(W2_ROWS)
    assert {"cpu_count", "python", "versions", "date"} <= set(payload["machine"])
    for row in payload["rows"]:
        if row["contender"] == "mmengine" and row["result"] == "SKIP":
            assert row["median_ns"] is None
            continue
        assert row["median_ns"] > 0 and row["samples"] >= 2
        assert (row["result"] in {"PASS", "FAIL"}) == (row["contender"] == "hydrareg" and row["target"] != "")
    table_lines = [line for line in result.stdout.splitlines() if line.startswith("W2 get ")]
    assert len(table_lines) == len(W2_ROWS)
    for workload, contender in W2_ROWS:
        assert any(line.startswith(workload) and f"  {contender}  " in line for line in table_lines), (
            contender
        )
    assert "hydra-core" in result.stdout and "omegaconf" in result.stdout


def test_tree_spec_has_the_requested_shape(bench_module) -> None:
    for size in (1000, 10000):
        spec = bench_module.tree_spec(size)
        assert bench_module.count(spec) == size
        depth, nodes = 0, [spec]
        while nodes:
            depth += 1
            assert all(4 <= len(node.params) <= 8 for node in nodes)
            nodes = [child for node in nodes for child in node.children]
        assert depth == 4


def test_every_w1_contender_config_describes_the_same_tree(bench_module) -> None:
    spec = bench_module.tree_spec(120)
    plain = bench_module.registry_cfg(spec)
    assert plain["_scope_"] == "hrb_det"
    assert plain["children"][0]["type"] == "hrb_cls.ResNet"
    targets = bench_module.target_cfg(spec)
    assert targets["_target_"] == "hrb_targets.RetinaNet"
    assert bench_module.floor_source(spec).startswith("RetinaNet(p0=")
    assert bench_module.floor_source(spec).count("(") == bench_module.count(spec)


def test_the_hydra_and_mmengine_trees_agree_on_their_files(bench_module) -> None:
    """Both trees are written and the Hydra experiment extends the base config with a _delete_."""
    assert "_delete_: true" in bench_module.HYDRA_TREE["exp.yaml"]
    assert "_delete_=True" in bench_module.MMENGINE_TREE["exp.py"]
    assert set(bench_module.HYDRA_TREE) >= {
        "config.yaml",
        "model/retinanet.yaml",
        "dataset/coco_detection.yaml",
    }
