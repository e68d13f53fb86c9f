"""Which configs an app composes, and which registry builds each top-level key.

``hydrareg check run.py ...`` reads ``@hydra.main(config_path=..., config_name=...)`` from the app's
source (it is parsed, never run) and its ``HYDRAREG_BUILDS`` constant, a literal such as
``{"task": {"registry": "pkg.registry:TASKS", "runtime_args": ["cfg"], "imports": ["pkg.hooks"]}}``:
what the app builds beyond MMEngine's conventions (see :mod:`hydrareg.commands.routing`), the
arguments it passes itself, and the modules it imports before building (they register classes).
``--config-dir``, ``--config-name``, ``--registry``, ``--runtime-args`` and ``--import`` say the
same on the command line.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigValueError

BUILDS_CONSTANT = "HYDRAREG_BUILDS"


@dataclass(frozen=True)
class BuildSpec:
    """A top-level config key built by the app: the registry (``module:ATTR``) and injected args."""

    registry: str | None = None
    runtime_args: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()  # modules the app imports before it builds this key

    def load_registry(self) -> Any:
        """The Registry object ``registry`` names (importing its module), or None."""
        if self.registry is None:
            return None
        module_name, _, attr = self.registry.partition(":")
        if not attr:
            module_name, _, attr = self.registry.rpartition(".")
        try:
            return getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigValueError(
                f"cannot load the registry {self.registry!r}: {type(exc).__name__}: {exc}",
                details=[("hint", "name it as module:ATTRIBUTE, e.g. my_app.registry:TASKS")],
            ) from exc


@dataclass(frozen=True)
class AppSpec:
    """Where an app's primary config lives and what it builds."""

    config_dir: str
    config_name: str | None
    builds: dict[str, BuildSpec] = field(default_factory=dict)


def add_app_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every config-reading subcommand shares."""
    parser.add_argument("--config-dir", "-cd", help="the app's config directory (instead of APP.py)")
    parser.add_argument("--config-name", "-cn", help="the primary config's name (default: the app's)")
    parser.add_argument(
        "--registry",
        action="append",
        default=[],
        metavar="KEY=MODULE:ATTR",
        help="the registry the app builds a top-level key with, e.g. task=my_app.registry:TASKS",
    )
    parser.add_argument(
        "--runtime-args",
        action="append",
        default=[],
        metavar="KEY=NAME,...",
        help="arguments the app passes itself when it builds KEY (not required in the config)",
    )
    parser.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE",
        help="a module the app imports before it builds (it registers classes)",
    )


def app_from_arguments(app: str | None, args: argparse.Namespace) -> AppSpec:
    """The app described by an ``APP.py`` (may be None) and the shared options."""
    spec = read_app_script(app) if app else AppSpec(config_dir="", config_name=None)
    config_dir = os.path.abspath(args.config_dir) if args.config_dir else spec.config_dir
    if not config_dir:
        raise ConfigValueError("name the app (APP.py) or its config directory (--config-dir DIR)")
    builds = dict(spec.builds)
    for key, registry in _pairs(args.registry, "--registry"):
        old = builds.get(key, BuildSpec())
        builds[key] = BuildSpec(registry, old.runtime_args, old.imports)
    for key, names in _pairs(args.runtime_args, "--runtime-args"):
        old = builds.get(key, BuildSpec())
        builds[key] = BuildSpec(old.registry, tuple(filter(None, names.split(","))), old.imports)
    if args.imports:
        builds["_imports"] = BuildSpec(imports=tuple(args.imports))
    return AppSpec(config_dir, args.config_name or spec.config_name, builds)


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, eq, rest = value.partition("=")
        if not eq or not key or not rest:
            raise ConfigValueError(f"{option} takes KEY=VALUE, but got {value!r}")
        pairs.append((key, rest))
    return pairs


def read_app_script(path: str) -> AppSpec:
    """Config dir and name from the script's ``@hydra.main(...)``, builds from ``HYDRAREG_BUILDS``."""
    try:
        with open(path, encoding="utf-8") as file:
            tree = ast.parse(file.read(), filename=path)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ConfigValueError(f"cannot read the app {path}: {exc}") from exc
    options = _hydra_main_options(tree)
    if options is None:
        raise ConfigValueError(f"{path} has no @hydra.main(config_path=..., config_name=...) to read")
    base = os.path.dirname(os.path.abspath(path))
    config_path = options.get("config_path")
    config_dir = os.path.normpath(os.path.join(base, config_path)) if config_path else base
    return AppSpec(config_dir, options.get("config_name"), _builds_constant(tree, path))


def _hydra_main_options(tree: ast.Module) -> dict[str, Any] | None:
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and _called_name(decorator.func) in ("hydra.main", "main"):
                return {kw.arg: _literal(kw.value) for kw in decorator.keywords if kw.arg}
    return None


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return func.id if isinstance(func, ast.Name) else ""


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def _builds_constant(tree: ast.Module, path: str) -> dict[str, BuildSpec]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == BUILDS_CONSTANT for target in node.targets
        ):
            value = _literal(node.value)
            if not isinstance(value, dict):
                raise ConfigValueError(f"{path}: {BUILDS_CONSTANT} must be a literal dict")
            return {key: build_spec(entry, path) for key, entry in value.items()}
    return {}


def build_spec(entry: Any, path: str = BUILDS_CONSTANT) -> BuildSpec:
    """One ``HYDRAREG_BUILDS`` entry ('module:ATTR' or a dict) as a :class:`BuildSpec`."""
    if isinstance(entry, BuildSpec):
        return entry
    if isinstance(entry, str):
        return BuildSpec(entry)
    if isinstance(entry, dict) and set(entry) <= {"registry", "runtime_args", "imports"}:
        return BuildSpec(
            entry.get("registry"), tuple(entry.get("runtime_args", ())), tuple(entry.get("imports", ()))
        )
    raise ConfigValueError(
        f"{path}: each {BUILDS_CONSTANT} entry is 'module:ATTR' or "
        "{'registry': ..., 'runtime_args': [...], 'imports': [...]}"
    )


#: Flags an app may pass on to ``hydrareg`` (``python run.py --check -m ...``).
APP_FLAGS = {"--check": "check", "--explain": "explain"}


def run_app_flag(app_file: str, argv: Sequence[str]) -> int | None:
    """``python app.py --check ...`` / ``--explain KEY ...``: the subcommand on the app's own configs.

    None when ``argv`` has neither flag (the app then runs as usual).
    """
    flags = [arg for arg in argv if arg in APP_FLAGS]
    if not flags:
        return None
    from ..cli import main

    rest = [arg for arg in argv if arg not in APP_FLAGS]
    return main([APP_FLAGS[flags[0]], app_file, *rest])
