"""The hierarchical registry: names to classes or functions, in a tree of scopes.

Same contract as ``mmengine.registry.Registry``; the differences are deliberate and listed in the
README ("Where hydrareg differs from MMEngine"). Lookups are plain dict reads with no logging, and
the only imports a lookup can trigger are a registry's own ``locations``, a package's declared
scope module, or the module of an explicit dotted path such as ``'torch.nn.ReLU'``.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from .. import policy
from ..errors import (
    ConfigTypeError,
    ConfigValueError,
    HydraregError,
    RegistrationError,
    RegistryImportError,
)
from ..policy import resolved_by_path as _resolved_by_path
from . import _scopes
from .scope import current_scope_name, use_scope
from .tree import walk_registry_tree

__all__ = ["Registry"]


class _ModuleDict(dict):
    """A registry's name -> object dict; any change invalidates the tree's lookup caches.

    ``module_dict`` is public and live (as in MMEngine), so edits made directly to it must be
    seen too. Reads are plain dict reads.
    """

    __slots__ = ("_tree",)
    _tree: _TreeState

    def _changed(self) -> None:
        tree = getattr(self, "_tree", None)  # unset while unpickling
        if tree is not None:
            tree.version += 1

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def pop(self, *args: Any) -> Any:
        value = super().pop(*args)
        self._changed()
        return value

    def popitem(self) -> Any:
        item = super().popitem()
        self._changed()
        return item

    def clear(self) -> None:
        super().clear()
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def setdefault(self, key: str, default: Any = None) -> Any:
        value = super().setdefault(key, default)
        self._changed()
        return value


#: Makes a registration's check-and-set one step: two threads registering different objects under one
#: name get one error, not a silent last-wins. Module-level, so registries still copy and pickle.
_REGISTERING = threading.RLock()  # reentrant: a registration may trigger another (the MMEngine bridge)


class _TreeState:
    """What all registries of one tree share: a version bumped by every change in the tree, the
    unknown scopes already warned about (once per tree), and who hears of new child registries
    (the MMEngine bridge, for the root trees it links)."""

    __slots__ = ("on_new_child", "unknown_scopes", "version")

    def __init__(self) -> None:
        self.version = 0
        self.unknown_scopes: set[str] = set()
        self.on_new_child: Callable[[Registry], None] | None = None


class Registry:
    """A registry of named callables with a scope, a parent and children keyed by scope.

    Args:
        name: What the registry holds, e.g. ``'model'``.
        build_func: How ``build`` turns a config into an object; inherited from ``parent``,
            else :func:`~hydrareg.registry.build_from_cfg`.
        parent: The registry to fall back to, usually a root registry.
        scope: The scope name (``'mmdet'``); inferred from the calling module's top-level package.
        locations: Modules imported the first time the registry is searched, which register
            the classes lazily.
        scope_aliases: Further prefixes that mean this registry (``'mmpretrain'`` for ``'mmcls'``).
    """

    #: The build function of a registry with neither ``build_func`` nor a parent:
    #: :func:`~hydrareg.registry.build_from_cfg`, set by that module (which depends on this one).
    default_build_func: ClassVar[Callable[..., Any]]
    #: ``(module, attribute)`` where a root registry lives, so it pickles by reference.
    _pickle_address: tuple[str, str] | None = None
    #: On a root: another library's root searched after it for unprefixed names (MMEngine's).
    _linked_root: Any = None
    #: On a root: names whose entry is a stand-in (torch's ``MultiStepLR``) that yields to the
    #: linked root's own class of that name (MMEngine's ``MultiStepLR``), so both trees agree.
    _stand_ins: frozenset[str] = frozenset()

    def __init__(
        self,
        name: str,
        build_func: Callable[..., Any] | None = None,
        parent: Registry | None = None,
        scope: str | None = None,
        locations: Sequence[str] = (),
        *,
        scope_aliases: Sequence[str] = (),
    ) -> None:
        _check_arguments(name, build_func, parent, scope, locations)
        self._name = name
        self._created_in = sys._getframe(1).f_globals.get("__name__")
        self._tree: _TreeState = parent._tree if parent is not None else _TreeState()
        self._module_dict = _ModuleDict()
        self._module_dict._tree = self._tree
        self._build_cache: dict[tuple[str | None, str], Any] = {}
        self._build_cache_version = -1
        self._children: dict[str, Registry] = {}
        self._locations = list(locations)
        self._imported = not self._locations
        self._scope = scope if scope is not None else infer_scope()
        self._scope_names = frozenset((self._scope, *scope_aliases))
        self.parent = parent
        self._root: Registry = self if parent is None else parent.root
        # Only the root's index is used: every scope (and alias) in the tree -> its first node.
        self._scope_index: dict[str, Registry] = {}
        if build_func is not None:
            self.build_func = build_func
        elif parent is not None:
            self.build_func = parent.build_func
        else:
            self.build_func = type(self).default_build_func
        if parent is not None:
            parent._add_child(self)
        else:
            self._index(self)

    # ------------------------------------------------------------------ properties

    @property
    def name(self) -> str:
        return self._name

    @property
    def scope(self) -> str:
        return self._scope

    @property
    def scope_names(self) -> frozenset[str]:
        """The scope and its aliases: every prefix that means this registry."""
        return self._scope_names

    @property
    def module_dict(self) -> dict[str, Callable[..., Any]]:
        return self._module_dict

    @property
    def children(self) -> dict[str, Registry]:
        return self._children

    @property
    def root(self) -> Registry:
        return self._root

    def _get_root_registry(self) -> Registry:
        """MMEngine's name for :attr:`root`."""
        return self._root

    def __len__(self) -> int:
        return len(self._module_dict)

    def __contains__(self, key: object) -> bool:
        try:
            return self.get(key) is not None  # type: ignore[arg-type]
        except HydraregError as exc:  # a name the policy refuses is not "in" the registry
            if policy.is_refusal(exc):
                return False
            raise

    def __reduce_ex__(self, protocol: Any) -> Any:
        """Pickle registries of the root trees by reference, so a worker gets its own live node.

        cloudpickle ships a ``__main__`` task function by value together with the globals it
        uses; a registry copied that way would be detached from the worker's real tree (classes
        imported later in the worker would be missing). Registries created in ``__main__`` itself
        cannot be found again in another process and are pickled by value, as before.
        """
        address = self._root_address()
        if address is None:
            return object.__reduce_ex__(self, protocol)
        return (_registry_at, address)

    def _root_address(self) -> tuple[str, str, tuple[str, ...]] | None:
        scopes = []
        node: Registry = self
        while node.parent is not None:
            if node._created_in == "__main__":
                return None
            scopes.append(node.scope)
            node = node.parent
        if node._pickle_address is None:
            return None
        return (*node._pickle_address, tuple(reversed(scopes)))

    def __repr__(self) -> str:
        parent = f", parent={self.parent.scope}::{self.parent.name}" if self.parent else ""
        head = f"Registry of {self._name} (scope={self._scope}{parent}, {len(self)} modules)"
        if not self._module_dict:
            return head
        width = max(len(name) for name in self._module_dict)
        rows = [f"  {name:<{width}}  {_describe(obj)}" for name, obj in sorted(self._module_dict.items())]
        return "\n".join([head, *rows])

    # ------------------------------------------------------------------ tree

    def _add_child(self, registry: Registry) -> None:
        if registry.scope in self._children:
            raise ConfigValueError(
                f"scope {registry.scope} exists in {self._name} registry",
                registry=f"{self._scope}::{self._name}",
            )
        self._children[registry.scope] = registry
        self._root._index(registry)
        self._tree.version += 1
        if self._tree.on_new_child is not None:
            self._tree.on_new_child(registry)
        elif self._root._pickle_address is not None:  # a root tree: MMEngine's may need linking now
            _scopes.link_mmengine_if_loaded()

    def _index(self, registry: Registry) -> None:
        for scope in registry.scope_names:
            self._scope_index.setdefault(scope, registry)

    def _search_child(self, scope: str) -> Registry | None:
        """The first node with ``scope`` in the subtree below (and including) this registry."""
        for _, node in walk_registry_tree(self):
            if scope in node.scope_names:
                return node
        return None

    def first_unknown_scope_use(self, scope: str) -> bool:
        """True the first time this tree is asked to switch to ``scope`` without having it."""
        warned = self._tree.unknown_scopes
        if scope in warned:
            return False
        warned.add(scope)
        return True

    def find_scope(self, scope: str) -> Registry | None:
        """The node for ``scope`` in this tree: a direct child first, then anywhere below the root.

        Scopes not in the tree yet are looked up among the installed packages' declared scopes,
        whose registry module is then imported (see :mod:`hydrareg.registry._scopes`).
        """
        if scope in self._scope_names:
            return self
        node = self._children.get(scope)
        if node is not None:
            return node
        node = self._root._scope_index.get(scope)
        if node is None and _discover_scope(scope, self):
            node = self._root._scope_index.get(scope)
        return node

    # ------------------------------------------------------------------ keys

    @staticmethod
    def split_scope_key(key: str) -> tuple[str | None, str]:
        """``'mmdet.YOLOX'`` -> ``('mmdet', 'YOLOX')``; ``'YOLOX'`` -> ``(None, 'YOLOX')``."""
        scope, dot, name = key.partition(".")
        if not dot:
            return None, key
        return scope, name

    # ------------------------------------------------------------------ registration

    def register_module(
        self,
        name: str | Sequence[str] | None = None,
        force: bool = False,
        module: Callable[..., Any] | None = None,
    ) -> Any:
        """Register ``module`` (or, used as a decorator, the decorated object) under ``name``.

        ``name`` may be a list of aliases; either all of them are registered or, on a clash, none.
        Registering the very same object again under a name is a no-op.
        """
        if not isinstance(force, bool):
            raise ConfigTypeError(f"force must be a boolean, but got {type(force)}")
        if not (name is None or isinstance(name, str) or _is_str_sequence(name)):
            raise ConfigTypeError(
                f"name must be None, an instance of str, or a sequence of str, but got {type(name)}"
            )
        if module is not None:
            self._register_module(module, name, force)
            return module

        def _register(obj: Any) -> Any:
            self._register_module(obj, name, force)
            return obj

        return _register

    def _register_module(self, module: Any, name: str | Sequence[str] | None, force: bool) -> None:
        if not callable(module):
            raise ConfigTypeError(f"module must be Callable, but got {type(module)}")
        names = self._names_for(module, name)
        with _REGISTERING:
            if not force:
                for key in names:
                    self._refuse_taken(key, module)
            for key in names:
                self._module_dict[key] = module

    def _refuse_taken(self, key: str, module: Any) -> None:
        existing = self._module_dict.get(key)
        if existing is not None and existing is not module:
            where = getattr(existing, "__module__", None) or type(existing).__name__
            raise RegistrationError(
                f"{key} is already registered in {self._name} at {where}",
                registry=f"{self._scope}::{self._name}",
                details=[("hint", "pass force=True to replace it, or choose another name")],
            )

    def _names_for(self, module: Any, name: str | Sequence[str] | None) -> list[str]:
        if isinstance(name, str):
            names = [name]
        elif name is not None:
            names = list(name)
            if not names:
                raise ConfigValueError(
                    f"an empty name list registers nothing (registering {module!r})",
                    registry=f"{self._scope}::{self._name}",
                )
        else:
            inferred = getattr(module, "__name__", None)
            if not isinstance(inferred, str):
                raise ConfigTypeError(
                    f"cannot infer a name for {module!r}: pass name=...",
                    registry=f"{self._scope}::{self._name}",
                )
            names = [inferred]
        for key in names:
            if not key:
                raise ConfigValueError(
                    "an empty string is not a valid name", registry=f"{self._scope}::{self._name}"
                )
        return names

    # ------------------------------------------------------------------ lookup

    def import_from_location(self) -> None:
        """Import this registry's ``locations`` once; a failure is retried on the next lookup."""
        if self._imported:
            return
        self._import_modules()
        self._imported = True
        self._tree.version += 1

    def _import_modules(self) -> None:
        """Import the ``locations``; an error names the location and this registry."""
        for location in self._locations:
            try:
                importlib.import_module(location)
            except Exception as exc:
                raise RegistryImportError(
                    f"importing {location!r}, a location of the {self._scope}::{self._name} "
                    f"registry, failed: {type(exc).__name__}: {exc}",
                    registry=f"{self._scope}::{self._name}",
                ) from exc

    def get(self, key: str) -> Callable[..., Any] | None:
        """The object registered as ``key``, or None.

        ``'Name'`` searches this registry, then its parents. ``'scope.Name'`` searches the node of
        that scope anywhere in the tree (then its parents); the own scope's prefix falls back to
        the parents too. A full dotted path (``'torch.nn.ReLU'``) not found in the tree is
        imported and returned if it is a class or function.
        """
        if not isinstance(key, str):
            raise ConfigTypeError(f"The key argument of `Registry.get` must be a str, got {type(key)}")
        if not self._imported:
            self.import_from_location()
        obj = self._module_dict.get(key)
        if obj is not None:
            return obj if key not in self._stand_ins else self._get_from_linked_root(key) or obj
        if "." not in key:
            return self._get_from_parents(key)
        scope, name = key.split(".", 1)
        if scope in self._scope_names:
            obj = self.get(name)
            if obj is None and "." in name:  # 'mmengine.model.BaseModel' on a root of scope mmengine
                obj = import_dotted_object(key, self)
            return obj
        node = self.find_scope(scope)
        if node is not None:
            return node.get(name)
        return import_dotted_object(key, self)

    def _get_from_parents(self, name: str) -> Callable[..., Any] | None:
        registry = self.parent
        while registry is not None:
            if not registry._imported:
                registry.import_from_location()
            obj = registry._module_dict.get(name)
            if obj is not None:
                return obj if name not in registry._stand_ins else self._get_from_linked_root(name) or obj
            registry = registry.parent
        return self._get_from_linked_root(name)

    def _get_from_linked_root(self, name: str) -> Callable[..., Any] | None:
        """``name`` in the root linked to this tree's root (MMEngine's), linking it if it is loaded."""
        linked = self._root._linked_root
        if linked is None:
            if "mmengine.registry" not in sys.modules or not _scopes.link_mmengine_if_loaded():
                return None
            linked = self._root._linked_root
        return None if linked is None else linked.get(name)

    def search_chain(self) -> list[Registry]:
        """This registry and its ancestors: where an unprefixed name is looked up, in order."""
        chain = []
        registry: Registry | None = self
        while registry is not None:
            chain.append(registry)
            registry = registry.parent
        return chain

    # ------------------------------------------------------------------ build

    def build(self, cfg: Any, *args: Any, **kwargs: Any) -> Any:
        """Build an object from ``cfg`` with this registry's ``build_func``."""
        if args or kwargs:
            return self.build_func(cfg, *args, **kwargs, registry=self)
        return self.build_func(cfg, registry=self)

    def registry_for_current_scope(self) -> Registry:
        """The node a build should use: the current default scope's node in this tree, else self."""
        return self._registry_for_scope(current_scope_name())

    def _registry_for_scope(self, scope: str | None) -> Registry:
        if scope is None or scope in self._scope_names:
            return self
        node = self.find_scope(scope)
        return self if node is None else node

    def lookup_for_build(self, key: str, scope: str | None) -> Callable[..., Any] | None:
        """What a build under default scope ``scope`` finds for ``key``: the scope's registry
        first, then this one (see :func:`~hydrareg.registry.build_from_cfg`); None if nothing.

        Results are cached per registry and dropped whenever anything in the tree changes
        (a registration, a new child registry, a lazy import, an edit of a ``module_dict``).
        """
        if self._build_cache_version != self._tree.version:
            self._build_cache.clear()
            self._build_cache_version = self._tree.version
        obj = self._build_cache.get((scope, key))
        if obj is not None:
            if "." in key and id(obj) in _resolved_by_path:  # not a registered name: check again
                return policy.recheck_cached(key, obj, self)
            return obj
        target = self._registry_for_scope(scope)
        obj = target.get(key)
        if obj is None and target is not self:
            obj = self.get(key)
        if obj is not None and self._build_cache_version == self._tree.version:
            self._build_cache[(scope, key)] = obj  # not if the lookup itself changed the tree
        return obj

    @contextmanager
    def switch_scope_and_registry(self, scope: str | None) -> Iterator[Registry]:
        """Make ``scope`` the default scope for the block and yield the registry to build with.

        With ``scope=None`` the current default scope (if any) decides the registry. A scope
        with no node in this tree keeps the scope switched but yields ``self``, with a warning.
        """
        with use_scope(scope, self):
            yield self.registry_for_current_scope()


