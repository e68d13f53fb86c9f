"""The ``summary`` task: build the model through the registry, run a forward pass, describe it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from hydrareg import instantiate
from hydrareg.registry import MODELS, Registry

from .registry import TASKS

log = logging.getLogger(__name__)


@TASKS.register_module(name="summary")
def summary(
    cfg: DictConfig,
    output_dir: Path,
    input_shape: Sequence[int] = (2, 3, 64, 64),
    max_depth: int = 2,
    seed: int = 0,
) -> dict[str, Any]:
    """Print the module tree (registry scope and type per node), parameter count and output shapes."""
    import torch

    torch.manual_seed(seed)
    model = instantiate(cfg.model, registry=MODELS)
    if hasattr(model, "init_weights"):  # as MMEngine's runner does: init_cfg (Pretrained, ...) applies
        model.init_weights()
    model.eval()
    with torch.no_grad():
        outputs = model(torch.randn(*input_shape))
    names = registered_names(MODELS)
    shapes = tensor_shapes(outputs)
    params = sum(p.numel() for p in model.parameters())
    text = "\n".join(
        [
            render_tree(model, names, max_depth),
            "",
            f"parameters: {params:,}",
            f"input:      {list(input_shape)}",
            "outputs:    " + "\n            ".join(str(shape) for shape in _flat(shapes)),
        ]
    )
    log.info("%s\n%s", type(model).__name__, text)
    (Path(output_dir) / "summary.txt").write_text(text + "\n")
    return {
        "model": names.get(type(model), type(model).__qualname__),
        "params": params,
        "input_shape": list(input_shape),
        "output_shapes": shapes,
    }


def registered_names(registry: Registry) -> dict[type, str]:
    """Class -> ``scope.Name`` over the whole tree: a library's name wins over the root's, and a
    class's own name over an alias (``LayerNorm2d`` rather than ``LN2d``)."""
    best: dict[type, tuple[tuple[int, bool], str]] = {}

    def visit(node: Registry, depth: int) -> None:
        for name, obj in node.module_dict.items():
            if isinstance(obj, type):
                rank = (depth, name == obj.__name__)
                if obj not in best or rank > best[obj][0]:
                    best[obj] = (rank, f"{node.scope}.{name}")
        for child in node.children.values():
            visit(child, depth + 1)

    visit(registry.root, 0)
    return {obj: name for obj, (_, name) in best.items()}


def render_tree(module: Any, names: dict[type, str], max_depth: int) -> str:
    """One line per module down to ``max_depth``: attribute, class, registry name, parameters."""
    rows: list[tuple[str, str, str]] = []

    def visit(node: Any, label: str, prefix: str, depth: int) -> None:
        params = sum(p.numel() for p in node.parameters())
        registered = names.get(type(node), "(not registered)")
        rows.append((f"{prefix}{label}{type(node).__name__}", registered, f"{params:,}"))
        children = list(node.named_children())
        if depth >= max_depth:
            return
        for index, (name, child) in enumerate(children):
            last = index == len(children) - 1
            branch = prefix.replace("├─ ", "│  ").replace("└─ ", "   ")
            visit(child, f"{name}: ", branch + ("└─ " if last else "├─ "), depth + 1)

    visit(module, "", "", 0)
    width = max(len(row[0]) for row in rows)
    reg_width = max(len(row[1]) for row in rows)
    header = f"{'module':<{width}}  {'registered as':<{reg_width}}  params"
    return "\n".join([header, *(f"{a:<{width}}  {b:<{reg_width}}  {c:>12}" for a, b, c in rows)])


def tensor_shapes(value: Any) -> Any:
    """The same nesting as ``value`` with each tensor replaced by its shape as a list."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return list(value.shape)
    if isinstance(value, dict):
        return {key: tensor_shapes(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [tensor_shapes(item) for item in value]
    return repr(value)


def _flat(shapes: Any) -> list[Any]:
    if isinstance(shapes, list) and shapes and all(isinstance(x, int) for x in shapes):
        return [shapes]
    if isinstance(shapes, dict):
        return [f"{key}: {value}" for key, value in shapes.items()]
    if isinstance(shapes, list):
        return [item for value in shapes for item in _flat(value)]
    return [shapes]
