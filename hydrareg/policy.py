"""What a config may build or import: a blocklist that is always on, and a safe mode for untrusted configs.

A config is input: it may come from a model zoo, a colleague or an experiment tracker. Two layers decide
what a ``_target_``, a ``type`` that falls back to a dotted path, and ``custom_imports`` may reach:

- **The blocklist** (always on) refuses the callables Hydra 1.3.8 refuses: running processes
  (``os.system``, ``subprocess.*``, ``pty.spawn``), evaluating or importing code (``eval``, ``exec``,
  ``__import__``, ``importlib``, ``runpy``, ``pickle.loads``, ``ctypes``), reaching interpreter
  internals (``gc``, ``inspect``, ``sys._getframe``), and destroying files (``os.remove``,
  ``shutil.rmtree``). Only the destructive ones can be allowed, one by one, with Hydra's own variable
  ``HYDRA_INSTANTIATE_ALLOWLIST_OVERRIDE=os.remove:shutil.rmtree``. Both the name written and the name
  the object is defined under are checked. Unlike Hydra, the results of calls are not inspected:
  callables that call what they are handed (``map``, ``functools.reduce``) are refused instead.
- **Safe mode** (off unless the code or the person running the app turns it on) lets a config build only
  names registered in the registry tree and objects under an allowlist of modules or callables, and
  import only allowlisted (or already imported) modules. The config itself can never switch it.

Safe mode is a :class:`contextvars.ContextVar`, like the default scope: ``with safe_mode(allow=[...])``
(also a decorator for a Hydra task function), else the environment (``HYDRAREG_SAFE_MODE=1``,
``HYDRAREG_SAFE_ALLOW=torch.nn,my_lib``), read at every check so multirun workers inherit it.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ENV_ALLOW",
    "ENV_SAFE_MODE",
    "HYDRA_OVERRIDE_ENV",
    "SafeMode",
    "blocked_reason",
    "check_import",
    "check_locate",
    "check_module_import",
    "check_resolved",
    "check_target_name",
    "current_safe_mode",
    "is_refusal",
    "safe_mode",
]

ENV_SAFE_MODE = "HYDRAREG_SAFE_MODE"
ENV_ALLOW = "HYDRAREG_SAFE_ALLOW"
#: Hydra's variable: colon-separated targets of the overridable group that a trusted user allows.
HYDRA_OVERRIDE_ENV = "HYDRA_INSTANTIATE_ALLOWLIST_OVERRIDE"

# ---------------------------------------------------------------------------------------- blocklist
# Entries ending in "." are prefixes (a module and everything in it); others are exact names. Names are
# canonical: the public module a callable is documented in (``os.system``, not ``posix.system``).

#: Never allowed: a config would choose what code runs, or reach the interpreter's internals.
_EXECUTION = {
    "processes": (
        "os.system",
        "os.popen",
        "os.exec",
        "os.spawn",
        "os.posix_spawn",
        "os.posix_spawnp",
        "os.startfile",
        "os.putenv",
        "os.unsetenv",
        "os.environ.",
        "pty.",
        "subprocess.",
        "multiprocessing.",
        "concurrent.futures.",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
        "webbrowser.",
    ),
    "code evaluation and imports": (
        "builtins.eval",
        "builtins.exec",
        "builtins.compile",
        "builtins.__import__",
        "builtins.__build_class__",
        "builtins.breakpoint",
        "builtins.help",
        "builtins.input",
        "_sitebuiltins._Helper",
        "importlib.",
        "runpy.",
        "code.",
        "codeop.",
        "timeit.",
        "cProfile.",
        "profile.",
        "pdb.",
        "bdb.",
        "doctest.",
        "trace.",
        "pydoc.",
        "zipimport.",
        "types.new_class",
        "types.FunctionType",
        "types.MethodType",
        "types.CodeType",
        "types.coroutine",
        "dataclasses.make_dataclass",
        "typing.get_type_hints",
        "typing.ForwardRef.",
        "typing._eval_type",
        "typing.evaluate_forward_ref",
        "annotationlib.",
        "optparse.Values.read_",
        "builtins.str.format",
        "builtins.str.format_map",
        "collections.UserString.format",
        "string.Formatter.",
        "logging.Formatter",
        "logging.StrFormatStyle",
        "logging.config.",
    ),
    "deserialisation of code": (
        "pickle.",
        "marshal.",
        "shelve.",
        "dill.",
        "cloudpickle.",
        "joblib.load",
        "yaml.",
        "tracemalloc.Snapshot.load",
    ),
    "native code": ("ctypes.",),
    "interpreter internals": (
        "gc.",
        "inspect.",
        "sys.",
        "traceback.",
        "builtins.locals",
        "builtins.globals",
        "builtins.vars",
        "builtins.getattr",
        "builtins.setattr",
        "builtins.delattr",
        "builtins.type.__call__",
        "builtins.type.__new__",
        "builtins.frame.",
        "builtins.object.__",
        "_asyncio.Task.get_stack",
        "asyncio.tasks.Task.get_stack",
        "asyncio.base_tasks.",
        "hydra._internal.",
        "hydrareg.policy.",
        "unittest.mock.",
    ),
    "callables that call callables": (
        "builtins.map",
        "builtins.filter",
        "functools.reduce",
        "functools.partial.__call__",
        "functools.partialmethod",
        "functools.singledispatch",
        "functools.singledispatchmethod",
        "functools.wraps",
        "functools.update_wrapper",
        "functools.lru_cache",
        "functools.cache",
        "functools.cached_property",
        "itertools.starmap",
        "itertools.accumulate",
        "itertools.dropwhile",
        "itertools.takewhile",
        "itertools.filterfalse",
        "itertools.groupby",
        "operator.attrgetter",
        "operator.itemgetter",
        "operator.methodcaller",
        "operator.call",
        "operator.getitem",
        "operator.setitem",
        "operator.delitem",
        "operator.contains",
        "builtins.classmethod",
        "builtins.staticmethod",
        "builtins.property",
        "abc.abstract",
        "contextlib.contextmanager",
        "contextlib.asynccontextmanager",
        "contextlib.ContextDecorator.",
        "contextlib.AsyncContextDecorator.",
        "threading.Thread",
        "threading.Timer",
        "atexit.",
        "signal.",
    ),
}
#: Safe helpers inside a blocked family (Hydra keeps these too).
_EXECUTION_EXCEPTIONS = frozenset(
    {"yaml.safe_load", "yaml.safe_load_all", "yaml.safe_dump", "yaml.safe_dump_all", "doctest.DocTest",
     "doctest.DocTestParser", "doctest.Example", "pydoc.HTMLDoc", "pydoc.TextDoc", "trace.Trace"}
)  # fmt: skip
#: Refused unless named in ``HYDRA_INSTANTIATE_ALLOWLIST_OVERRIDE``: they destroy files or end processes.
_DESTRUCTIVE = frozenset(
    {"builtins.exit", "builtins.quit", "_sitebuiltins.Quitter", "os.kill", "os.killpg", "os.fork",
     "os.forkpty", "os.setuid", "os.remove", "os.removedirs", "os.rmdir", "os.unlink", "os.rename",
     "os.renames", "os.replace", "os.truncate", "os.chmod", "os.fchmod", "os.lchmod", "os.chown",
     "os.fchown", "os.lchown", "os.lchflags", "os.chroot", "os.chdir", "os.fchdir", "shutil.rmtree",
     "shutil.move", "shutil.chown",
     # beyond Hydra's list: what creates, truncates or overwrites a file
     "builtins.open", "io.open", "io.FileIO", "codecs.open", "os.open", "os.link", "os.symlink",
     "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.unpack_archive",
     "pathlib.Path.unlink", "pathlib.Path.rmdir", "pathlib.Path.rename", "pathlib.Path.replace",
     "pathlib.Path.write_text", "pathlib.Path.write_bytes", "pathlib.Path.open", "pathlib.Path.touch",
     "pathlib.Path.chmod", "pathlib.Path.symlink_to", "pathlib.Path.hardlink_to"}
)  # fmt: skip

_EXECUTION_EXACT = frozenset(n for group in _EXECUTION.values() for n in group if not n.endswith("."))
_EXECUTION_PREFIXES = tuple(n for group in _EXECUTION.values() for n in group if n.endswith("."))
_EXECUTION_FAMILIES = tuple(  # exact names that also cover what they start (os.exec -> os.execv)
    n for n in _EXECUTION_EXACT if n in ("os.exec", "os.spawn", "abc.abstract", "optparse.Values.read_")
)
#: Implementation modules -> the public module a callable is documented in.
_MODULE_ALIASES = {
    "posix": "os", "nt": "os", "posixpath": "os.path", "ntpath": "os.path", "_pickle": "pickle",
    "_operator": "operator", "_functools": "functools", "_io": "io", "_ctypes": "ctypes",
    "_frozen_importlib": "importlib", "_frozen_importlib_external": "importlib",
    "_collections_abc": "collections.abc",
    "_thread": "threading", "_signal": "signal", "_posixsubprocess": "subprocess", "_imp": "importlib",
    "pathlib._local": "pathlib", "pathlib._abc": "pathlib",
}  # fmt: skip


def canonical_name(name: str) -> str:
    """``'posix.system'`` -> ``'os.system'``: the name the blocklist knows a callable by."""
    module, dot, rest = name.partition(".")
    alias = _MODULE_ALIASES.get(module)
    if alias is None:
        return name
    return f"{alias}{dot}{rest}"


def blocked_reason(name: str) -> str | None:
    """Why the dotted callable name ``name`` is on the blocklist, or None if it is not.

    ``HYDRA_INSTANTIATE_ALLOWLIST_OVERRIDE`` lifts the destructive group only, exactly as in Hydra.
    """
    name = canonical_name(name)
    reason = _execution_reason(name)
    if (
        reason is None
        and name in _DESTRUCTIVE
        and name not in os.environ.get(HYDRA_OVERRIDE_ENV, "").split(":")
    ):
        return (
            "it deletes or changes files or processes; a trusted user may allow it with "
            f"{HYDRA_OVERRIDE_ENV}={name}"
        )
    return reason


@functools.lru_cache(maxsize=4096)
def _execution_reason(name: str) -> str | None:
    """The part of the blocklist no setting changes (cached: it runs on every dotted-path build)."""
    if name in _EXECUTION_EXCEPTIONS:
        return None
    if (
        name in _EXECUTION_EXACT
        or name.startswith(_EXECUTION_PREFIXES + _EXECUTION_FAMILIES)
        or name + "." in _EXECUTION_PREFIXES
    ):
        return "it lets a config run code of its choosing; no setting allows it"
    if any(part.startswith("__") and part.endswith("__") for part in name.split(".")[1:]):
        return "it reaches into a special (dunder) attribute; no setting allows it"
    return None


def identity_of(obj: Any) -> str:
    """The dotted name an object is defined under (``'os.system'`` for ``subprocess.os.system``)."""
    for _ in range(8):  # partials and ``__call__`` wrappers, a bounded number of layers
        inner = getattr(obj, "func", None) if type(obj).__name__ == "partial" else None
        if (
            inner is None
            and getattr(obj, "__name__", None) == "__call__"
            and callable(getattr(obj, "__self__", None))
        ):
            inner = obj.__self__
        if inner is None:
            break
        obj = inner
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    owner = getattr(obj, "__objclass__", None)  # method descriptors such as str.format
    if owner is None and isinstance(getattr(obj, "__self__", None), type):  # builtin classmethods
        owner = obj.__self__  # such as datetime.date.today
    if module is None and owner is not None:
        module = owner.__module__
    if not isinstance(module, str) or not isinstance(qualname, str):  # instances, e.g. builtins.exit
        kind = type(obj)
        module, qualname = kind.__module__, kind.__qualname__
    return canonical_name(f"{module}.{qualname}")


# ---------------------------------------------------------------------------------------- safe mode


@dataclass(frozen=True)
class SafeMode:
    """Safe mode's setting: the modules or callables a config may use beyond registered names."""

    allow: frozenset[str] = frozenset()

    def allows(self, name: str) -> bool:
        """Whether the dotted name is an allowlisted callable, or lies in an allowlisted module."""
        return any(name == entry or name.startswith(entry + ".") for entry in self.allow)

    def allows_import(self, module: str) -> bool:
        """Whether importing ``module`` is allowed: it is allowlisted, or the package of an entry."""
        return self.allows(module) or any(entry.startswith(module + ".") for entry in self.allow)


