"""A sandboxed evaluator for MMEngine Python configs: their statements run on data, never as code.

MMEngine executes a config file to read it. The converter instead walks the file's ``ast`` and
evaluates what configs use (literals, names, arithmetic, f-strings, comprehensions, ``if``/``for``,
small functions and lambdas, method calls on strings, lists and dicts, ``copy.deepcopy`` and
``math``) over whitelists: no ``exec``/``eval``, no imports, no attribute that is not a whitelisted
method or a config key, and bounded loops and sizes. Anything else stops with a
:class:`~hydrareg.errors.ConversionError` naming the file and line.

While evaluating, it notes which container slots were filled by a *reference* (``x``,
``_base_.a.b``): the converter may write those as interpolations where the meaning is the same.
"""

from __future__ import annotations

import ast
import builtins
import copy
import math
import operator
import string
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NoReturn

from ..errors import ConversionError
from .attrdict import ATTRDICT_METHODS, AttrDict

__all__ = ["BASE_NAME", "Evaluator", "SandboxFunction", "SandboxModule", "evaluate_expression"]

#: The name under which config code sees the merged bases.
BASE_NAME = "_base_"

_MAX_STEPS = 5_000_000
_MAX_SIZE = 1_000_000
_MAX_POW_BITS = 100_000
_MAX_FORMAT_WIDTH = 10_000


def _names(text: str) -> frozenset[str]:
    """The whitespace-separated names in ``text``."""
    return frozenset(text.split())


class SandboxFunction:
    """A ``def`` or ``lambda`` from a config: calling it evaluates its body in the sandbox."""

    __slots__ = ("body", "defaults", "evaluator", "is_lambda", "lineno", "name", "params", "scope")

    def __init__(self, evaluator: Evaluator, node: ast.FunctionDef | ast.Lambda, scope: _Scope) -> None:
        args = node.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            evaluator.fail(
                node, "functions with *args, **kwargs or keyword-only parameters are not supported"
            )
        self.evaluator = evaluator
        self.is_lambda = isinstance(node, ast.Lambda)
        self.name = "<lambda>" if self.is_lambda else node.name  # type: ignore[union-attr]
        self.params = [a.arg for a in args.args]
        self.defaults = [evaluator.eval(d, scope) for d in args.defaults]
        self.body = node.body
        self.scope = scope
        self.lineno = node.lineno

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.evaluator.call_function(self, args, kwargs)

    def __deepcopy__(self, memo: dict[int, Any]) -> SandboxFunction:
        return self

    def __copy__(self) -> SandboxFunction:
        return self

    def __repr__(self) -> str:
        return f"<function {self.name} (config line {self.lineno})>"


class SandboxModule:
    """A stand-in for the standard modules configs use (``copy``, ``math``): pure functions only."""

    __slots__ = ("members", "name")

    def __init__(self, name: str, members: dict[str, Any]) -> None:
        self.name = name
        self.members = members

    def __deepcopy__(self, memo: dict[int, Any]) -> SandboxModule:
        return self

    def __copy__(self) -> SandboxModule:
        return self

    def __repr__(self) -> str:
        return f"<module {self.name} (sandboxed)>"


_MATH_NAMES = _names(
    "pi e tau inf nan sqrt floor ceil trunc log log2 log10 exp sin cos tan asin acos atan atan2 "
    "fabs hypot isclose isfinite isinf isnan gcd radians degrees fsum copysign"
)
MODULES = {
    "copy": SandboxModule("copy", {"copy": copy.copy, "deepcopy": copy.deepcopy}),
    "math": SandboxModule("math", {name: getattr(math, name) for name in _MATH_NAMES}),
}


