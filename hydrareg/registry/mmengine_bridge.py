"""MMEngine's registry tree and default scope, joined with hydrareg's: one lookup tree, one scope.

Loaded only once ``mmengine.registry`` is imported (:func:`._scopes.link_mmengine_if_loaded`);
``import hydrareg`` never imports mmengine. :func:`link` then, for each of the 23 root registries:

- hydrareg's root searches MMEngine's root of the same name after its own tree for unprefixed
  names, importing the mmengine subpackage whose import registers MMEngine's own classes there;
- MMEngine's child registries (an installed mmdet's, a user's) become nodes of hydrareg's tree
  (:class:`AdoptedRegistry`): the same name dict, their ``locations`` (and MMEngine's
  ``register_all_modules`` fallback) imported through MMEngine, hydrareg's build functions;
- hydrareg's child registries become nodes of MMEngine's tree (:class:`HydraregNodeInMMEngine`)
  that answer through hydrareg, so MMEngine's ``get``, ``_scope_`` and ``DefaultScope`` reach them;
- every hydrareg scope switch pushes one ``DefaultScope`` in MMEngine and removes exactly that one
  when it ends (:class:`DefaultScopeMirror`).

MMEngine internals read or replaced here, as of mmengine 0.10.7: ``Registry._module_dict`` and
``Registry._children`` (replaced by dicts that report changes, so hydrareg's build caches never
serve a stale answer), ``Registry._imported`` and ``DefaultScope._instance_dict``.
"""

from __future__ import annotations

import importlib
import itertools
import warnings
from collections.abc import Callable
from typing import Any

import mmengine
import mmengine.registry as mm
from mmengine.registry import DefaultScope as MMEngineDefaultScope
from mmengine.registry import Registry as MMEngineRegistry

from ..errors import ConfigTypeError, ConfigValueError, RegistryImportError
from . import _scopes, scope
from .registry import Registry, _ModuleDict
from .root import ROOT_REGISTRIES

__all__ = ["AdoptedRegistry", "DefaultScopeMirror", "HydraregNodeInMMEngine", "as_registry", "link"]

#: The mmengine releases whose private attributes (listed above) were checked.
CHECKED_VERSION = "0.10."

#: The mmengine subpackage whose import registers MMEngine's own classes into each root registry.
ROOT_PACKAGES = {
    "RUNNERS": "mmengine.runner",
    "RUNNER_CONSTRUCTORS": "mmengine.runner",
    "LOOPS": "mmengine.runner",
    "LOG_PROCESSORS": "mmengine.runner",
    "HOOKS": "mmengine.hooks",
    "STRATEGIES": "mmengine._strategy",
    "DATASETS": "mmengine.dataset",
    "DATA_SAMPLERS": "mmengine.dataset",
    "TRANSFORMS": "mmengine.dataset",
    "FUNCTIONS": "mmengine.dataset",
    "MODELS": "mmengine.model",
    "MODEL_WRAPPERS": "mmengine.model",
    "WEIGHT_INITIALIZERS": "mmengine.model",
    "OPTIMIZERS": "mmengine.optim",
    "OPTIM_WRAPPERS": "mmengine.optim",
    "OPTIM_WRAPPER_CONSTRUCTORS": "mmengine.optim",
    "PARAM_SCHEDULERS": "mmengine.optim",
    "METRICS": "mmengine.evaluator",
    "EVALUATOR": "mmengine.evaluator",
    "VISUALIZERS": "mmengine.visualization",
    "VISBACKENDS": "mmengine.visualization",
}

# MMEngine's standard build functions -> hydrareg's equivalents (filled by link()).
_OUR_BUILD_FUNCS: dict[Callable[..., Any], Callable[..., Any]] = {}
_links: dict[int, _TreeLink] = {}  # id(MMEngine root) -> its link


class DefaultScopeMirror:
    """MMEngine's process-global DefaultScope, following hydrareg's switches (see :mod:`.scope`)."""

    def __init__(self) -> None:
        self._numbers = itertools.count()

    def push(self, scope_name: str) -> str:
        name = f"hydrareg-scope-{next(self._numbers)}"
        MMEngineDefaultScope.get_instance(name, scope_name=scope_name)  # the newest is current
        return name

    def pop(self, name: str) -> None:
        MMEngineDefaultScope._instance_dict.pop(name, None)  # only ours; later ones stay

    def current(self) -> str | None:
        instances = MMEngineDefaultScope._instance_dict
        if not instances:
            return None
        try:
            return instances[next(reversed(instances))].scope_name
        except (KeyError, StopIteration, RuntimeError):  # changed by another thread meanwhile
            return None


