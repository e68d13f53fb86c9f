"""Read one MMEngine config file and its ``_base_`` files the way ``Config.fromfile`` does.

The steps follow MMEngine's loader (reference #52-#58), with the sandboxed evaluator in place of
``exec``: text substitution of ``{{ fileDirname }}`` and friends, of ``{{$ENV:default}}`` and of
``{{_base_.x}}`` (by a placeholder string); the bases, loaded recursively and combined with the
duplicate-key check (``pkg::`` bases get ``_scope_``); the file evaluated with ``_base_`` bound to
the combined bases (so it can edit them); placeholders replaced by the values the bases had when
the file was read; and the file's dict merged onto the bases (``_delete_`` honoured).

Each file is read once; what it defines is kept apart from the merged result, with the references
and comments found in it, because the writer needs all three.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import importlib.util
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import yaml

from .. import keys
from ..errors import ConversionError
from .attrdict import AttrDict, plain
from .comments import KeyComments, SourceComments
from .pyeval import BASE_NAME, Evaluator, SandboxFunction, SandboxModule, evaluate_expression

__all__ = ["BaseRef", "LoadedConfig", "Loader", "Path"]

Path = tuple[Any, ...]

_PREDEFINED = ("fileDirname", "fileBasename", "fileBasenameNoExtension", "fileExtname")
_ENV_RE = re.compile(r"\{\{['\"]?\s*\$(\w+)\s*\:\s*(\S*?)\s*['\"]?\}\}")
_BASE_REF_RE = re.compile(r"\{\{\s*" + BASE_NAME + r"\.([\w\.]+)\s*\}\}")
_DEPRECATION_KEY = "_deprecation_"
_DATA_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class BaseRef:
    """One entry of a ``_base_`` list, resolved to a file."""

    ref: str
    path: str
    #: for ``pkg::path``: the package name (MMEngine's scope) and the directory ``path`` is in
    scope: str | None
    line: int | None
    package_dir: str | None = None


@dataclass
class LoadedConfig:
    """One config file as MMEngine reads it, plus what the writer needs to keep it readable."""

    path: str
    bases: list[BaseRef]
    #: MMEngine's dict for this file (``Config.fromfile(path).to_dict()`` before the final copy)
    result: dict[str, Any]
    #: what the file itself defines (its variables, references substituted, ``_delete_`` kept)
    own: dict[str, Any]
    #: path in ``own`` -> the config path that the source wrote there as a reference
    references: dict[Path, Path] = field(default_factory=dict)
    #: the source's comments, by path in ``own``
    comments: KeyComments = field(default_factory=KeyComments)
    #: top-level name -> line that first assigned it
    lines: dict[str, int | None] = field(default_factory=dict)
    #: remarks for the reader (no file name: they are about this file)
    notes: list[str] = field(default_factory=list)


class Loader:
    """Loads config files (each once) and finds the files that ``_base_`` entries name."""

    def __init__(self, package_roots: Mapping[str, str] | None = None) -> None:
        self.package_roots = {name: os.path.abspath(path) for name, path in (package_roots or {}).items()}
        self._done: dict[str, LoadedConfig | ConversionError] = {}
        self._loading: list[str] = []

    def load(self, path: str) -> LoadedConfig:
        """The loaded config at ``path``; raises ConversionError (the same one on every call)."""
        path = os.path.abspath(path)
        done = self._done.get(path)
        if isinstance(done, ConversionError):
            raise done
        if done is not None:
            return done
        if path in self._loading:
            chain = " -> ".join(
                os.path.basename(p) for p in [*self._loading[self._loading.index(path) :], path]
            )
            raise ConversionError(f"circular _base_ chain: {chain}", file=path)
        self._loading.append(path)
        try:
            loaded = self._read(path)
        except ConversionError as error:
            self._done[path] = error
            raise
        finally:
            self._loading.pop()
        self._done[path] = loaded
        return loaded

    # -- one file -------------------------------------------------------------------------------
    def _read(self, path: str) -> LoadedConfig:
        if not os.path.isfile(path):
            raise ConversionError("no such config file", file=path)
        if not path.endswith((".py", *_DATA_SUFFIXES)):
            raise ConversionError("only .py, .yaml, .yml and .json configs can be read", file=path)
        with open(path, encoding="utf-8") as f:
            original = f.read()
        notes: list[str] = []
        text = _substitute_predefined(original, path)
        text = _substitute_environment(text, path, notes)
        text, placeholders = _hide_base_references(text, path)
        if path.endswith(".py"):
            return self._read_python(path, original, text, placeholders, notes)
        return self._read_data(path, text, placeholders, notes)

    def _read_python(
        self,
        path: str,
        original: str,
        text: str,
        placeholders: dict[str, tuple[str, int]],
        notes: list[str],
    ) -> LoadedConfig:
        module = _parse_python(text, path)
        base_stmt = next((s for s in module.body if _assigns_base(s)), None)
        refs = [] if base_stmt is None else _base_entries(cast(ast.Assign, base_stmt), path)
        bases = [self._resolve(ref, path, base_stmt.lineno) for ref in refs]  # type: ignore[union-attr]
        base_tree = self._combine(bases, path)

        namespace: dict[str, Any] = {BASE_NAME: base_tree}
        evaluator = Evaluator(path, namespace)
        evaluator.run(module)
        defined = _defined_names(namespace, notes)
        slots = _SlotPaths(defined, id(namespace))
        references = slots.references(evaluator.references)
        comments = _comments(original, module, base_stmt, evaluator, slots, defined)

        own = _substitute_base_references(defined, placeholders, base_tree, path, references)
        lines = {name: evaluator.name_lines.get(name) for name in own}
        return self._finish(
            path,
            bases,
            base_tree,
            own,
            references,
            lines,
            notes,
            comments=comments,
        )

    def _read_data(
        self, path: str, text: str, placeholders: dict[str, tuple[str, int]], notes: list[str]
    ) -> LoadedConfig:
        try:
            data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as error:
            raise ConversionError(f"cannot parse: {error}", file=path) from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConversionError("the file does not hold a mapping", file=path)
        refs = data.pop(BASE_NAME, [])
        refs = refs if isinstance(refs, list) else [refs]
        bases = [self._resolve(_check_ref(ref, path, None), path, None) for ref in refs]
        base_tree = self._combine(bases, path)
        data.pop(_DEPRECATION_KEY, None)
        references: dict[Path, Path] = {}
        own = _substitute_base_references(data, placeholders, base_tree, path, references)
        return self._finish(path, bases, base_tree, own, references, {}, notes)

    def _finish(
        self,
        path: str,
        bases: list[BaseRef],
        base_tree: AttrDict,
        own: dict[str, Any],
        references: dict[Path, Path],
        lines: dict[str, int | None],
        notes: list[str],
        **extra: Any,
    ) -> LoadedConfig:
        """Merge what the file defines onto its bases; keep a copy of the former for the writer."""
        snapshot = plain(copy.deepcopy(own))
        try:
            merged = merge_into(own, base_tree)
        except _MergeTypeError as error:
            raise ConversionError(str(error), file=path, line=lines.get(error.key)) from None
        result = {key: value for key, value in merged.items() if not str(key).startswith("__")}
        return LoadedConfig(path, bases, result, snapshot, references, lines=lines, notes=notes, **extra)

    # -- bases ----------------------------------------------------------------------------------
    def _resolve(self, ref: str, filename: str, line: int | None) -> BaseRef:
        scope = directory = None
        if "::" in ref:
            scope, _, rel = ref.partition("::")
            if "::" in rel or not scope:
                raise ConversionError(
                    f"bad package base {ref!r}: write it as 'package::path'", file=filename, line=line
                )
            directory = self._package_dir(scope, filename)
            if directory is None:
                raise ConversionError(
                    f"base {ref!r}: cannot find the configs of package {scope!r} (not installed, not "
                    f"next to this package); pass --package-root {scope}=DIR",
                    file=filename,
                    line=line,
                )
            target = os.path.join(directory, rel)
        else:
            target = os.path.join(os.path.dirname(filename), ref)
        target = os.path.normpath(target)
        if not os.path.isfile(target):
            raise ConversionError(f"base {ref!r}: no such file {target}", file=filename, line=line)
        return BaseRef(ref, target, scope, line, directory)

    def _package_dir(self, name: str, filename: str) -> str | None:
        """Where ``name::...`` bases live: as given, next to this package, or installed."""
        return next((d for d in self._package_candidates(name, filename) if os.path.isdir(d)), None)

    def _package_candidates(self, name: str, filename: str) -> Iterator[str]:
        if name in self.package_roots:
            given = self.package_roots[name]
            yield (
                os.path.join(given, ".mim", "configs")
                if os.path.isdir(os.path.join(given, ".mim"))
                else given
            )
            return
        parts = os.path.abspath(filename).split(os.sep)
        if ".mim" in parts:  # an installed package's tree: <site>/<module>/.mim/configs/...
            site = os.sep.join(parts[: len(parts) - 1 - parts[::-1].index(".mim") - 1])
            yield os.path.join(site, name, ".mim", "configs")
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        for location in (spec.submodule_search_locations or []) if spec else []:
            yield os.path.join(location, ".mim", "configs")

    def _combine(self, bases: list[BaseRef], filename: str) -> AttrDict:
        """The bases combined as ``_base_`` sees them: fresh copies, scoped, no key twice."""
        combined = AttrDict()
        for base in bases:
            try:
                loaded = self.load(base.path)
            except ConversionError as error:
                raise ConversionError(
                    f"base {base.ref!r} cannot be read: {error}", file=filename, line=base.line
                ) from None
            duplicates = [key for key in loaded.result if key in combined]
            if duplicates:
                raise ConversionError(
                    f"duplicate key(s) among bases: {sorted(map(str, duplicates))} (MMEngine "
                    f"does not allow a key in two bases; {base.ref!r} repeats them)",
                    file=filename,
                    line=base.line,
                )
            combined.update(scoped_copy(loaded.result, base.scope))
        return combined


def scoped_copy(value: Any, scope: str | None, outermost: bool = True) -> Any:
    """A fresh AttrDict tree of ``value``; with a scope, outermost typed dicts get ``_scope_``."""
    if isinstance(value, dict):
        out = AttrDict(value)
        if outermost and keys.TYPE in out:
            outermost = False
            if scope is not None and out.get(keys.SCOPE) is None:
                out[keys.SCOPE] = scope
        for key, item in list(dict.items(out)):
            out[key] = scoped_copy(item, scope, outermost)
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(scoped_copy(item, scope, outermost) for item in value)
    return value


class _MergeTypeError(TypeError):
    def __init__(self, key: Any, message: str) -> None:
        super().__init__(message)
        self.key = key


def merge_into(child: dict[Any, Any], base: dict[Any, Any], _top: Any = None) -> dict[Any, Any]:
    """MMEngine's merge of a child dict onto its base: dicts merge, the rest replaces.

    Like MMEngine it consumes ``_delete_`` from the child dicts it merges, and leaves it where the
    base has no such key (reference #55).
    """
    merged = base.copy()
    for key, value in child.items():
        top = key if _top is None else _top
        if isinstance(value, dict):
            if key in merged and not value.pop(keys.DELETE, False):
                if not isinstance(merged[key], dict):
                    raise _MergeTypeError(
                        top,
                        f"{key}={value} in child config cannot inherit from base because {key} "
                        f"is a dict in the child config but is of type {type(merged[key])} in base "
                        f"config. You may set `{keys.DELETE}=True` to ignore the base config.",
                    )
                merged[key] = merge_into(value, merged[key], top)
            else:
                merged[key] = AttrDict(value)
        else:
            merged[key] = value
    return merged


# -- text substitutions ---------------------------------------------------------------------------
def _substitute_predefined(text: str, path: str) -> str:
    dirname, basename = os.path.split(path)
    values = {
        "fileDirname": dirname,
        "fileBasename": basename,
        "fileBasenameNoExtension": os.path.splitext(basename)[0],
        "fileExtname": os.path.splitext(path)[1],
    }
    for name in _PREDEFINED:
        value = values[name].replace("\\", "/")
        text = re.sub(r"\{\{\s*" + name + r"\s*\}\}", value, text)  # no backslash left in value
    return text


def _substitute_environment(text: str, path: str, notes: list[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = os.environ.get(name, default)
        if not value:
            raise ConversionError(
                f"`{name}` cannot be found in `os.environ`: set it or give a default",
                file=path,
                line=text.count("\n", 0, match.start()) + 1,
            )
        source = "the environment" if name in os.environ else "its default"
        notes.append(f"{{{{${name}}}}} bound at conversion time to {value!r} (from {source})")
        return value

    return _ENV_RE.sub(replace, text)


def _hide_base_references(text: str, path: str) -> tuple[str, dict[str, tuple[str, int]]]:
    """Replace each ``{{_base_.a.b}}`` by a quoted placeholder string, as MMEngine does."""
    placeholders: dict[str, tuple[str, int]] = {}
    digest = hashlib.sha1(path.encode()).hexdigest()

    def replace(match: re.Match[str]) -> str:
        dotted = match.group(1)
        token = f"_{dotted}_{hashlib.sha1((digest + dotted).encode()).hexdigest()[:8]}"
        placeholders.setdefault(token, (dotted, text.count("\n", 0, match.start()) + 1))
        return f'"{token}"'

    return _BASE_REF_RE.sub(replace, text), placeholders


def _parse_python(text: str, path: str) -> ast.Module:
    """The config file's syntax tree; a syntax error names the file and line."""
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as error:
        raise ConversionError(f"syntax error: {error.msg}", file=path, line=error.lineno) from None


def _defined_names(namespace: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """The names a config file defines (not ``_base_``, dunders, functions or modules); a deprecation
    marker becomes a note instead of a key."""
    defined = {
        name: value
        for name, value in namespace.items()
        if name != BASE_NAME
        and not name.startswith("__")
        and not isinstance(value, (SandboxFunction, SandboxModule))
    }
    if _DEPRECATION_KEY in defined:
        defined.pop(_DEPRECATION_KEY)
        notes.append(f"marked deprecated by its {_DEPRECATION_KEY} key")
    return defined


def _substitute_base_references(
    value: Any,
    placeholders: dict[str, tuple[str, int]],
    base_tree: AttrDict,
    path: str,
    references: dict[Path, Path],
    where: Path = (),
) -> Any:
    """A copy of ``value`` with each placeholder replaced by the base value it stands for."""
    if isinstance(value, str):
        return _substitute_string(value, placeholders, base_tree, path, references, where)
    if isinstance(value, dict):
        out = AttrDict() if isinstance(value, AttrDict) else {}
        for key, item in dict.items(value):
            out[key] = _substitute_base_references(
                item, placeholders, base_tree, path, references, (*where, key)
            )
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(
            _substitute_base_references(item, placeholders, base_tree, path, references, (*where, i))
            for i, item in enumerate(value)
        )
    return copy.deepcopy(value)


def _substitute_string(
    value: str,
    placeholders: dict[str, tuple[str, int]],
    base_tree: AttrDict,
    path: str,
    references: dict[Path, Path],
    where: Path,
) -> Any:
    """The base value a placeholder string stands for (recorded in ``references``), or the string."""
    if value in placeholders:
        dotted, line = placeholders[value]
        references[where] = tuple(dotted.split("."))
        node: Any = base_tree
        try:
            for part in dotted.split("."):
                node = node[part]
        except (KeyError, TypeError, IndexError):
            raise ConversionError(
                f"{{{{_base_.{dotted}}}}}: the bases define no {dotted!r}", file=path, line=line
            ) from None
        return node
    for token, (dotted, line) in placeholders.items():
        if token in value:
            raise ConversionError(
                f"{{{{_base_.{dotted}}}}} is used inside an expression; MMEngine would put a "
                f"placeholder string there. Use the Python form _base_.{dotted} instead",
                file=path,
                line=line,
            )
    return value


# -- where the evaluator's container slots ended up -----------------------------------------------
class _SlotPaths:
    """Maps (container id, key) slots to every config path at which that container is reachable."""

    _BUDGET = 200_000

    def __init__(self, defined: dict[str, Any], namespace_id: int) -> None:
        self.paths: dict[int, list[Path]] = {namespace_id: [()]}
        self.containers: dict[int, Any] = {namespace_id: defined}
        budget = [self._BUDGET]
        for name, value in defined.items():
            self._walk(value, (name,), set(), budget)

    def _walk(self, value: Any, where: Path, stack: set[int], budget: list[int]) -> None:
        if not isinstance(value, (dict, list)) or id(value) in stack or budget[0] <= 0:
            return
        budget[0] -= 1
        self.paths.setdefault(id(value), []).append(where)
        self.containers[id(value)] = value
        stack.add(id(value))
        items = dict.items(value) if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            self._walk(item, (*where, key), stack, budget)
        stack.discard(id(value))

    def _slot_paths(self, slot: tuple[int, Any], value: Any = None, check: bool = False) -> list[Path]:
        cid, key = slot
        container = self.containers.get(cid)
        if container is None:
            return []
        if isinstance(container, dict):
            if key not in container or (check and dict.__getitem__(container, key) is not value):
                return []
        elif not (isinstance(key, int) and 0 <= key < len(container)) or (
            check and container[key] is not value
        ):
            return []
        return [(*where, key) for where in self.paths[cid]]

    def references(self, slots: dict[tuple[int, Any], tuple[Path, Any]]) -> dict[Path, Path]:
        found: dict[Path, Path] = {}
        for slot, (target, value) in slots.items():
            for where in self._slot_paths(slot, value, check=True):
                found[where] = target
        return found

    def lines(self, slots: dict[tuple[int, Any], int]) -> Iterator[tuple[Path, int]]:
        found = [(where, line) for slot, line in slots.items() for where in self._slot_paths(slot)]
        yield from sorted(found, key=lambda item: (item[1], len(item[0])))


def _comments(
    original: str,
    module: ast.Module,
    base_stmt: ast.stmt | None,
    evaluator: Evaluator,
    slots: _SlotPaths,
    defined: dict[str, Any],
) -> KeyComments:
    """The source's comments by config path: top-level statements take what stands between them
    and the one before (a later ``_base_.a.b = v`` or ``x['k'] = v`` gives its comments to ``a.b``
    or ``x.k``), keys inside a statement the block just above them."""
    source = SourceComments.read(original)
    found = KeyComments()
    first_lines = {line: name for name, line in evaluator.name_lines.items() if name in defined}
    attached: list[tuple[int, Path, list[str | None], str | None]] = []
    previous_end = 0
    for stmt in module.body:
        where = None
        if stmt.lineno in first_lines:
            where = (first_lines[stmt.lineno],)
        elif isinstance(stmt, (ast.Assign, ast.AugAssign)) and stmt is not base_stmt:
            target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
            where = evaluator.reference_path(target, evaluator.module_scope)
        if stmt is base_stmt:
            found.defaults = source.region(previous_end, stmt.lineno)
        elif where:
            block = source.region(previous_end, stmt.lineno)
            attached.append((stmt.lineno, where, block, source.trailing(stmt.lineno)))
        previous_end = stmt.end_lineno or stmt.lineno
    for where, line in slots.lines(evaluator.slot_lines):
        attached.append((line, where, source.claim(line), source.trailing(line)))
    for _line, where, block, trailing in sorted(attached, key=lambda item: item[0]):
        found.add(where, block, trailing)
    found.footer = source.region(previous_end, None)
    return found


def _assigns_base(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Assign)
        and isinstance(stmt.targets[0], ast.Name)
        and stmt.targets[0].id == BASE_NAME
    )


def _base_entries(stmt: ast.Assign, path: str) -> list[str]:
    value = evaluate_expression(stmt.value, path)
    entries = value if isinstance(value, list) else [value]
    return [_check_ref(entry, path, stmt.lineno) for entry in entries]


def _check_ref(entry: Any, path: str, line: int | None) -> str:
    if not isinstance(entry, str):
        raise ConversionError(
            f"_base_ entries must be file paths (str), got {type(entry).__name__} {entry!r}",
            file=path,
            line=line,
        )
    return entry
