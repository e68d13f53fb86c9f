"""hydrareg's benchmark: every workload against its anchors, interleaved, in one command.

    python scripts/bench.py                 # everything (about 3-4 minutes on 2 noisy cores)
    python scripts/bench.py --quick         # fewer repetitions, W1 at 1,000 objects only: ~1 minute
    python scripts/bench.py --only W2,W4    # a subset
    python scripts/bench.py --json out.json # the same table as JSON

Install the anchors with ``pip install -e '.[bench]'`` (mmengine==0.10.7); without mmengine its rows
are printed as SKIP and everything else still runs.

What is measured (the issue "scripts/bench.py"):

- W1: build a RetinaNet-shaped tree of 1,000 and 10,000 objects (4 levels, lists of children, 4-8
  scalar arguments each). The same class hierarchy is generated for every contender by one class
  factory; only how children are built differs: MMEngine semantics for hydrareg and MMEngine (the
  constructor receives its children as dicts and builds them with its own registry's ``build``), built
  children for Hydra (``_target_``, recursive) and for the floor (plain constructor calls in generated
  source code). The registry trees are root scope ``hrb`` with child scopes ``hrb_det`` and ``hrb_cls``,
  defined in real importable packages (``hrb_det/registry.py``), so MMEngine's ``import_module(
  f'{scope}.registry')`` succeeds as it does for real OpenMMLab libraries instead of paying for a
  failed import on every lookup. The top node carries ``_scope_: hrb_det``; the backbone branch uses
  ``hrb_cls.Name`` (sibling scope), leaves registered in the root are found through the parent. Every
  contender's tree is checked equal (class names, values, node count) before timing. ``W1 _target_``
  builds the same tree written as Hydra ``_target_`` nodes in a DictConfig with ``hydrareg.instantiate``
  and with ``hydra.utils.instantiate`` (target: hydrareg no slower, ratio <= 1).
- W2: ``Registry.get`` of an own name, a parent's name, a sibling's ``scope.Name`` and a miss, on the
  same trees; the floor is ``dict.get``. Each sample is a generated function making 20 calls of a
  pre-bound ``get`` in a row, so loop and call overhead are amortised the same way for everyone.
- W3: composing an mmdet-like config (model with backbone/neck/bbox_head subgroups, a dataset with
  pipeline lists, a schedule, a runtime; ~200 leaves; interpolations; a child experiment with overrides
  and a ``_delete_``), repeatedly in one process and first call in a fresh process; MMEngine's
  ``Config.fromfile`` on the equivalent ``_base_`` .py tree (mmdet's own layout: one model file, since
  MMEngine forbids the same key in two bases) plus ``merge_from_dict`` for the overrides.
- W4: the whole ``python run.py --cfg job`` process on the generated tree, against a bare
  ``@hydra.main`` app and ``python -c pass``; and whether ``import hydrareg`` (and run.py) import
  torch, numpy or mmengine.
- W5: ``-m`` over 8 values with the basic launcher. Per-job overhead is ``(T(8 jobs) - T(1 job)) / 7``
  for each app, which cancels interpreter start-up, imports and sweep set-up.

Fairness decisions:

- "Hydra" means Hydra without hydrareg's plugin. hydrareg is installed in this environment, and Hydra
  imports every module under the ``hydra_plugins`` namespace in every process that composes, so plain
  Hydra has to be measured in a process where that plugin is hidden: the Hydra anchors (W3 workers, the
  W4/W5 bare app) drop the directories holding ``hydra_plugins/hydrareg_plugin`` from
  ``hydra_plugins.__path__`` before Hydra scans it (a list assignment at start-up, well under a
  millisecond; other installed plugins stay visible). hydrareg's own code is then never imported in
  those processes, which the W3 check verifies. Doing it in a separate process rather than undoing
  hydrareg's patch in-process means that whatever hydrareg installs (the composition hook, caches of
  parsed files added later) can never leak into the anchor. The hydrareg W3 contender is a process that
  ran ``import hydrareg`` and lets Hydra's plugin discovery install the hook as usual.
- So W3 contenders all live in worker processes (hydrareg, Hydra, MMEngine), driven round-robin by this
  process over pipes: each sample asks one worker for a batch of composes, then the next, so all of them
  see the same noise. In-process workloads (W1, W2) run round-robin in this process.
- Every contender gets an untimed first call (the warm-up; traced for peak memory and checked), then
  samples of a calibrated batch size (a sample lasts tens of milliseconds), with ``gc.collect()``
  before and ``gc.disable()`` during each sample; the median of the samples is reported. What was
  alive before timing is moved out of the collector's way with ``gc.freeze()`` (this process has
  torch loaded once MMEngine's logger ran, and a full collection would otherwise take 0.1 s). Very
  slow contenders (Hydra's instantiate of 10,000 objects, ~5 s a call) get fewer rounds, never fewer
  than 3 (2 with --quick). The starting contender rotates from round to round. Before W1, every
  contender builds a small tree once, so first-use imports (MMEngine's logger imports torch) are not
  charged to anyone.
- Peak memory: for in-process workloads, ``tracemalloc``'s peak during the first call (Python
  allocations only, "py"); for processes, the maximum resident set size of that process ("rss",
  from ``os.wait4``). Processes are started by a small launcher process (``python -S``, ~10 MB)
  because Linux charges a child's max RSS with the size of the process it was forked from.
- W1 anchors: the DictConfig target compares with ``OmegaConf.to_container(cfg, resolve=True)``
  (hydrareg has to resolve too); Hydra's anchor is ``hydra.utils.instantiate`` on a DictConfig with
  ``_target_`` nodes and Hydra's defaults (recursive, ``_convert_: none``), the way Hydra users call
  it. MMEngine's ``Registry.build`` is called on plain dicts, its only input (it logs a DEBUG record on
  every ``get``, which is most of its cost: that is MMEngine as shipped).
- W4/W5 hydrareg contender: ``run.py`` itself, pointed at the generated tree with ``--config-path``.
  For W5 it runs a registered no-op task (``+task={type:bench_noop}``, imported through
  ``${custom_imports:hrb_tasks}``) with ``HydraregCallback`` configured as in ``conf/config.yaml``, so
  the per-job figure includes what run.py really does per job (the task build, ``result.json``, the
  sweep summary). The bare app's function does nothing. Both get the same tree, the same other
  overrides, the same environment (``PYTHONPATH`` with the generated packages) and the same output
  settings.

The table's ratio column is "hydrareg / this": the median of the workload's hydrareg contender divided
by this row's median. A ratio target sits on the row of the anchor it is relative to; an absolute target
(W2) sits on the hydrareg row.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench_trees import HYDRA_TREE, MMENGINE_TREE, PACKAGES

REPO = Path(__file__).resolve().parents[1]
RUN_PY = REPO / "run.py"
WORKLOADS = ("W1", "W2", "W3", "W4", "W5")
HEAVY_MODULES = ("torch", "numpy", "mmengine")
COMPOSE_OVERRIDES = ["model.neck.out_channels=128", "seed=1"]
MMENGINE_OVERRIDES = {"model.neck.out_channels": 128, "seed": 1}


# ============================================================================ settings and results


@dataclass(frozen=True)
class Settings:
    """How long to measure: rounds per workload and the target length of one sample."""

    quick: bool
    rounds: int  # in-process rounds (W1, W2, W3)
    min_rounds: int  # never fewer for a slow contender
    sample_ns: int  # a sample's target length
    budget_ns: int  # per contender and workload, before rounds are cut (down to min_rounds)
    process_reps: int  # W3 fresh processes, W4 runs
    sweep_reps: int  # W5 repetitions
    sizes: tuple[int, ...]  # W1 tree sizes

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            return cls(True, 5, 2, 20_000_000, 2_000_000_000, 5, 2, (1000,))
        return cls(False, 11, 3, 40_000_000, 8_000_000_000, 11, 5, (1000, 10000))


@dataclass
class Row:
    """One line of the table: one contender on one workload."""

    workload: str
    contender: str
    median_ns: float | None = None
    samples: int = 0
    peak_bytes: int | None = None
    peak_kind: str = ""  # "py": tracemalloc peak of one call; "rss": the process's max RSS
    ratio: float | None = None  # hydrareg's median / this median
    target: str = ""
    result: str = ""  # PASS, FAIL, SKIP or ""
    note: str = ""
    value: str = ""  # shown instead of the median (checks)


@dataclass
class Group:
    """The rows of one workload; ``primary`` names the hydrareg row the ratios divide."""

    workload: str
    primary: str
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def finish(self) -> list[Row]:
        """Fill in ratios and evaluate targets."""
        base = next((r for r in self.rows if r.contender == self.primary), None)
        for row in self.rows:
            if base is not None and base.median_ns and row.median_ns:
                row.ratio = base.median_ns / row.median_ns
            if row.result == "" and row.target:
                row.result = evaluate(row)
        return self.rows


def evaluate(row: Row) -> str:
    """PASS/FAIL for ``"ratio <= X"`` (hydrareg / this) and ``"<= X us"`` (this row's median)."""
    kind, _, number = row.target.partition("<=")
    limit = float(number.split()[0])
    if kind.strip() == "ratio":
        if row.ratio is None:
            return "SKIP"
        return "PASS" if row.ratio <= limit else "FAIL"
    if row.median_ns is None:
        return "SKIP"
    scale = {"ns": 1, "us": 1e3, "ms": 1e6}[number.split()[1]]
    return "PASS" if row.median_ns <= limit * scale else "FAIL"


# ============================================================================ timing


@dataclass
class Contender:
    """Something to time.

    ``run(n)`` performs ``n`` calls and returns the total nanoseconds; ``first()`` makes the untimed
    first call (the warm-up), and returns the peak memory if it traced one.
    """

    name: str
    run: Callable[[int], int]
    first: Callable[[], int | None]
    note: str = ""
    peak_bytes: int | None = None
    inner: int = 1
    rounds: int = 0
    samples: list[float] = field(default_factory=list)


def timed_loop(fn: Callable[[], Any]) -> Callable[[int], int]:
    """``run(n)`` for an in-process callable: n calls with the collector off, after a collection."""

    def run(n: int) -> int:
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter_ns()
            for _ in range(n):
                fn()
            return time.perf_counter_ns() - start
        finally:
            gc.enable()

    return run


def traced_call(fn: Callable[[], Any]) -> tuple[Any, int]:
    """Call ``fn`` once under tracemalloc: its result and the peak of Python allocations during it."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        _, top = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, top


def in_process(name: str, fn: Callable[[], Any], check: Callable[[Any], str] | None = None) -> Contender:
    """A contender calling ``fn`` here; its first call is traced (peak memory) and checked."""
    contender = Contender(name, timed_loop(fn), lambda: None)

    def first() -> int:
        result, top = traced_call(fn)
        if check is not None:
            contender.note = check(result)
        return top

    contender.first = first
    return contender


def micro(name: str, fn: Callable[[], Any]) -> Contender:
    """A contender for nanosecond-scale calls: no tracing, the first call is a plain warm-up."""
    return Contender(name, timed_loop(fn), lambda: fn() and None)


def round_robin(contenders: Sequence[Contender], settings: Settings) -> None:
    """First calls, batch sizes, then one sample of every contender per round, rotating the order.

    Objects alive before timing are frozen out of the collector (``gc.freeze``), so the collection
    before each sample costs little even in a process that imported torch.
    """
    gc.collect()
    gc.freeze()
    try:
        for contender in contenders:
            contender.peak_bytes = contender.first()
            one = max(contender.run(1), 1)
            contender.inner = max(1, settings.sample_ns // one)
            if contender.inner == 1:  # a slow contender: the calibration call is a sample too
                contender.samples.append(one)
            wanted = settings.budget_ns // (one * contender.inner)
            contender.rounds = max(settings.min_rounds, min(settings.rounds, wanted))
        for index in range(settings.rounds):
            for contender in rotated(contenders, index):
                if len(contender.samples) < contender.rounds:
                    contender.samples.append(contender.run(contender.inner) / contender.inner)
    finally:
        gc.unfreeze()  # what was frozen can be collected again once the workload drops it


def rotated(items: Sequence[Any], index: int) -> list[Any]:
    """``items`` starting at position ``index`` (mod len): who goes first changes every round."""
    start = index % len(items)
    return [*items[start:], *items[:start]]


def measured_row(workload: str, contender: Contender, **extra: Any) -> Row:
    """A row from a contender's samples."""
    extra.setdefault("note", contender.note)
    return Row(
        workload,
        contender.name,
        statistics.median(contender.samples),
        len(contender.samples),
        contender.peak_bytes,
        "py" if contender.peak_bytes is not None else "",
        **extra,
    )


@dataclass
class ProcessResult:
    """A finished process: wall time (ns), maximum resident set size (bytes), exit code, output."""

    ns: int
    maxrss: int
    returncode: int
    stdout: str
    stderr: str


LAUNCHER_SOURCE = """\
import json, os, subprocess, sys, tempfile, time
for line in sys.stdin:
    request = json.loads(line)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter_ns()
        proc = subprocess.Popen(
            request["cmd"], stdout=out, stderr=err, env=request["env"], cwd=request["cwd"]
        )
        _, status, usage = os.wait4(proc.pid, 0)
        ns = time.perf_counter_ns() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        reply = {"ns": ns, "maxrss": usage.ru_maxrss * 1024, "returncode": proc.returncode,
                 "stdout": out.read().decode(errors="replace"), "stderr": err.read().decode(errors="replace")}
    sys.stdout.write(json.dumps(reply) + "\\n")
    sys.stdout.flush()
"""


class Launcher:
    """A small process (``python -S``) that starts, times and reaps the measured processes.

    Linux charges a child's ``ru_maxrss`` with the memory of the process it was forked from (the
    high-water mark of the pre-exec image), so processes started from this one, which has imported
    torch via MMEngine by then, would all report this process's size. The launcher is started first
    and stays small (about 10 MB, less than ``python -c pass`` itself), so the maxima are the
    children's own.
    """

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-S", "-c", LAUNCHER_SOURCE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, cmd: Sequence[str], env: dict[str, str], cwd: Path) -> ProcessResult:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"cmd": list(cmd), "env": env, "cwd": str(cwd)}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the launcher process died")
        return ProcessResult(**json.loads(line))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