class LinkedRoot:
    """MMEngine's root registry, as hydrareg's root of the same name searches it."""

    def __init__(self, registry: MMEngineRegistry, package: str | None) -> None:
        self.registry = registry
        self.package = package

    def get(self, name: str) -> Any:
        obj = self.registry._module_dict.get(name)
        if obj is None and self.package is not None:
            package, self.package = self.package, None
            importlib.import_module(package)  # MMEngine's own classes register when imported
            obj = self.registry._module_dict.get(name)
        return obj


class AdoptedRegistry(Registry):
    """One of MMEngine's registries as a node of hydrareg's tree: same scope, same name dict."""

    _mm: MMEngineRegistry

    @classmethod
    def around(cls, registry: MMEngineRegistry, parent: Registry | None) -> AdoptedRegistry:
        node = cls(registry.name, build_func=_build_with_mmengine_func, parent=parent, scope=registry.scope)
        node._mm = registry
        node._module_dict = _watched_module_dict(registry, node._tree)
        node._imported = bool(registry._imported)
        node._tree.version += 1
        return node

    def _import_modules(self) -> None:
        """MMEngine's own lazy import: its ``locations``, or ``{scope}.utils.register_all_modules``."""
        try:
            self._mm.import_from_location()
        except Exception as exc:
            where = f"{self.scope}::{self.name}"
            raise RegistryImportError(
                f"importing the locations of MMEngine's {where} registry failed: {type(exc).__name__}: {exc}",
                registry=where,
            ) from exc


class HydraregNodeInMMEngine(MMEngineRegistry):
    """A hydrareg registry as a node of MMEngine's tree: MMEngine's lookups there go through hydrareg."""

    def __init__(self, node: Registry, parent: MMEngineRegistry) -> None:
        self.node = node
        super().__init__(node.name, parent=parent, scope=node.scope, locations=[])
        self._module_dict = node._module_dict  # MMEngine's traversal and repr see the same names
        self._imported = True

    def get(self, key: str) -> Any:
        return self.node.get(key)

    def import_from_location(self) -> None:
        self.node.import_from_location()

    def _search_child(self, scope_name: str) -> MMEngineRegistry | None:
        if scope_name in self.node.scope_names:
            return self
        return super()._search_child(scope_name)


class _Children(dict):
    """An MMEngine registry's children dict that tells the link about each new child."""

    __slots__ = ("_on_new", "_owner")
    _on_new: Any
    _owner: Any

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._on_new(self._owner, value)


def _watched_module_dict(registry: MMEngineRegistry, tree: Any) -> _ModuleDict:
    """Give ``registry`` a name dict that bumps hydrareg's tree version on every change."""
    names = registry._module_dict
    if not isinstance(names, _ModuleDict):
        names = _ModuleDict(names)
        registry._module_dict = names
    names._tree = tree
    return names


def _build_with_mmengine_func(cfg: Any, *args: Any, registry: AdoptedRegistry, **kwargs: Any) -> Any:
    """Build with hydrareg's equivalent of the MMEngine registry's build function, if it has one."""
    func = registry._mm.build_func
    ours = _OUR_BUILD_FUNCS.get(func)
    if ours is not None:
        return ours(cfg, *args, registry=registry, **kwargs)
    return func(cfg, *args, registry=registry._mm, **kwargs)  # a library's own build function