_OFF = SafeMode()  # a sentinel distinct from every real setting (identity, not equality)
_setting: ContextVar[SafeMode | None] = ContextVar("hydrareg_safe_mode", default=None)
_env_cache: tuple[tuple[str | None, str | None], SafeMode | None] = ((None, None), None)


@contextmanager
def safe_mode(enabled: bool = True, allow: Iterable[str] = ()) -> Iterator[SafeMode | None]:
    """Turn safe mode on (or, with ``enabled=False``, off) for a ``with`` block or a decorated function.

    ``allow`` names modules (``'torch.nn'``: everything in it) or single callables (``'torch.optim.SGD'``)
    that configs may build and import besides registered names. The environment is not consulted
    inside the block.
    """
    if isinstance(allow, str):
        allow = [entry for entry in allow.split(",") if entry]
    setting = SafeMode(frozenset(_checked_entries(allow))) if enabled else _OFF
    token = _setting.set(setting)
    try:
        yield current_safe_mode()
    finally:
        _setting.reset(token)


def _checked_entries(entries: Iterable[str]) -> list[str]:
    from .errors import ConfigValueError

    checked = []
    for entry in entries:
        if not isinstance(entry, str) or not all(part.isidentifier() for part in entry.split(".")):
            raise ConfigValueError(
                f"safe mode's allowlist takes dotted module or callable names, not {entry!r}"
            )
        checked.append(entry)
    return checked