_launcher: Launcher | None = None


def run_process(cmd: Sequence[str], env: dict[str, str], cwd: Path) -> ProcessResult:
    """Run ``cmd`` to completion: wall time, the child's own max RSS, exit code and output."""
    global _launcher
    if _launcher is None:
        _launcher = Launcher()
    return _launcher.run(cmd, env, cwd)


def checked(result: ProcessResult, what: str) -> ProcessResult:
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return result


# ============================================================================ environment


@functools.cache
def compile_project_sources() -> None:
    """Write the project's ``.pyc`` files, as a regular ``pip install`` does for every package.

    An editable install leaves compiling to the first import, and where ``PYTHONDONTWRITEBYTECODE``
    is set (as on these machines) that never happens: every process would compile hydrareg's
    sources again while Hydra's come precompiled, which is not what an installed hydrareg costs.
    """
    import compileall

    for name in ("hydrareg", "hydrareg_zoo", "hydra_plugins"):
        compileall.compile_dir(str(REPO / name), quiet=1)


def mmengine_available() -> bool:
    """Whether the MMEngine anchors can run (its registry and Config import)."""
    try:
        import mmengine.config
        import mmengine.registry  # noqa: F401
    except ImportError:
        return False
    return True


def hide_hydrareg_plugin() -> None:
    """Hide ``hydra_plugins/hydrareg_plugin`` from Hydra's plugin scan in this process (plain Hydra)."""
    try:
        import hydra_plugins
    except ImportError:
        return
    hydra_plugins.__path__ = [  # type: ignore[assignment]
        entry
        for entry in hydra_plugins.__path__
        if os.path.isdir(entry) and not os.path.isdir(os.path.join(entry, "hydrareg_plugin"))
    ]