def _registry_at(module: str, root_attr: str, scopes: tuple[str, ...]) -> Registry:
    """Unpickle a registry: the live node at ``scopes`` below the root ``module.root_attr``."""
    node = getattr(importlib.import_module(module), root_attr)
    for scope in scopes:
        child = node.find_scope(scope)
        if child is None:
            raise ConfigValueError(
                f"cannot unpickle the {'.'.join(scopes)} registry below {root_attr}: "
                f"no registry with scope {scope!r} in this process (import the library that creates it)"
            )
        node = child
    return node


def infer_scope() -> str:
    """The top-level package of the module that created the registry (``'__main__'`` in scripts)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back  # type: ignore[assignment]
    module = None if frame is None else frame.f_globals.get("__name__")
    if not module:
        warnings.warn(
            "cannot infer the scope of a registry created outside a module; using 'mmengine'. "
            "Pass scope=... explicitly.",
            UserWarning,
            stacklevel=3,
        )
        return "mmengine"
    return module.split(".")[0]


def _check_arguments(name: Any, build_func: Any, parent: Any, scope: Any, locations: Any) -> None:
    """``Registry(...)``'s argument checks: typed errors where MMEngine has bare asserts."""
    if not isinstance(name, str):
        raise ConfigTypeError(f"name must be a str, but got {type(name)}")
    if scope is not None and not isinstance(scope, str):
        raise ConfigTypeError(f"scope must be a str, but got {type(scope)}")
    if parent is not None and not isinstance(parent, Registry):
        raise ConfigTypeError(f"parent must be a Registry, but got {type(parent)}")
    if isinstance(locations, str) or not all(isinstance(loc, str) for loc in locations):
        raise ConfigTypeError(f"locations must be a sequence of module names, got {locations!r}")
    if build_func is not None and not callable(build_func):
        raise ConfigTypeError(f"build_func must be callable, but got {type(build_func)}")