class _TreeLink:
    """One MMEngine tree and one hydrareg tree, kept joined as either side grows."""

    def __init__(self, root: Registry, mm_root: MMEngineRegistry) -> None:
        self.root, self.mm_root = root, mm_root
        self.adopted: dict[int, Registry] = {id(mm_root): root}
        self.exposed: dict[int, MMEngineRegistry] = {id(root): mm_root}

    def start(self) -> None:
        root, mm_root = self.root, self.mm_root
        self._watch_children(mm_root)
        if not isinstance(root, AdoptedRegistry):
            _watched_module_dict(mm_root, root._tree)
            root._tree.on_new_child = self.hydrareg_child_added
            for child in list(root.children.values()):
                self.expose(child, mm_root)
        for child in list(mm_root._children.values()):
            self.adopt(child, root)

    def _watch_children(self, registry: MMEngineRegistry) -> None:
        children = registry._children
        if not isinstance(children, _Children):
            children = _Children(children)
            registry._children = children
        children._owner, children._on_new = registry, self.mmengine_child_added

    def adopt(self, registry: MMEngineRegistry, parent: Registry) -> None:
        """An MMEngine registry, and everything below it, into hydrareg's tree."""
        if isinstance(registry, HydraregNodeInMMEngine) or id(registry) in self.adopted:
            return
        self._watch_children(registry)
        try:
            node = AdoptedRegistry.around(registry, parent)
        except ConfigValueError:
            _scopes.say_once(
                registry.scope, f"hydrareg's registry keeps it below {parent.scope}::{parent.name}"
            )
            return
        self.adopted[id(registry)] = node
        self.exposed[id(node)] = registry
        for child in list(registry._children.values()):
            self.adopt(child, node)

    def expose(self, node: Registry, parent: MMEngineRegistry) -> None:
        """A hydrareg registry, and everything below it, into MMEngine's tree."""
        if isinstance(node, AdoptedRegistry) or id(node) in self.exposed:
            return
        if node.scope in parent._children:
            _scopes.say_once(node.scope, f"MMEngine's registry keeps it below {parent.scope}::{parent.name}")
            return
        proxy = HydraregNodeInMMEngine(node, parent)
        for alias in sorted(node.scope_names - {node.scope}):  # 'mmpretrain.X' for the demo mmcls
            parent._children.setdefault(alias, proxy)
        self._watch_children(proxy)
        self.exposed[id(node)] = proxy
        self.adopted[id(proxy)] = node
        for child in list(node.children.values()):
            self.expose(child, proxy)

    def hydrareg_child_added(self, node: Registry) -> None:
        parent = self.exposed.get(id(node.parent))
        if parent is not None:
            self.expose(node, parent)

    def mmengine_child_added(self, owner: MMEngineRegistry, registry: MMEngineRegistry) -> None:
        parent = self.adopted.get(id(owner))
        if parent is not None:
            self.adopt(registry, parent)


def link() -> None:
    """Join MMEngine's 23 root trees to hydrareg's and mirror every scope switch (idempotent)."""
    if not mmengine.__version__.startswith(CHECKED_VERSION) and not _links:
        warnings.warn(
            f"hydrareg's MMEngine bridge was written for mmengine {CHECKED_VERSION}x, not "
            f"{mmengine.__version__}: the private attributes it relies on may have changed",
            UserWarning,
            stacklevel=2,
        )
    for attr, root in ROOT_REGISTRIES.items():
        mm_root = getattr(mm, attr)
        if id(mm_root) in _links:
            continue
        _OUR_BUILD_FUNCS.setdefault(mm_root.build_func, root.build_func)
        root._linked_root = LinkedRoot(mm_root, ROOT_PACKAGES.get(attr))
        _links[id(mm_root)] = tree_link = _TreeLink(root, mm_root)
        tree_link.start()
    if not isinstance(scope.installed_mirror(), DefaultScopeMirror):
        scope.install_mirror(DefaultScopeMirror())


def as_registry(registry: Any) -> Registry:
    """hydrareg's node for an MMEngine registry (``mmdet.registry.MODELS``), linking first."""
    if not isinstance(registry, MMEngineRegistry):
        raise ConfigTypeError(f"registry must be a hydrareg or MMEngine Registry, but got {type(registry)}")
    link()
    mm_root = registry._get_root_registry()
    tree_link = _links.get(id(mm_root))
    if tree_link is None:  # a tree of MMEngine registries of its own: adopt it whole
        tree_link = _links[id(mm_root)] = _TreeLink(AdoptedRegistry.around(mm_root, None), mm_root)
        tree_link.start()
    node = tree_link.adopted.get(id(registry))
    if node is None:
        raise ConfigValueError(
            f"MMEngine's {registry.scope}::{registry.name} registry has the scope of a hydrareg "
            "registry in the same tree; build with that one instead",
            registry=f"{registry.scope}::{registry.name}",
        )
    return node