HIDE_PLUGIN_SOURCE = """\
import os
try:
    import hydra_plugins
    hydra_plugins.__path__ = [p for p in hydra_plugins.__path__
                              if os.path.isdir(p) and not os.path.isdir(os.path.join(p, "hydrareg_plugin"))]
except ImportError:
    pass
"""


def machine_info() -> dict[str, Any]:
    """CPU count, Python, the versions of the packages involved, the date and hydrareg's commit."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for dist in ("hydrareg", "hydra-core", "omegaconf", "mmengine", "torch"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = "not installed"
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit += "+dirty" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "commit": commit,
    }


# ============================================================================ generated packages


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# ============================================================================ W1: building trees

PARAMS = 8
# (class name, scope) of the top node and its three components; then what each kind's children are.
TOP = ("RetinaNet", "det")
COMPONENTS = [("ResNet", "cls"), ("FPN", "det"), ("RetinaHead", "det")]
CHILD_KINDS: dict[str, list[tuple[str, str]]] = {
    "RetinaNet": COMPONENTS,
    "ResNet": [("ResLayer", "cls")],
    "FPN": [("FPNLevel", "det")],
    "RetinaHead": [("HeadBranch", "det")],
    "ResLayer": [("Bottleneck", "cls"), ("ConvModule", "root")],
    "FPNLevel": [("ConvModule", "root")],
    "HeadBranch": [("ConvModule", "root"), ("Scale", "det")],
}
KINDS = sorted({TOP, *(kind for kinds in CHILD_KINDS.values() for kind in kinds)})


@dataclass
class Spec:
    """One node of the abstract tree: its class, its 4-8 scalar arguments, its children."""

    kind: str
    scope: str
    params: dict[str, Any]
    children: list[Spec]


def scalar(index: int, slot: int) -> Any:
    """A deterministic scalar of a rotating type (int, float, str, bool)."""
    value = (index * 7 + slot * 13) % 97
    return (value, value / 8, f"s{value}", value % 2 == 0)[slot % 4]


def tree_spec(size: int) -> Spec:
    """A 4-level RetinaNet-shaped tree of exactly ``size`` nodes (size >= 100)."""
    counter = iter(range(size))

    def node(kind: tuple[str, str], children: list[Spec]) -> Spec:
        index = next(counter)
        params = {f"p{slot}": scalar(index, slot) for slot in range(4 + index % 5)}
        return Spec(kind[0], kind[1], params, children)

    per_component = max(2, round(size**0.5 / 4))
    middles = len(COMPONENTS) * per_component
    leaves = size - 1 - len(COMPONENTS) - middles
    top = node(TOP, [])
    for component in COMPONENTS:
        comp = node(component, [])
        top.children.append(comp)
        for _ in range(per_component):
            (middle_kind,) = CHILD_KINDS[component[0]]
            middle = node(middle_kind, [])
            comp.children.append(middle)
    all_middles = [middle for comp in top.children for middle in comp.children]
    for leaf_index in range(leaves):
        middle = all_middles[leaf_index % middles]
        kinds = CHILD_KINDS[middle.kind]
        middle.children.append(node(kinds[len(middle.children) % len(kinds)], []))
    return top


def count(spec: Spec) -> int:
    return 1 + sum(count(child) for child in spec.children)


def registry_cfg(spec: Spec, top: bool = True) -> dict[str, Any]:
    """MMEngine-style config: ``type`` (``hrb_cls.Name`` for the sibling scope), ``_scope_`` on top."""
    cfg: dict[str, Any] = {"type": f"hrb_cls.{spec.kind}" if spec.scope == "cls" else spec.kind}
    if top:
        cfg["_scope_"] = "hrb_det"
    cfg.update(spec.params)
    if spec.children:
        cfg["children"] = [registry_cfg(child, False) for child in spec.children]
    return cfg


def target_cfg(spec: Spec) -> dict[str, Any]:
    """Hydra-style config of the same tree: ``_target_`` nodes."""
    cfg: dict[str, Any] = {"_target_": f"hrb_targets.{spec.kind}", **spec.params}
    if spec.children:
        cfg["children"] = [target_cfg(child) for child in spec.children]
    return cfg


def floor_source(spec: Spec) -> str:
    """Python source of the hand-written build: nested constructor calls with literal arguments."""
    args = [f"{name}={value!r}" for name, value in spec.params.items()]
    if spec.children:
        args.append("children=[" + ", ".join(floor_source(child) for child in spec.children) + "]")
    return f"{spec.kind}({', '.join(args)})"


def make_node_class(name: str, build: Callable[[Any], Any] | None) -> type:
    """A Node class with an explicit signature ``(p0..p7, children)`` that stores everything.

    With ``build`` (MMEngine semantics) the children arrive as configs and are built with it;
    without, they arrive built (Hydra, the floor).
    """
    params = ", ".join(f"p{slot}=None" for slot in range(PARAMS))
    stores = "".join(f"    self.p{slot} = p{slot}\n" for slot in range(PARAMS))
    children = "[_build(c) for c in children]" if build is not None else "list(children)"
    source = f"def __init__(self, {params}, children=()):\n{stores}    self.children = {children}\n"
    namespace: dict[str, Any] = {"_build": build}
    exec(source, namespace)
    return type(
        name,
        (),
        {"__init__": namespace["__init__"], "__slots__": (*[f"p{s}" for s in range(PARAMS)], "children")},
    )


def canonical(obj: Any) -> tuple[Any, ...]:
    """What a built node is, independent of the contender: class name, arguments, children."""
    values = tuple(getattr(obj, f"p{slot}") for slot in range(PARAMS))
    return (type(obj).__name__, values, tuple(canonical(child) for child in obj.children))


def canonical_spec(spec: Spec) -> tuple[Any, ...]:
    values = tuple(spec.params.get(f"p{slot}") for slot in range(PARAMS))
    return (spec.kind, values, tuple(canonical_spec(child) for child in spec.children))


@dataclass
class W1Classes:
    """The contenders' class sets and registries (created once per process)."""

    hr_root: Any
    mm_root: Any
    floor: dict[str, type]


