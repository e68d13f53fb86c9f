"""``hydrareg schema``: a JSON Schema of an app's configs, for editors and CI.

``$defs`` holds, per registry kind (MODELS, DATASETS, the app's TASKS, ...), a ``type`` node: its
``type`` is one of the names registered in scope, and each name's arguments come from its class's
signature (JSON types from annotations, defaults, required arguments, unknown keys refused unless
it takes ``**kwargs``). ``files/<group>`` validates one config file of that group where its package
puts it (arguments may be given by other files, so none is required there); the root validates a
whole composed config. With ``-o DIR`` one small schema per group points into the main one, for
yaml-language-server's ``yaml.schemas`` setting.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import sys
import typing
from collections.abc import Iterator
from typing import Any

from .. import keys
from ..registry import Registry
from . import routing, signatures
from .app import AppSpec, add_app_arguments, app_from_arguments
from .check import split_app
from .lookup import Lookup
from .registry_tree import import_locations, load_declared_scopes, walk

EXAMPLE = """examples:
  hydrareg schema run.py > hydrareg.schema.json
  hydrareg schema run.py -o schemas/      (hydrareg.schema.json, and <group>.schema.json per group)"""

MAIN_FILE = "hydrareg.schema.json"
_INTERPOLATION = {"type": "string", "pattern": r"\$\{|^\?\?\?$"}
_SPECIAL: dict[str, dict[str, Any]] = {key: {} for key in (*keys.BUILD_KEYS, keys.DELETE, "defaults")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("words", nargs="*", metavar="[APP.py]", help="the Hydra app script")
    parser.add_argument("-o", "--output", metavar="DIR", help="write the schema and one per group into DIR")
    add_app_arguments(parser)


def run(args: argparse.Namespace) -> int:
    app_path, _ = split_app(args.words)
    app = app_from_arguments(app_path, args)
    schema = build_schema(app)
    if not args.output:
        print(json.dumps(schema, indent=1))
        return 0
    os.makedirs(args.output, exist_ok=True)
    write_json(os.path.join(args.output, MAIN_FILE), schema)
    for group in schema["$defs"]["files"]:
        pointer = {"$ref": f"{MAIN_FILE}#/$defs/files/{group}"}
        write_json(os.path.join(args.output, f"{group.replace('/', '.')}.schema.json"), pointer)
    print(f"wrote {MAIN_FILE} and {len(schema['$defs']['files'])} group schemas to {args.output}")
    return 0


def write_json(path: str, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=1)
        file.write("\n")


def build_schema(app: AppSpec) -> dict[str, Any]:
    """The whole schema: kinds, classes, one entry per config group, the composed config at the root."""
    builder = SchemaBuilder(Lookup(app.builds), config_scopes(app.config_dir))
    files = {  # hydra/... groups (launcher, sweeper) configure Hydra itself, not what the app builds
        group: builder.file_schema(packages)
        for group, packages in group_packages(app.config_dir).items()
        if group != "hydra" and not group.startswith("hydra/")
    }
    root = builder.config_schema(strict=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"configs of {app.config_dir}",
        **root,
        "$defs": {**builder.defs, "files": files},
    }


class SchemaBuilder:
    """Collects ``$defs`` for the registry kinds and the classes they reach."""

    def __init__(self, lookup: Lookup, scopes: set[str]) -> None:
        self.lookup = lookup
        self.scopes = scopes
        roots = lookup.all_roots()
        load_declared_scopes(roots)
        for failure in import_locations(roots):  # their names are left out of the schema
            print(f"hydrareg schema: not loaded: {failure}", file=sys.stderr)
        self.defs: dict[str, dict[str, Any]] = {"kinds": {}, "classes": {}}

    def config_schema(self, strict: bool) -> dict[str, Any]:
        """The composed config (``strict``) or a ``_global_`` file: top-level keys by their kind."""
        properties = {"defaults": {"type": "array"}, "hydra": {"type": "object"}}
        for key in {*routing.TOP_LEVEL, *self.lookup.app_registries}:
            properties[key] = self.node_ref(self.lookup.top_kind(key), strict)
        return {"type": "object", "properties": properties}

    def file_schema(self, packages: set[str]) -> dict[str, Any]:
        """A file of a group: what its package (or packages, across options) puts there."""
        options = [self.package_schema(package) for package in sorted(packages)]
        return options[0] if len(options) == 1 else {"anyOf": options}

    def package_schema(self, package: str) -> dict[str, Any]:
        if not package:
            return self.config_schema(strict=False)
        path = package.split(".")
        kind = self.lookup.top_kind(path[0])
        for key in path[1:]:
            kind = routing.nested_kind(kind, key)
        return self.node_ref(kind, strict=False)

    def node_ref(self, kind: str, strict: bool) -> dict[str, Any]:
        """Any value where a node of ``kind`` sits: a ``type`` node is checked, anything else allowed."""
        name = f"{kind}{'' if strict else '~partial'}"
        if name not in self.defs["kinds"]:
            self.defs["kinds"][name] = {}  # placeholder: kinds refer to each other
            self.defs["kinds"][name] = self._kind_schema(kind, strict)
        return {"$ref": f"#/$defs/kinds/{name}"}

    def _kind_schema(self, kind: str, strict: bool) -> dict[str, Any]:
        if kind in (routing.DATA, routing.DATALOADER):  # data, except the keys its owner builds
            inside = routing.INSIDE_DATALOADER if kind == routing.DATALOADER else routing.INSIDE_DATA
            return {
                "properties": {key: self.node_ref(inside_kind, strict) for key, inside_kind in inside.items()}
            }
        registry = self.lookup.registry(kind)
        if registry is None:
            return {}
        names = in_scope_names(registry, self.scopes)
        cases = [
            {"if": {"properties": {"type": {"const": name}}}, "then": self.class_ref(obj, kind, strict)}
            for name, obj in names.items()
        ]
        typed = {
            "type": "object",
            "required": [keys.TYPE],
            "properties": {keys.TYPE: {"anyOf": [{"enum": sorted(names)}, _INTERPOLATION]}},
            "allOf": cases,
        }
        return {"anyOf": [{"not": {"type": "object", "required": [keys.TYPE]}}, typed]}

    def class_ref(self, obj: Any, kind: str, strict: bool) -> dict[str, Any]:
        name = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
        name += f"@{kind}" + ("" if strict else "~partial")
        if name not in self.defs["classes"]:
            self.defs["classes"][name] = {}
            self.defs["classes"][name] = self._class_schema(obj, kind, strict)
        return {"$ref": f"#/$defs/classes/{name}"}

    def _class_schema(self, obj: Any, kind: str, strict: bool) -> dict[str, Any]:
        signature = signatures.signature_of(obj)
        if signature is None:
            return {}
        properties: dict[str, Any] = dict(_SPECIAL)
        for parameter in signature.parameters.values():
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
                properties[parameter.name] = self._parameter_schema(parameter, kind, strict)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if getattr(obj, "__doc__", None):
            schema["description"] = inspect.cleandoc(obj.__doc__).split("\n\n")[0]
        if not signatures.accepts_any_keyword(signature):
            schema["additionalProperties"] = False
        injected = (
            *routing.INJECTED.get(kind, ()),
            *self.lookup.runtime_args.get(kind.removeprefix("app:"), ()),
        )
        required = [name for name in signatures.required_names(signature) if name not in injected]
        if strict and required:
            schema["required"] = required
        return schema

    def _parameter_schema(self, parameter: inspect.Parameter, kind: str, strict: bool) -> dict[str, Any]:
        value = annotation_schema(parameter.annotation)
        node = self.node_ref(routing.nested_kind(kind, parameter.name), strict)
        if value is None:
            value = node
        elif value == {"type": "array"}:  # items of any kind: nodes a constructor may build
            value = {"anyOf": [{"type": "array", "items": node}, _INTERPOLATION]}
        else:
            value = {"anyOf": [value, _INTERPOLATION]}
        default = parameter.default
        if default is not parameter.empty and _is_json(default):
            value = {**value, "default": default}
        return value


def annotation_schema(annotation: Any) -> dict[str, Any] | None:
    """The JSON Schema of a plain annotation (numbers, strings, lists, unions); None for others."""
    simple = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}
    if annotation in simple:
        return {"type": simple[annotation]}
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal and all(_is_json(arg) for arg in args):
        return {"enum": list(args)}
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        options = [annotation_schema(arg) for arg in args]
        return None if any(option is None for option in options) else {"anyOf": options}
    if origin in (list, tuple) or (origin is not None and _is_sequence(origin)):
        items = [annotation_schema(arg) for arg in args if arg is not Ellipsis]
        if items and all(items) and len(set(map(json.dumps, items))) == 1:
            return {"type": "array", "items": {"anyOf": [items[0], _INTERPOLATION]}}
        return {"type": "array"}
    return None


def _is_sequence(origin: Any) -> bool:
    import collections.abc

    return isinstance(origin, type) and issubclass(origin, collections.abc.Sequence) and origin is not str


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def in_scope_names(registry: Registry, scopes: set[str]) -> dict[str, Any]:
    """Names a ``type`` may use in this tree: ``scope.Name`` for every node; the bare names of the
    root chain and of every scope the configs select (``default_scope``, ``_scope_``)."""
    names: dict[str, Any] = {}
    for node in walk([registry.root]):
        bare = node.parent is None or bool(node.scope_names & scopes)
        for name, obj in node.module_dict.items():
            for scope in sorted(node.scope_names):
                names.setdefault(f"{scope}.{name}", obj)
            if bare:
                names.setdefault(name, obj)
    return names


def group_packages(config_dir: str) -> dict[str, set[str]]:
    """Each config group (and ``primary`` for the top directory) -> the packages its files use."""
    groups: dict[str, set[str]] = {}
    for folder, _, files in os.walk(config_dir):
        group = os.path.relpath(folder, config_dir).replace(os.sep, "/")
        for name in files:
            if name.endswith((".yaml", ".yml")):
                key = "primary" if group == "." else group
                groups.setdefault(key, set()).add(file_package(os.path.join(folder, name), group))
    return groups


def file_package(path: str, group: str) -> str:
    """The package a config file's header names (Hydra's default: the group's own path)."""
    default = "" if group == "." else group.replace("/", ".")
    with open(path, encoding="utf-8") as file:
        for line in file:
            match = re.match(r"#\s*@package\s+(\S+)", line)
            if match:
                return _package(match.group(1), default)
            if line.strip() and not line.startswith("#"):
                break
    return default


def _package(header: str, group_package: str) -> str:
    header = header.replace("_group_", group_package)
    if header == "_global_":
        return ""
    return header.removeprefix("_global_.")


def config_scopes(config_dir: str) -> set[str]:
    """Every scope a config file selects with ``default_scope`` or ``_scope_``."""
    import yaml

    scopes: set[str] = set()
    for folder, _, files in os.walk(config_dir):
        for name in files:
            if name.endswith((".yaml", ".yml")):
                with open(os.path.join(folder, name), encoding="utf-8") as file:
                    scopes.update(_scopes_in(yaml.safe_load(file)))
    return scopes


def _scopes_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            if key in (keys.SCOPE, keys.DEFAULT_SCOPE) and isinstance(child, str):
                yield child
            yield from _scopes_in(child)
    elif isinstance(value, list):
        for item in value:
            yield from _scopes_in(item)