def current_safe_mode() -> SafeMode | None:
    """The safe-mode setting in this context (None: off): the innermost ``safe_mode``, else the env."""
    setting = _setting.get()
    if setting is not None:
        return None if setting is _OFF else setting
    return _from_environment()


def _from_environment() -> SafeMode | None:
    global _env_cache
    flag = _read_flag()
    if not flag:  # the common case, on every dotted lookup: one fast read
        return None
    raw = (flag, os.environ.get(ENV_ALLOW))
    cached_raw, setting = _env_cache
    if raw == cached_raw:
        return setting
    flag = (raw[0] or "").strip().lower()
    if flag in ("", "0", "false", "no", "off"):
        setting = None
    elif flag in ("1", "true", "yes", "on"):
        setting = SafeMode(
            frozenset(_checked_entries(e.strip() for e in (raw[1] or "").split(",") if e.strip()))
        )
    else:
        from .errors import ConfigValueError

        raise ConfigValueError(f"{ENV_SAFE_MODE} must be 1 or 0 (true/false, on/off), not {raw[0]!r}")
    _env_cache = (raw, setting)
    return setting


def _environ_reader() -> Any:
    """A fast ``os.environ.get(ENV_SAFE_MODE)``: the mapping's own dict, when it has the usual layout."""
    data, encodekey = getattr(os.environ, "_data", None), getattr(os.environ, "encodekey", None)
    if not isinstance(data, dict) or encodekey is None:
        return lambda: os.environ.get(ENV_SAFE_MODE)
    key, decode = encodekey(ENV_SAFE_MODE), getattr(os.environ, "decodevalue", str)
    return lambda: None if (raw := data.get(key)) is None else decode(raw)