def setup_w1_classes() -> W1Classes:
    """Register a class per kind in hydrareg's (and MMEngine's) trees; make Hydra's and the floor's."""
    import hrb_cls.registry as cls_registry
    import hrb_det.registry as det_registry
    import hrb_root
    import hrb_targets

    hr_nodes = {"root": hrb_root.HR_ROOT, "det": det_registry.HR, "cls": cls_registry.HR}
    mm_nodes = {"root": hrb_root.MM_ROOT, "det": det_registry.MM, "cls": cls_registry.MM}
    floor = {}
    for name, scope in KINDS:
        hr_registry = hr_nodes[scope]
        hr_registry.register_module(module=make_node_class(name, hr_registry.build))
        mm_registry = mm_nodes[scope]
        if mm_registry is not None:
            mm_registry.register_module(module=make_node_class(name, mm_registry.build))
        target = make_node_class(name, None)
        target.__module__ = "hrb_targets"
        setattr(hrb_targets, name, target)
        floor[name] = make_node_class(name, None)
    return W1Classes(hrb_root.HR_ROOT, hrb_root.MM_ROOT, floor)


def warm_up_w1(classes: W1Classes) -> None:
    """Build a small tree with every contender once, so first-use imports are not charged to W1.

    (MMEngine's first ``get`` creates its logger, which imports torch through ``mmengine.dist``.)
    """
    import hydra.utils
    from omegaconf import OmegaConf

    import hydrareg

    spec = tree_spec(100)
    hydrareg.instantiate(registry_cfg(spec), registry=classes.hr_root)
    hydrareg.instantiate(OmegaConf.create(registry_cfg(spec)), registry=classes.hr_root)
    hydra.utils.instantiate(OmegaConf.create(target_cfg(spec)))
    if classes.mm_root is not None:
        classes.mm_root.build(registry_cfg(spec))