class _SafeFormatter(string.Formatter):
    """``str.format`` without attribute access or huge widths in the fields."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        if "." in field_name or "[" in field_name:
            raise ValueError(f"format field {field_name!r}: attribute and index access is not supported")
        return super().get_field(field_name, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        return _format(value, format_spec)


def _format(value: Any, spec: str) -> str:
    _check_width(spec)
    return format(value, spec)


def _check_width(spec: str) -> None:
    digits = "".join(c if c.isdigit() else " " for c in spec).split()
    if any(int(d) > _MAX_FORMAT_WIDTH for d in digits):
        raise ValueError(f"format width in {spec!r} is too large")


def _safe_str_format(text: str) -> Callable[..., str]:
    return lambda *args, **kwargs: _SafeFormatter().vformat(text, args, kwargs)


def _checked_range(*args: int) -> range:
    r = range(*args)
    if len(r) > _MAX_SIZE:
        raise ValueError(f"range of {len(r)} items is too large")
    return r


def _checked_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    bits = exp * max(abs(base).bit_length(), 1) if isinstance(base, int) and isinstance(exp, int) else 0
    if mod is None and bits > _MAX_POW_BITS:
        raise ValueError(f"{base} ** {exp} is too large")
    return pow(base, exp) if mod is None else pow(base, exp, mod)


def _noop_print(*args: Any, **kwargs: Any) -> None:
    """``print`` in a config prints nothing while converting."""


BUILTINS: dict[str, Any] = {
    name: getattr(builtins, name)
    for name in _names(
        "abs all any bin bool chr dict divmod enumerate filter float frozenset hex int isinstance "
        "len list map max min oct ord repr reversed round set sorted str sum tuple zip"
    )
}
BUILTINS.update(range=_checked_range, pow=_checked_pow, print=_noop_print, format=_format)
# MMEngine runs a config with globals that lack __name__, so Python finds the builtins module's
BUILTINS["__name__"] = "builtins"

#: str methods whose int argument is the length of the result
_PADDING = _names("center ljust rjust zfill")
_STR_METHODS = _names(
    "capitalize casefold center count endswith find index isalnum isalpha isdecimal isdigit "
    "islower isnumeric isspace istitle isupper join ljust lower lstrip partition removeprefix "
    "removesuffix replace rfind rindex rjust rpartition rsplit rstrip split splitlines startswith "
    "strip swapcase title upper zfill"
)
_METHODS: dict[type, frozenset[str]] = {
    str: _STR_METHODS,
    list: _names("append clear copy count extend index insert pop remove reverse sort"),
    tuple: _names("count index"),
    dict: _names("clear copy get items keys pop popitem setdefault update values"),
    set: _names(
        "add clear copy difference discard intersection isdisjoint issubset issuperset pop remove "
        "symmetric_difference union update"
    ),
    frozenset: _names("copy difference intersection isdisjoint issubset issuperset union"),
    int: _names("bit_length conjugate real imag"),
    float: _names("is_integer conjugate real imag"),
}

#: ids of the builtins and module functions config code may call (all live as long as the module)
_SAFE_CALLABLES = frozenset(
    id(f) for f in [*BUILTINS.values(), *(f for m in MODULES.values() for f in m.members.values())]
)

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: _checked_pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
}
_INPLACE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.iadd,
    ast.Sub: operator.isub,
    ast.Mult: operator.imul,
    ast.Div: operator.itruediv,
    ast.FloorDiv: operator.ifloordiv,
    ast.Mod: operator.imod,
    ast.Pow: _checked_pow,
    ast.LShift: operator.ilshift,
    ast.RShift: operator.irshift,
    ast.BitOr: operator.ior,
    ast.BitXor: operator.ixor,
    ast.BitAnd: operator.iand,
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


class _Scope:
    """Names visible at one level: the module namespace, a function call or a comprehension."""

    __slots__ = ("parent", "vars")

    def __init__(self, variables: dict[str, Any], parent: _Scope | None) -> None:
        self.vars = variables
        self.parent = parent


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Failure(Exception):
    """A Python error raised by an operation on config data, with the node it happened at."""

    def __init__(self, node: ast.AST, error: BaseException) -> None:
        self.node = node
        self.error = error


Slot = tuple[int, Any]  # (id of a container, key or index in it)


class Evaluator:
    """Run one config module's statements in ``namespace`` (which ends up holding its variables)."""

    def __init__(self, filename: str, namespace: dict[str, Any]) -> None:
        self.filename = filename
        self.namespace = namespace
        self.module_scope = _Scope(namespace, None)
        self.steps = 0
        #: slot -> (config path the slot's expression referred to, the value it produced)
        self.references: dict[Slot, tuple[tuple[Any, ...], Any]] = {}
        #: slot -> line of the key (or list item) in the source, for comments
        self.slot_lines: dict[Slot, int] = {}
        #: module-level name -> line of the statement that first assigned it
        self.name_lines: dict[str, int] = {}
        self._alive: list[Any] = []  # containers whose ids the two tables above use

    # -- errors ---------------------------------------------------------------------------------
    def fail(self, node: ast.AST, message: str) -> NoReturn:
        """Raise a ConversionError at ``node``'s line."""
        raise ConversionError(message, file=self.filename, line=getattr(node, "lineno", None))

    def _tick(self, node: ast.AST) -> None:
        self.steps += 1
        if self.steps > _MAX_STEPS:
            self.fail(node, f"evaluation took more than {_MAX_STEPS} steps (an endless loop?)")

    # -- statements -----------------------------------------------------------------------------
    def run(self, module: ast.Module) -> None:
        """Execute the module's statements; Python errors become ConversionErrors at their line."""
        try:
            self.exec_block(module.body, self.module_scope)
        except _Failure as failure:
            error = failure.error
            detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            raise ConversionError(
                f"evaluating the config raised {detail}",
                file=self.filename,
                line=getattr(failure.node, "lineno", None),
            ) from error
        except (_Break, _Continue, _Return):
            raise ConversionError(
                "break/continue/return outside a loop or function", file=self.filename
            ) from None

    def exec_block(self, body: list[ast.stmt], scope: _Scope) -> None:
        for stmt in body:
            self._tick(stmt)
            handler = getattr(self, f"_stmt_{type(stmt).__name__}", None)
            if handler is None:
                self._unsupported_stmt(stmt)
            try:
                handler(stmt, scope)
            except (ConversionError, _Failure, _Return, _Break, _Continue):
                raise
            except RecursionError:
                self.fail(stmt, "evaluation recursed too deeply")
            except Exception as error:  # an operation on config data failed, as it would in MMEngine
                raise _Failure(stmt, error) from error

    def _unsupported_stmt(self, stmt: ast.stmt) -> NoReturn:
        if isinstance(stmt, ast.With) and any(
            isinstance(i.context_expr, ast.Call) and getattr(i.context_expr.func, "id", "") == "read_base"
            for i in stmt.items
        ):
            self.fail(stmt, "new-style (lazy import, 'with read_base()') configs are not supported")
        kind = type(stmt).__name__
        self.fail(stmt, f"'{kind}' statements are not supported in configs the converter reads")

    def _stmt_Expr(self, node: ast.Expr, scope: _Scope) -> None:
        self.eval(node.value, scope)

    def _stmt_Pass(self, node: ast.Pass, scope: _Scope) -> None:
        pass

    def _stmt_Assign(self, node: ast.Assign, scope: _Scope) -> None:
        first = node.targets[0]
        if isinstance(first, ast.Name) and first.id == BASE_NAME:
            return  # MMEngine removes every `_base_ = ...` before running the file
        value = self.eval(node.value, scope)
        for target in node.targets:
            self.assign(target, value, scope)
            if isinstance(target, ast.Name) and scope is self.module_scope:
                self.name_lines.setdefault(target.id, node.lineno)
                self._note_slot(self.namespace, target.id, node.value, value, scope)

    def _stmt_AnnAssign(self, node: ast.AnnAssign, scope: _Scope) -> None:
        if node.value is not None:
            value = self.eval(node.value, scope)
            self.assign(node.target, value, scope)
            if isinstance(node.target, ast.Name) and scope is self.module_scope:
                self.name_lines.setdefault(node.target.id, node.lineno)

    def _stmt_AugAssign(self, node: ast.AugAssign, scope: _Scope) -> None:
        op = _INPLACE.get(type(node.op))
        if op is None:
            self.fail(node, f"operator {type(node.op).__name__} is not supported")
        value = self.eval(node.value, scope)
        target = node.target
        if isinstance(target, ast.Name):
            current = self.lookup(target, scope)
            self.assign(target, self._binop(op, current, value, node), scope)
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, scope)
            current = self.get_attribute(obj, target.attr, target)
            self.set_attribute(obj, target.attr, self._binop(op, current, value, node), target)
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, scope)
            key = self.eval(target.slice, scope)
            obj[key] = self._binop(op, obj[key], value, node)
        else:
            self.fail(node, "unsupported augmented assignment target")

    def _stmt_Delete(self, node: ast.Delete, scope: _Scope) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                owner = self._owner_scope(target.id, scope)
                if owner is None:
                    self.fail(target, f"name {target.id!r} is not defined")
                del owner.vars[target.id]
            elif isinstance(target, ast.Attribute):
                obj = self.eval(target.value, scope)
                if not isinstance(obj, AttrDict):
                    self.fail(target, f"cannot delete attribute {target.attr!r} of a {type(obj).__name__}")
                if target.attr not in obj:
                    self.fail(target, f"cannot delete {target.attr!r}: no such key")
                del obj[target.attr]
            elif isinstance(target, ast.Subscript):
                obj = self.eval(target.value, scope)
                del obj[self.eval(target.slice, scope)]
            else:
                self.fail(target, "unsupported del target")

    def _stmt_If(self, node: ast.If, scope: _Scope) -> None:
        self.exec_block(node.body if self.eval(node.test, scope) else node.orelse, scope)

    def _stmt_For(self, node: ast.For, scope: _Scope) -> None:
        def steps() -> Iterator[None]:
            for item in self.eval(node.iter, scope):
                self.assign(node.target, item, scope)
                yield

        self._loop(node, steps(), scope)

    def _stmt_While(self, node: ast.While, scope: _Scope) -> None:
        def steps() -> Iterator[None]:
            while self.eval(node.test, scope):
                yield

        self._loop(node, steps(), scope)

    def _loop(self, node: ast.For | ast.While, steps: Iterator[None], scope: _Scope) -> None:
        """The body once per step, with Python's break, continue and else."""
        for _ in steps:
            self._tick(node)
            try:
                self.exec_block(node.body, scope)
            except _Break:
                return
            except _Continue:
                continue
        self.exec_block(node.orelse, scope)

    def _stmt_Break(self, node: ast.Break, scope: _Scope) -> None:
        raise _Break

    def _stmt_Continue(self, node: ast.Continue, scope: _Scope) -> None:
        raise _Continue

    def _stmt_Return(self, node: ast.Return, scope: _Scope) -> None:
        raise _Return(None if node.value is None else self.eval(node.value, scope))

    def _stmt_FunctionDef(self, node: ast.FunctionDef, scope: _Scope) -> None:
        if node.decorator_list:
            self.fail(node, "decorated functions are not supported")
        scope.vars[node.name] = SandboxFunction(self, node, scope)

    def _stmt_Assert(self, node: ast.Assert, scope: _Scope) -> None:
        if not self.eval(node.test, scope):
            message = "" if node.msg is None else f": {self.eval(node.msg, scope)}"
            self.fail(node, f"assertion failed{message}")

    def _stmt_Import(self, node: ast.Import, scope: _Scope) -> None:
        for alias in node.names:
            module = self._module(alias.name, node)
            if alias.asname is None and "." in alias.name:
                self.fail(node, f"import of {alias.name!r} is not supported")
            scope.vars[alias.asname or alias.name] = module

    def _stmt_ImportFrom(self, node: ast.ImportFrom, scope: _Scope) -> None:
        module = self._module(node.module or "", node) if not node.level else None
        if module is None:
            self.fail(node, "relative imports (new-style, lazy import configs) are not supported")
        for alias in node.names:
            if alias.name not in module.members:
                self.fail(node, f"'from {module.name} import {alias.name}' is not supported")
            scope.vars[alias.asname or alias.name] = module.members[alias.name]

    def _module(self, name: str, node: ast.AST) -> SandboxModule:
        if name not in MODULES:
            self.fail(
                node,
                f"import of {name!r} is not supported: the converter imports nothing (it provides "
                f"{' and '.join(sorted(MODULES))}), and MMEngine reads a config that imports other "
                "modules as a new-style (lazy import) config",
            )
        return MODULES[name]

    # -- names and assignment -------------------------------------------------------------------
    def _owner_scope(self, name: str, scope: _Scope | None) -> _Scope | None:
        while scope is not None:
            if name in scope.vars:
                return scope
            scope = scope.parent
        return None

    def lookup(self, node: ast.Name, scope: _Scope) -> Any:
        owner = self._owner_scope(node.id, scope)
        if owner is not None:
            return owner.vars[node.id]
        if node.id in BUILTINS:
            return BUILTINS[node.id]
        return self.fail(node, f"name {node.id!r} is not defined")

    def assign(self, target: ast.expr, value: Any, scope: _Scope) -> None:
        if isinstance(target, ast.Name):
            scope.vars[target.id] = value
        elif isinstance(target, ast.Attribute):
            self.set_attribute(self.eval(target.value, scope), target.attr, value, target)
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, scope)
            obj[self.eval(target.slice, scope)] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            self._unpack(target, value, scope)
        else:
            self.fail(target, f"cannot assign to {type(target).__name__}")

    def _unpack(self, target: ast.Tuple | ast.List, value: Any, scope: _Scope) -> None:
        items = list(value)
        starred = [i for i, elt in enumerate(target.elts) if isinstance(elt, ast.Starred)]
        if not starred:
            if len(items) != len(target.elts):
                raise ValueError(f"cannot unpack {len(items)} values into {len(target.elts)} names")
            for elt, item in zip(target.elts, items, strict=True):
                self.assign(elt, item, scope)
            return
        i = starred[0]
        after = len(target.elts) - i - 1
        if len(items) < i + after:
            raise ValueError(f"not enough values to unpack (expected at least {i + after})")
        for elt, item in zip(target.elts[:i], items[:i], strict=True):
            self.assign(elt, item, scope)
        self.assign(target.elts[i].value, items[i : len(items) - after], scope)  # type: ignore[attr-defined]
        for elt, item in zip(target.elts[i + 1 :], items[len(items) - after :], strict=True):
            self.assign(elt, item, scope)

    # -- attributes -----------------------------------------------------------------------------
    def get_attribute(self, obj: Any, name: str, node: ast.AST) -> Any:
        """Attribute read: a key of an AttrDict, a module member or a whitelisted method."""
        if isinstance(obj, AttrDict):
            if name in ATTRDICT_METHODS:
                return getattr(obj, name)
            if name in obj:
                return obj[name]
            if hasattr(AttrDict, name):
                self.fail(node, f"attribute {name!r} of a config dict is not supported")
            raise AttributeError(f"'ConfigDict' object has no attribute {name!r}")
        if isinstance(obj, SandboxModule):
            if name not in obj.members:
                self.fail(node, f"{obj.name}.{name} is not supported")
            return obj.members[name]
        allowed = _METHODS.get(type(obj), frozenset())
        if name in allowed:
            if type(obj) is str and name == "format":
                return _safe_str_format(obj)
            return getattr(obj, name)
        if type(obj) is str and name == "format":
            return _safe_str_format(obj)
        if isinstance(obj, dict) and not name.startswith("_"):
            raise AttributeError(f"'dict' object has no attribute {name!r}")
        return self.fail(node, f"attribute {name!r} of a {type(obj).__name__} is not supported")

    def set_attribute(self, obj: Any, name: str, value: Any, node: ast.AST) -> None:
        if not isinstance(obj, AttrDict):
            self.fail(node, f"cannot set attribute {name!r} on a {type(obj).__name__}")
        if hasattr(AttrDict, name):
            raise AttributeError(f"'ConfigDict' object attribute {name!r} is read-only")
        obj[name] = value

    # -- expressions ----------------------------------------------------------------------------
    def eval(self, node: ast.expr, scope: _Scope) -> Any:
        """The value of one expression."""
        self._tick(node)
        handler = getattr(self, f"_expr_{type(node).__name__}", None)
        if handler is None:
            self.fail(node, f"'{type(node).__name__}' expressions are not supported")
        try:
            return handler(node, scope)
        except (ConversionError, _Failure):
            raise
        except RecursionError:
            self.fail(node, "evaluation recursed too deeply")
        except Exception as error:  # an operation on config data failed, as it would in MMEngine
            raise _Failure(node, error) from error

    def _expr_Constant(self, node: ast.Constant, scope: _Scope) -> Any:
        return node.value

    def _expr_Name(self, node: ast.Name, scope: _Scope) -> Any:
        return self.lookup(node, scope)

    def _expr_Attribute(self, node: ast.Attribute, scope: _Scope) -> Any:
        return self.get_attribute(self.eval(node.value, scope), node.attr, node)

    def _expr_Subscript(self, node: ast.Subscript, scope: _Scope) -> Any:
        return self.eval(node.value, scope)[self.eval(node.slice, scope)]

    def _expr_Slice(self, node: ast.Slice, scope: _Scope) -> slice:
        part = lambda n: None if n is None else self.eval(n, scope)  # noqa: E731
        return slice(part(node.lower), part(node.upper), part(node.step))

    def _expr_List(self, node: ast.List, scope: _Scope) -> list[Any]:
        return self._sequence(node, scope)

    def _expr_Tuple(self, node: ast.Tuple, scope: _Scope) -> tuple[Any, ...]:
        return tuple(self._sequence(node, scope))

    def _expr_Set(self, node: ast.Set, scope: _Scope) -> set[Any]:
        return set(self._sequence(node, scope))

    def _sequence(self, node: ast.List | ast.Tuple | ast.Set, scope: _Scope) -> list[Any]:
        items: list[Any] = []
        plain = True
        for elt in node.elts:
            if isinstance(elt, ast.Starred):
                items.extend(self.eval(elt.value, scope))
                plain = False
            else:
                items.append(self.eval(elt, scope))
        self._check_size(items, node)
        if plain and not isinstance(node, ast.Set):
            for index, elt in enumerate(node.elts):
                self.slot_lines[(id(items), index)] = elt.lineno
                self._note_slot(items, index, elt, items[index], scope)
            self._alive.append(items)
        return items

    def _expr_Dict(self, node: ast.Dict, scope: _Scope) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:
                mapping = self.eval(value_node, scope)
                if not isinstance(mapping, dict):
                    raise TypeError(f"'{type(mapping).__name__}' object is not a mapping")
                result.update(dict.items(mapping))
                continue
            key = self.eval(key_node, scope)
            value = self.eval(value_node, scope)
            result[key] = value
            self.slot_lines[(id(result), key)] = key_node.lineno
            self._note_slot(result, key, value_node, value, scope)
        self._alive.append(result)
        return result

    def _expr_BinOp(self, node: ast.BinOp, scope: _Scope) -> Any:
        op = _BINOPS.get(type(node.op))
        if op is None:
            self.fail(node, f"operator {type(node.op).__name__} is not supported")
        return self._binop(op, self.eval(node.left, scope), self.eval(node.right, scope), node)

    def _binop(self, op: Callable[[Any, Any], Any], left: Any, right: Any, node: ast.AST) -> Any:
        if op in (operator.mul, operator.imul):
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, (str, list, tuple)) and isinstance(times, int)
                if sized and len(seq) * times > _MAX_SIZE:
                    self.fail(node, "repetition result is too large")
        if op in (operator.lshift, operator.ilshift) and isinstance(right, int) and right > _MAX_POW_BITS:
            self.fail(node, "shift result is too large")
        if op in (operator.mod, operator.imod) and isinstance(left, str):
            _check_width(left)
        result = op(left, right)
        if isinstance(result, (str, list, tuple)):
            self._check_size(result, node)
        return result

    def _expr_UnaryOp(self, node: ast.UnaryOp, scope: _Scope) -> Any:
        return _UNARY[type(node.op)](self.eval(node.operand, scope))

    def _expr_BoolOp(self, node: ast.BoolOp, scope: _Scope) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.eval(operand, scope)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def _expr_Compare(self, node: ast.Compare, scope: _Scope) -> bool:
        left = self.eval(node.left, scope)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.eval(comparator, scope)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _expr_IfExp(self, node: ast.IfExp, scope: _Scope) -> Any:
        return self.eval(node.body if self.eval(node.test, scope) else node.orelse, scope)

    def _expr_JoinedStr(self, node: ast.JoinedStr, scope: _Scope) -> str:
        return "".join(str(self.eval(value, scope)) for value in node.values)

    def _expr_FormattedValue(self, node: ast.FormattedValue, scope: _Scope) -> str:
        value = self.eval(node.value, scope)
        if node.conversion == ord("s"):
            value = str(value)
        elif node.conversion == ord("r"):
            value = repr(value)
        elif node.conversion == ord("a"):
            value = ascii(value)
        spec = "" if node.format_spec is None else self.eval(node.format_spec, scope)
        return _format(value, spec)

    def _expr_Lambda(self, node: ast.Lambda, scope: _Scope) -> SandboxFunction:
        return SandboxFunction(self, node, scope)

    def _expr_Call(self, node: ast.Call, scope: _Scope) -> Any:
        func = self.eval(node.func, scope)
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                args.extend(self.eval(arg.value, scope))
            else:
                args.append(self.eval(arg, scope))
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                mapping = self.eval(keyword.value, scope)
                if not isinstance(mapping, dict):
                    raise TypeError(f"argument after ** must be a mapping, not {type(mapping).__name__}")
                kwargs.update(dict.items(mapping))
            else:
                kwargs[keyword.arg] = self.eval(keyword.value, scope)
        if not self._callable(func):
            self.fail(node, f"calling {func!r} is not supported")
        if getattr(func, "__name__", "") in _PADDING and any(
            isinstance(a, int) and a > _MAX_SIZE for a in args
        ):
            self.fail(node, "padding result is too large")
        result = func(*args, **kwargs)
        if func is dict and not args:
            for keyword in node.keywords:
                if keyword.arg is not None:
                    self.slot_lines[(id(result), keyword.arg)] = keyword.value.lineno
                    self._note_slot(result, keyword.arg, keyword.value, result[keyword.arg], scope)
            self._alive.append(result)
        return result

    def _callable(self, func: Any) -> bool:
        if isinstance(func, SandboxFunction) or id(func) in _SAFE_CALLABLES:
            return True
        owner = getattr(func, "__self__", None)  # a bound method handed out by get_attribute
        name = getattr(func, "__name__", "")
        if owner is not None and not isinstance(owner, type):
            if isinstance(owner, AttrDict):
                return name in ATTRDICT_METHODS
            return name in _METHODS.get(type(owner), frozenset())
        return getattr(func, "__qualname__", "").startswith("_safe_str_format")

    def call_function(self, func: SandboxFunction, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Call a config-defined function: bind the arguments, then run its body in a new scope."""
        params = func.params
        if len(args) > len(params):
            raise TypeError(f"{func.name}() takes {len(params)} arguments but {len(args)} were given")
        bound: dict[str, Any] = dict(zip(params, args, strict=False))
        for name, value in kwargs.items():
            if name not in params or name in bound:
                raise TypeError(f"{func.name}() got an unexpected or repeated argument {name!r}")
            bound[name] = value
        first_default = len(params) - len(func.defaults)
        for index, name in enumerate(params):
            if name not in bound:
                if index < first_default:
                    raise TypeError(f"{func.name}() missing argument {name!r}")
                bound[name] = func.defaults[index - first_default]
        scope = _Scope(bound, func.scope)
        if func.is_lambda:
            return self.eval(func.body, scope)  # type: ignore[arg-type]
        try:
            self.exec_block(func.body, scope)  # type: ignore[arg-type]
        except _Return as ret:
            return ret.value
        return None

    # -- comprehensions -------------------------------------------------------------------------
    def _comprehension(self, generators: list[ast.comprehension], scope: _Scope) -> Iterator[_Scope]:
        inner = _Scope({}, scope)

        def loop(level: int, iter_scope: _Scope) -> Iterator[_Scope]:
            gen = generators[level]
            if gen.is_async:
                self.fail(gen.target, "async comprehensions are not supported")
            for item in self.eval(gen.iter, iter_scope):
                self._tick(gen.target)
                self.assign(gen.target, item, inner)
                if all(self.eval(cond, inner) for cond in gen.ifs):
                    if level + 1 == len(generators):
                        yield inner
                    else:
                        yield from loop(level + 1, inner)

        return loop(0, scope)

    def _expr_ListComp(self, node: ast.ListComp, scope: _Scope) -> list[Any]:
        result = [self.eval(node.elt, inner) for inner in self._comprehension(node.generators, scope)]
        self._check_size(result, node)
        return result

    def _expr_SetComp(self, node: ast.SetComp, scope: _Scope) -> set[Any]:
        return {self.eval(node.elt, inner) for inner in self._comprehension(node.generators, scope)}

    def _expr_DictComp(self, node: ast.DictComp, scope: _Scope) -> dict[Any, Any]:
        return {
            self.eval(node.key, inner): self.eval(node.value, inner)
            for inner in self._comprehension(node.generators, scope)
        }

    def _expr_GeneratorExp(self, node: ast.GeneratorExp, scope: _Scope) -> Iterable[Any]:
        return (self.eval(node.elt, inner) for inner in self._comprehension(node.generators, scope))

    # -- references -----------------------------------------------------------------------------
    def reference_path(self, node: ast.expr, scope: _Scope) -> tuple[Any, ...] | None:
        """The config path a whole-value reference reads (``x.a``, ``_base_.a['b']``), or None."""
        chain: list[str] = []
        while True:
            if isinstance(node, ast.Attribute):
                chain.append(node.attr)
                node = node.value
            elif (
                isinstance(node, ast.Subscript)
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                chain.append(node.slice.value)
                node = node.value
            else:
                break
        if not isinstance(node, ast.Name) or self._owner_scope(node.id, scope) is not self.module_scope:
            return None
        chain.reverse()
        if node.id == BASE_NAME:
            return tuple(chain) or None
        return (node.id, *chain)

    def _note_slot(self, container: Any, key: Any, node: ast.expr, value: Any, scope: _Scope) -> None:
        """Remember that ``container[key]`` was filled by a reference expression, if it was."""
        path = self.reference_path(node, scope)
        if path is not None:
            self.references[(id(container), key)] = (path, value)
            self._alive.append(value)

    def _check_size(self, value: Any, node: ast.AST) -> None:
        if len(value) > _MAX_SIZE:
            self.fail(node, f"a value of {len(value)} items is too large")


def evaluate_expression(node: ast.expr, filename: str) -> Any:
    """Evaluate one stand-alone expression (the ``_base_ = [...]`` list) with builtins only."""
    evaluator = Evaluator(filename, {})
    try:
        return evaluator.eval(node, evaluator.module_scope)
    except ConversionError:
        raise
    except Exception as error:
        raise ConversionError(
            f"evaluating this expression raised {type(error).__name__}: {error}",
            file=filename,
            line=getattr(node, "lineno", None),
        ) from error