_read_flag = _environ_reader()


# ---------------------------------------------------------------------------------------- the checks


def check_target_name(name: str, config_path: str | None = None) -> None:
    """Before anything is imported for the dotted name ``name``: refuse blocklisted names."""
    reason = blocked_reason(name)
    if reason is not None:
        raise _blocked(name, name, reason, config_path)


def check_module_import(module: str, for_name: str, config_path: str | None = None) -> None:
    """Before importing ``module`` to reach ``for_name``: safe mode imports only what it allows."""
    setting = current_safe_mode()
    if setting is None or module in sys.modules or setting.allows_import(module) or not _findable(module):
        return
    raise _refused(
        f"safe mode: {for_name!r} would import the module {module!r}, which is not in the allowlist",
        config_path,
        setting,
    )


def check_locate(name: str, config_path: str | None = None) -> None:
    """Before a Hydra-style ``locate(name)``: in safe mode, refuse a module import it would make."""
    setting = current_safe_mode()
    if setting is None:
        return
    parts = name.split(".")
    for cut in range(1, len(parts)):
        module = ".".join(parts[:cut])
        if module in sys.modules or setting.allows_import(module):
            continue
        if not _is_module(module):
            return  # an attribute, or nothing: locate imports nothing more
        check_module_import(module, name, config_path)