def w1_build(size: int, classes: W1Classes, settings: Settings) -> list[Group]:
    """W1 for one tree size: from plain dicts, and from a DictConfig."""
    import hydra.utils
    from omegaconf import OmegaConf

    import hydrareg

    spec = tree_spec(size)
    expected = canonical_spec(spec)
    label = f"{size // 1000}k" if size % 1000 == 0 else str(size)
    plain = registry_cfg(spec)
    dictconfig = OmegaConf.create(plain)
    floor_fn = eval(compile(f"lambda: {floor_source(spec)}", "<floor>", "eval"), dict(classes.floor))
    hr_root, mm_root = classes.hr_root, classes.mm_root

    def same_tree(built: Any) -> str:
        return "" if canonical(built) == expected else "BUILT TREE DIFFERS"

    def hydrareg_tree(built: Any) -> str:
        return same_tree(built) or f"{size} objects; every tree compared"

    from_dicts = [
        in_process(
            "hydrareg instantiate", lambda: hydrareg.instantiate(plain, registry=hr_root), hydrareg_tree
        ),
        in_process("hydrareg Registry.build", lambda: hr_root.build(plain), same_tree),
        in_process("floor (hand-written calls)", floor_fn, same_tree),
    ]
    if mm_root is not None:
        from_dicts.append(in_process("mmengine Registry.build", lambda: mm_root.build(plain), same_tree))
    from_config = [
        in_process(
            "hydrareg instantiate", lambda: hydrareg.instantiate(dictconfig, registry=hr_root), hydrareg_tree
        ),
        in_process("OmegaConf.to_container", lambda: OmegaConf.to_container(dictconfig, resolve=True)),
    ]
    targets = OmegaConf.create(target_cfg(spec))
    from_config.append(
        in_process("hydra instantiate (_target_)", lambda: hydra.utils.instantiate(targets), same_tree)
    )
    # The same _target_ tree through both instantiates: hydrareg must be no slower than Hydra.
    from_targets = [
        in_process("hydrareg instantiate (_target_)", lambda: hydrareg.instantiate(targets), same_tree),
        in_process("hydra instantiate (_target_)", lambda: hydra.utils.instantiate(targets), same_tree),
    ]
    groups = []
    kinds = (
        ("dict", from_dicts, "hydrareg instantiate"),
        ("DictConfig", from_config, "hydrareg instantiate"),
    )
    for kind, contenders, primary in (*kinds, ("_target_", from_targets, "hydrareg instantiate (_target_)")):
        group = Group(f"W1 {kind} {label}", primary)
        round_robin(contenders, settings)
        for contender in contenders:
            target = {"floor (hand-written calls)": "ratio <= 4", "OmegaConf.to_container": "ratio <= 1.5"}
            if kind == "_target_" and contender.name != primary:
                target[contender.name] = "ratio <= 1"
            group.add(measured_row(group.workload, contender, target=target.get(contender.name, "")))
        if mm_root is None and kind == "dict":
            group.add(skipped_row(group.workload, "mmengine Registry.build"))
        groups.append(group)
    return groups


def skipped_row(workload: str, contender: str) -> Row:
    return Row(workload, contender, result="SKIP", note="mmengine not installed (pip install -e '.[bench]')")


# ============================================================================ W2: get


LOOKUPS = {
    "own": "RetinaNet",
    "parent": "ConvModule",
    "sibling": "hrb_cls.ResLayer",
    "miss": "NoSuchModule",
}
W2_TARGETS = {"own": "<= 0.5 us", "parent": "<= 0.5 us", "sibling": "<= 1 us", "miss": ""}
UNROLL = 20


def batch_of_calls(get: Callable[[str], Any], key: str) -> Callable[[], Any]:
    """A function calling ``get(key)`` UNROLL times (locals only), to amortise loop overhead."""
    body = "".join("    get(key)\n" for _ in range(UNROLL))
    namespace: dict[str, Any] = {}
    exec(f"def batch(get=get, key=key):\n{body}", {"get": get, "key": key}, namespace)
    return namespace["batch"]


def w2_get(classes: W1Classes, settings: Settings) -> list[Group]:
    """W2: one lookup of each kind from the hrb_det registry, per contender."""
    import hrb_det.registry as det_registry

    registries = {"hydrareg": det_registry.HR, "mmengine": det_registry.MM}
    hr = det_registry.HR
    floor = {**hr.root.module_dict, **hr.root.children["hrb_cls"].module_dict, **hr.module_dict}
    groups = []
    for kind, key in LOOKUPS.items():
        workload = f"W2 get {kind}"
        expected = registries["hydrareg"].get(key)
        fns = {"hydrareg": batch_of_calls(registries["hydrareg"].get, key)}
        notes = {"hydrareg": f"get({key!r})"}
        if registries["mmengine"] is not None:
            found = registries["mmengine"].get(key)
            fns["mmengine"] = batch_of_calls(registries["mmengine"].get, key)
            if (found is None) != (expected is None) or (
                found is not None and found.__name__ != expected.__name__
            ):
                notes["mmengine"] = f"DIFFERS: {found!r}"
        fns["floor (dict.get)"] = batch_of_calls(floor.get, key.rpartition(".")[2])
        contenders = [micro(name, fn) for name, fn in fns.items()]
        round_robin(contenders, settings)
        group = Group(workload, "hydrareg")
        for contender in contenders:
            contender.samples = [sample / UNROLL for sample in contender.samples]
            target = W2_TARGETS[kind] if contender.name == "hydrareg" else ""
            group.add(measured_row(workload, contender, target=target, note=notes.get(contender.name, "")))
        if registries["mmengine"] is None:
            group.add(skipped_row(workload, "mmengine"))
        groups.append(group)
    return groups


# ============================================================================ the config trees on disk

BARE_APP = f'''\
"""A bare @hydra.main app (the W4/W5 anchor): hydrareg's Hydra plugin hidden, the function does nothing."""
{HIDE_PLUGIN_SOURCE}
import hydra


@hydra.main(config_path=None, config_name=None, version_base="1.3")
def main(cfg):
    return None


if __name__ == "__main__":
    main()
'''