def _is_str_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)


def _describe(obj: Any) -> str:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{module}.{qualname}" if module else qualname


def _discover_scope(scope: str, registry: Registry) -> bool:
    """Make ``scope`` known if anything installed provides it; True if something was imported."""
    if _scopes.link_mmengine_if_loaded() and scope in registry.root._scope_index:
        return True
    try:
        module = _scopes.import_scope(scope)
    except _scopes.ScopeImportError as exc:
        raise RegistryImportError(
            f"importing {exc.module!r}, which provides the scope {scope!r}, failed: "
            f"{type(exc.__cause__).__name__}: {exc.__cause__}",
            registry=f"{registry.scope}::{registry.name}",
        ) from exc.__cause__
    if module is None:
        return False
    _scopes.link_mmengine_if_loaded()
    return True


def import_dotted_object(key: str, registry: Registry) -> Callable[..., Any] | None:
    """``'pkg.mod.Name'`` -> the class or function, if the module exists; modules never count.

    A module that exists but fails while importing raises :class:`RegistryImportError` naming
    the key, instead of looking like a plain miss (mmengine-registry.md #15).
    """
    parts = key.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    policy.check_target_name(key)
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        policy.check_module_import(module_name, key)
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if module_name == missing or module_name.startswith(missing + "."):
                continue
            raise _dotted_import_error(key, module_name, exc, registry) from exc
        except Exception as exc:
            raise _dotted_import_error(key, module_name, exc, registry) from exc
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        if inspect.ismodule(obj) or not callable(obj):
            return None
        return policy.check_resolved(key, obj, registry)
    return None


def _dotted_import_error(
    key: str, module_name: str, exc: BaseException, registry: Registry
) -> RegistryImportError:
    return RegistryImportError(
        f"{key} was looked up as a dotted path, but importing {module_name!r} failed: "
        f"{type(exc).__name__}: {exc}",
        registry=f"{registry.scope}::{registry.name}",
    )