def _is_module(module: str) -> bool:
    parent = module.rpartition(".")[0]
    if parent and parent not in sys.modules:
        return False
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError, AttributeError):
        return False


def check_resolved(name: str, obj: Any, registry: Any = None, config_path: str | None = None) -> Any:
    """After the dotted name ``name`` resolved to ``obj``: refuse what is blocked; returns ``obj``.

    In safe mode the object must be registered in ``registry``'s tree, or both the name written and
    the name it is defined under must be allowlisted.
    """
    identity = identity_of(obj)
    reason = blocked_reason(identity) or _environment_mutation(obj)
    if reason is not None:
        raise _blocked(name, identity, reason, config_path)
    resolved_by_path.add(id(obj))
    setting = current_safe_mode()
    if setting is None or (setting.allows(name) and setting.allows(identity)):
        return obj
    if registry is not None and _is_registered(obj, registry):
        return obj
    shown = name if identity == name else f"{name} (defined as {identity})"
    raise _refused(f"safe mode: {shown} is neither registered nor in the allowlist", config_path, setting)


def check_import(module: str, config_path: str | None = None) -> None:
    """Before ``custom_imports`` imports ``module``: safe mode imports only allowlisted modules."""
    if not isinstance(module, str):
        return  # the caller reports the wrong shape
    setting = current_safe_mode()
    if setting is None or module in sys.modules or setting.allows_import(module):
        return
    raise _refused(
        f"safe mode: custom_imports may import only allowlisted modules, not {module!r}",
        config_path,
        setting,
    )


def is_refusal(exc: BaseException) -> bool:
    """Whether ``exc`` is the policy refusing a target or import (blocklist or safe mode)."""
    from .errors import ForbiddenTargetError

    return isinstance(exc, ForbiddenTargetError)


def _findable(module: str) -> bool:
    """Whether importing ``module`` could run anything: its top-level package exists (runs nothing)."""
    top = module.partition(".")[0]
    return top in sys.modules or importlib.util.find_spec(top) is not None


def _environment_mutation(obj: Any) -> str | None:
    receiver = getattr(obj, "__self__", None)
    if receiver is os.environ or receiver is getattr(os, "environb", None):
        return "it changes the process environment"
    return None


def _is_registered(obj: Any, registry: Any) -> bool:
    """Whether ``obj`` is registered anywhere in ``registry``'s tree (a snapshot per tree version)."""
    root = registry.root
    version = root._tree.version
    cached = _registered_cache.get(root)
    if cached is None or cached[0] != version:
        ids = frozenset(id(item) for node in _walk(root) for item in node.module_dict.copy().values())
        cached = (version, ids)
        _registered_cache[root] = cached
    return id(obj) in cached[1]


_registered_cache: weakref.WeakKeyDictionary[Any, tuple[int, frozenset[int]]] = weakref.WeakKeyDictionary()


def _walk(registry: Any) -> Iterator[Any]:
    yield registry
    for child in list(registry.children.values()):
        yield from _walk(child)


def _blocked(name: str, identity: str, reason: str, config_path: str | None) -> Exception:
    from .errors import BlockedTargetError

    shown = name if identity == name else f"{name} (defined as {identity})"
    return BlockedTargetError(
        f"{shown} is on hydrareg's blocklist and cannot be built or called from a config: {reason}",
        config_path=config_path,
    )


def _refused(message: str, config_path: str | None, setting: SafeMode) -> Exception:
    from .errors import SafeModeError

    allowed = ", ".join(sorted(setting.allow)) or "(empty)"
    return SafeModeError(
        message,
        config_path=config_path,
        details=[
            ("allowlist", allowed),
            ("hint", "register the class, or allow it: safe_mode(allow=[...]) or " + ENV_ALLOW),
        ],
    )


#: ids of objects a dotted path resolved to (not registered names): a registry's cached answer that is
#: one of them is checked again, since safe mode may be on now. Module attributes: they live on.
resolved_by_path: set[int] = set()


def recheck_cached(name: str, obj: Any, registry: Any) -> Any:
    """A registry's cached answer for a dotted name, checked again when safe mode is on."""
    if current_safe_mode() is None:
        return obj
    return check_resolved(name, obj, registry)