@dataclass(frozen=True)
class Workspace:
    """The generated files: packages (on PYTHONPATH), the Hydra tree, the MMEngine tree, the bare app."""

    root: Path

    @property
    def packages(self) -> Path:
        return self.root / "packages"

    @property
    def conf(self) -> Path:
        return self.root / "conf"

    @property
    def mm_conf(self) -> Path:
        return self.root / "mmconfigs"

    @property
    def bare_app(self) -> Path:
        return self.root / "bare_app.py"

    def env(self) -> dict[str, str]:
        """The environment of every subprocess: the generated packages importable, nothing else changed."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.packages), env.get("PYTHONPATH")]))
        return env


def make_workspace(root: Path) -> Workspace:
    workspace = Workspace(root)
    write_files(workspace.packages, PACKAGES)
    write_files(workspace.conf, HYDRA_TREE)
    write_files(workspace.mm_conf, MMENGINE_TREE)
    workspace.bare_app.write_text(BARE_APP)
    return workspace


def leaves(value: Any) -> int:
    if isinstance(value, dict):
        return sum(leaves(item) for item in value.values())
    if isinstance(value, list):
        return sum(leaves(item) for item in value)
    return 1


# ============================================================================ W3: compose (workers)


class ComposeWorker:
    """A worker process composing one way: ``hydrareg``, ``hydra`` (plugin hidden) or ``mmengine``."""

    def __init__(self, kind: str, workspace: Workspace) -> None:
        self.kind = kind
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                kind,
                "--workspace",
                str(workspace.root),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=workspace.env(),
            cwd=workspace.root,
            text=True,
        )

    def ask(self, **request: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self._stderr.seek(0)
            raise RuntimeError(
                f"{self.kind} worker died:\n{self._stderr.read().decode(errors='replace')[-4000:]}"
            )
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.kind} worker: {reply['error']}")
        return reply

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ask(op="quit")
        self.proc.wait(timeout=30)
        self._stderr.close()


def worker_main(kind: str, workspace: Workspace) -> None:
    """The worker loop: set up once, then answer ``time``/``peak``/``check``/``first`` requests."""
    compose = worker_compose(kind, workspace)
    gc.collect()
    gc.freeze()
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        try:
            if op == "quit":
                reply: dict[str, Any] = {}
            elif op == "time":
                reply = {"ns": timed_loop(compose)(request["n"])}
            elif op == "peak":
                reply = {"bytes": traced_call(compose)[1]}
            elif op == "check":
                reply = worker_check(kind, compose())
            else:
                reply = {"error": f"unknown op {op}"}
        except Exception as exc:
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
        if op == "quit":
            return


def worker_compose(kind: str, workspace: Workspace) -> Callable[[], Any]:
    """Imports and set-up for one kind of worker; returns the compose call to time."""
    if kind == "mmengine":
        from mmengine.config import Config

        path = str(workspace.mm_conf / "exp.py")

        def load() -> Any:
            cfg = Config.fromfile(path)
            cfg.merge_from_dict(MMENGINE_OVERRIDES)
            return cfg

        return load
    if kind == "hydra":
        hide_hydrareg_plugin()
    else:
        import hydrareg  # noqa: F401  (the composition hook arrives with Hydra's plugin scan)
    from hydra import compose, initialize_config_dir

    initialize_config_dir(config_dir=str(workspace.conf), version_base="1.3").__enter__()
    return lambda: compose(config_name="exp", overrides=COMPOSE_OVERRIDES)


def worker_check(kind: str, cfg: Any) -> dict[str, Any]:
    """What the worker composed (resolved, as plain data) and what it has imported."""
    if kind == "mmengine":
        data = cfg.to_dict()
        hook = None
    else:
        from omegaconf import OmegaConf

        data = OmegaConf.to_container(cfg, resolve=True)
        installed = getattr(sys.modules.get("hydrareg.hydra"), "composition_hook_installed", None)
        hook = bool(installed and installed())
    return {
        "config": json.loads(json.dumps(data, default=repr)),
        "hydrareg_imported": "hydrareg" in sys.modules,
        "hook": hook,
    }


def first_call_main(kind: str, workspace: Workspace) -> None:
    """A fresh process: imports first (not timed), then the first compose, timed, printed as JSON."""
    if kind == "mmengine":
        from mmengine.config import Config

        start = time.perf_counter_ns()
        cfg = Config.fromfile(str(workspace.mm_conf / "exp.py"))
        cfg.merge_from_dict(MMENGINE_OVERRIDES)
    else:
        if kind == "hydra":
            hide_hydrareg_plugin()
        else:
            import hydrareg  # noqa: F401
        import hydra  # noqa: F401
        from hydra import compose, initialize_config_dir

        start = time.perf_counter_ns()
        with initialize_config_dir(config_dir=str(workspace.conf), version_base="1.3"):
            compose(config_name="exp", overrides=COMPOSE_OVERRIDES)
    print(json.dumps({"ns": time.perf_counter_ns() - start}))


def w3_compose(workspace: Workspace, settings: Settings, have_mmengine: bool) -> list[Group]:
    """W3: repeated compose in long-lived workers, round-robin; then first calls in fresh processes."""
    kinds = {"hydrareg compose": "hydrareg", "hydra compose (no plugin)": "hydra"}
    if have_mmengine:
        kinds["mmengine Config.fromfile"] = "mmengine"
    workers = {name: ComposeWorker(kind, workspace) for name, kind in kinds.items()}
    try:
        checks = {name: worker.ask(op="check") for name, worker in workers.items()}
        notes = compose_notes(checks)
        contenders = [
            Contender(
                name,
                lambda n, w=worker: int(w.ask(op="time", n=n)["ns"]),
                lambda w=worker: int(w.ask(op="peak")["bytes"]),
                note=notes.get(name, ""),
            )
            for name, worker in workers.items()
        ]
        round_robin(contenders, settings)
        repeated = Group("W3 compose repeated", "hydrareg compose")
        for contender in contenders:
            target = "ratio <= 0.25" if contender.name.startswith("hydra compose") else ""
            repeated.add(measured_row(repeated.workload, contender, target=target))
    finally:
        for worker in workers.values():
            worker.close()
    if not have_mmengine:
        repeated.add(skipped_row(repeated.workload, "mmengine Config.fromfile"))
    first = Group("W3 compose first call", "hydrareg compose")
    samples: dict[str, list[tuple[int, int]]] = {name: [] for name in kinds}
    for rep in range(settings.process_reps):
        for name in rotated(list(kinds), rep):
            cmd = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--first-call",
                kinds[name],
                "--workspace",
                str(workspace.root),
            ]
            result = checked(run_process(cmd, workspace.env(), workspace.root), f"first call {name}")
            samples[name].append(
                (int(json.loads(result.stdout.strip().splitlines()[-1])["ns"]), result.maxrss)
            )
    for name, values in samples.items():
        first.add(
            Row(
                first.workload,
                name,
                statistics.median(ns for ns, _ in values),
                len(values),
                max(rss for _, rss in values),
                "rss",
                note="imports not timed",
            )
        )
    if not have_mmengine:
        first.add(skipped_row(first.workload, "mmengine Config.fromfile"))
    return [repeated, first]


def compose_notes(checks: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Check the workers: hydrareg's hook active, plain Hydra untouched, hydrareg == MMEngine output."""
    notes = {}
    hr = checks["hydrareg compose"]
    hr_config = hr["config"]
    hr_note = f"{leaves(hr_config)} leaves"
    if not hr["hook"]:
        hr_note += "; HOOK NOT INSTALLED"
    notes["hydrareg compose"] = hr_note
    plain = checks["hydra compose (no plugin)"]
    if plain["hydrareg_imported"]:
        notes["hydra compose (no plugin)"] = "HYDRAREG WAS IMPORTED: not plain Hydra"
    elif "_delete_" in json.dumps(plain["config"]):
        notes["hydra compose (no plugin)"] = "plugin hidden (keeps _delete_, as expected)"
    mm = checks.get("mmengine Config.fromfile")
    if mm is not None:
        same = mm["config"] == hr_config
        notes["mmengine Config.fromfile"] = (
            "same config as hydrareg" if same else "CONFIG DIFFERS FROM HYDRAREG"
        )
    return notes


# ============================================================================ W4: whole processes


def app_commands(workspace: Workspace) -> dict[str, list[str]]:
    """The W4 command lines; both apps get the same tree and arguments."""
    args = ["--config-path", str(workspace.conf), "--config-name", "exp", "--cfg", "job"]
    return {
        "hydrareg run.py --cfg job": [sys.executable, str(RUN_PY), *args],
        "bare @hydra.main --cfg job": [sys.executable, str(workspace.bare_app), *args],
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import hydrareg'": [sys.executable, "-c", "import hydrareg"],
    }


def w4_process(workspace: Workspace, settings: Settings) -> list[Group]:
    """W4: whole processes, round-robin, medians of wall time; and the import checks."""
    commands = app_commands(workspace)
    env = workspace.env()
    for name, cmd in commands.items():  # warm-up (bytecode caches, page cache)
        checked(run_process(cmd, env, workspace.root), name)
    results: dict[str, list[ProcessResult]] = {name: [] for name in commands}
    names = list(commands)
    for rep in range(settings.process_reps):
        for name in rotated(names, rep):
            results[name].append(checked(run_process(commands[name], env, workspace.root), name))
    group = Group("W4 process", "hydrareg run.py --cfg job")
    for name, runs in results.items():
        target = "ratio <= 1.05" if name.startswith("bare") else ""
        group.add(
            Row(
                group.workload,
                name,
                statistics.median(run.ns for run in runs),
                len(runs),
                max(run.maxrss for run in runs),
                "rss",
                target=target,
            )
        )
    group.rows.extend(import_checks(workspace))
    return [group]


def import_checks(workspace: Workspace) -> list[Row]:
    """``import hydrareg`` and ``run.py --cfg job`` must not import torch, numpy or mmengine."""
    probe = f"import sys, hydrareg; print(' '.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    result = checked(
        run_process([sys.executable, "-c", probe], workspace.env(), workspace.root), "import probe"
    )
    heavy = result.stdout.split()
    rows = [check_row("W4 imports", "import hydrareg", heavy)]
    cmd = [sys.executable, "-X", "importtime", *app_commands(workspace)["hydrareg run.py --cfg job"][1:]]
    result = checked(run_process(cmd, workspace.env(), workspace.root), "run.py -X importtime")
    imported = {
        line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    }
    rows.append(check_row("W4 imports", "run.py --cfg job", [m for m in HEAVY_MODULES if m in imported]))
    return rows


def check_row(workload: str, contender: str, heavy: list[str]) -> Row:
    return Row(
        workload,
        contender,
        value="imports " + ", ".join(heavy) if heavy else "no torch/numpy/mmengine",
        target="none of " + "/".join(HEAVY_MODULES),
        result="FAIL" if heavy else "PASS",
    )


# ============================================================================ W5: multirun


def sweep_commands(workspace: Workspace, jobs: int, out: Path) -> dict[str, list[str]]:
    """``-m seed=0..jobs-1`` for both apps; run.py with its no-op task and hydrareg's callback."""
    seeds = ",".join(str(seed) for seed in range(jobs))
    common = [
        "--config-path",
        str(workspace.conf),
        "--config-name",
        "exp",
        "-m",
        f"seed={seeds}",
        "hydra/launcher=basic",
    ]
    hydrareg_only = [
        "+task={type:bench_noop}",
        "+custom_imports=${custom_imports:hrb_tasks}",
        "+hydra.callbacks.hydrareg._target_=hydrareg.callbacks.HydraregCallback",
    ]
    return {
        "hydrareg run.py -m": [
            sys.executable,
            str(RUN_PY),
            *common,
            f"hydra.sweep.dir={out}/hydrareg-{jobs}",
            *hydrareg_only,
        ],
        "bare @hydra.main -m": [
            sys.executable,
            str(workspace.bare_app),
            *common,
            f"hydra.sweep.dir={out}/bare-{jobs}",
        ],
    }


def w5_multirun(workspace: Workspace, settings: Settings) -> list[Group]:
    """W5: per-job overhead (T8 - T1) / 7 per app, from round-robin repetitions."""
    env = workspace.env()
    names = ["hydrareg run.py -m", "bare @hydra.main -m"]
    per_job: dict[str, list[float]] = {name: [] for name in names}
    totals: dict[str, list[ProcessResult]] = {name: [] for name in names}
    for name in names:  # warm-up: bytecode and page caches
        checked(
            run_process(sweep_commands(workspace, 1, workspace.root / "warm-up")[name], env, workspace.root),
            name,
        )
    for rep in range(settings.sweep_reps):
        for name in rotated(names, rep):
            out = workspace.root / "multirun" / str(rep)
            one = checked(run_process(sweep_commands(workspace, 1, out)[name], env, workspace.root), name)
            eight = checked(run_process(sweep_commands(workspace, 8, out)[name], env, workspace.root), name)
            per_job[name].append((eight.ns - one.ns) / 7)
            totals[name].append(eight)
            shutil.rmtree(out, ignore_errors=True)
    group = Group("W5 -m per job", "hydrareg run.py -m")
    total = Group("W5 -m 8 jobs total", "hydrareg run.py -m")
    for name in names:
        target = "ratio <= 0.25" if name.startswith("bare") else ""
        rss = max(run.maxrss for run in totals[name])
        group.add(
            Row(
                group.workload,
                name,
                statistics.median(per_job[name]),
                len(per_job[name]),
                rss,
                "rss",
                target=target,
                note="(T8-T1)/7",
            )
        )
        total.add(
            Row(
                total.workload,
                name,
                statistics.median(run.ns for run in totals[name]),
                len(totals[name]),
                rss,
                "rss",
            )
        )
    return [group, total]


# ============================================================================ report


def fmt_time(ns: float | None) -> str:
    if ns is None:
        return "n/a"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}" if ns / scale < 100 else f"{ns / scale:.0f} {unit}"
    return f"{ns:.3g} ns"


def fmt_bytes(count: int | None, kind: str) -> str:
    if count is None:
        return ""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit} {kind}"
    return f"{count} B {kind}"


def table(rows: Sequence[Row], width: int | None = None) -> str:
    """The rows as a text table; notes go below it as numbered footnotes, wrapped to ``width``."""
    width = width or min(shutil.get_terminal_size((110, 24)).columns, 110)
    header = ["workload", "contender", "median", "n", "peak mem", "hydrareg/this", "target", "result", "*"]
    lines, notes = [header], {}  # note -> its number (a repeated note keeps its first number)
    for row in rows:
        if row.note:
            notes.setdefault(row.note, len(notes) + 1)
        lines.append(
            [
                row.workload,
                row.contender,
                row.value or fmt_time(row.median_ns),
                str(row.samples or ""),
                fmt_bytes(row.peak_bytes, row.peak_kind),
                "" if row.ratio is None else f"{row.ratio:.2f}x",
                row.target,
                row.result,
                f"[{notes[row.note]}]" if row.note else "",
            ]
        )
    widths = [max(len(line[col]) for line in lines) for col in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    for note, number in notes.items():
        out += textwrap.wrap(note, width, initial_indent=f"[{number}] ", subsequent_indent="    ")
    return "\n".join(out)


def header_text(info: dict[str, Any]) -> str:
    versions = ", ".join(f"{name} {value}" for name, value in info["versions"].items())
    return (
        f"hydrareg bench, {info['date']}\n"
        f"machine: {info['cpu_count']} CPUs ({info['cpus_usable']} usable), {info['cpu']}, "
        f"{info['platform']}\n"
        f"python {info['python']}; {versions}; hydrareg commit {info['commit']}"
    )


# ============================================================================ main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (about a minute)")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads, e.g. W1,W3")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the generated workspace")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--first-call", help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    only = {name.strip().upper() for name in args.only.split(",") if name.strip()}
    unknown = only - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; choose from {', '.join(WORKLOADS)}")
    args.only = [name for name in WORKLOADS if name in only]
    return args


@contextlib.contextmanager
def workspace_dir(keep: bool) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="hydrareg-bench-"))
    try:
        yield root
    finally:
        if keep:
            print(f"workspace kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def run_benchmarks(args: argparse.Namespace, workspace: Workspace) -> list[Row]:
    """Run the chosen workloads in order; returns all rows."""
    settings = Settings.make(args.quick)
    have_mmengine = mmengine_available()
    sys.path.insert(0, str(workspace.packages))
    groups: list[Group] = []
    classes = setup_w1_classes() if {"W1", "W2"} & set(args.only) else None
    if classes is not None:
        warm_up_w1(classes)
    for name in args.only:
        started = time.perf_counter()
        if name == "W1":
            assert classes is not None
            for size in settings.sizes:
                groups.extend(w1_build(size, classes, settings))
        elif name == "W2":
            assert classes is not None
            groups.extend(w2_get(classes, settings))
        elif name == "W3":
            groups.extend(w3_compose(workspace, settings, have_mmengine))
        elif name == "W4":
            groups.extend(w4_process(workspace, settings))
        elif name == "W5":
            groups.extend(w5_multirun(workspace, settings))
        print(f"  {name} done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return [row for group in groups for row in group.finish()]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker_main(args.worker, Workspace(args.workspace))
        return 0
    if args.first_call:
        first_call_main(args.first_call, Workspace(args.workspace))
        return 0
    started = time.perf_counter()
    compile_project_sources()
    global _launcher
    _launcher = Launcher()  # before anything heavy is imported here (see Launcher)
    info = machine_info()
    print(header_text(info), flush=True)
    if not mmengine_available():
        print("note: mmengine is not installed; its anchors are skipped (pip install -e '.[bench]')")
    with workspace_dir(args.keep) as root:
        workspace = make_workspace(root)
        try:
            rows = run_benchmarks(args, workspace)
        finally:
            _launcher.close()
    elapsed = time.perf_counter() - started
    print()
    print(table(rows))
    print(f"\n{len(rows)} rows in {elapsed:.0f} s; ratio = hydrareg's median / this row's median")
    if args.json:
        payload = {
            "machine": info,
            "quick": args.quick,
            "seconds": round(elapsed, 1),
            "rows": [asdict(r) for r in rows],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
