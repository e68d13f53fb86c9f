"""A seeded fuzzer over build configs (Hypothesis): whatever the config, hydrareg keeps its promises.

For every generated config, as a dict and as a DictConfig (when OmegaConf can hold it), with safe mode off
and on:

- the only exceptions are hydrareg's own or the constructor's own (``ConstructorError`` here, or what a
  builtin raises), and the message names the config path: a hydrareg error's ``config path:`` line, or
  exactly one note ``while building X from config path P`` that only the call site adds;
- the input is unchanged and the default scope is restored;
- in safe mode no unregistered callable runs.

``HYDRAREG_FUZZ_EXAMPLES`` sets the number of configs (default 1500, about 20 s; the report's figure was
measured with 10000).
"""

from __future__ import annotations

import copy
import os
import warnings
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from hydrareg import instantiate  # noqa: E402
from hydrareg.errors import HydraregError  # noqa: E402
from hydrareg.policy import safe_mode  # noqa: E402
from hydrareg.registry import Registry, current_scope_name  # noqa: E402
from hydrareg.registry.manager import ManagerMixin  # noqa: E402

EXAMPLES = int(os.environ.get("HYDRAREG_FUZZ_EXAMPLES", "1500"))
UNREGISTERED_CALLS: list[Any] = []


class ConstructorError(ValueError):
    """What the fuzzed constructors raise themselves: the one exception type that is not hydrareg's."""


def fz_unregistered(*args: Any, **kwargs: Any) -> str:
    """Importable but never registered: safe mode must never call it."""
    UNREGISTERED_CALLS.append((args, kwargs))
    return "called"


def _tree() -> Registry:
    root = Registry("fuzz", scope="fz")
    child = Registry("fuzz", parent=root, scope="fza")
    Registry("fuzz", parent=root, scope="fzb")

    @root.register_module()
    class Leaf:
        def __init__(self, size: int = 1, name: str = "") -> None:
            if isinstance(size, int) and size < 0:
                raise ConstructorError(f"size must be >= 0, got {size}")
            self.size = size

    @root.register_module()
    class Holder:
        """MMEngine style: builds its child config itself."""

        def __init__(self, child: Any = None, **kwargs: Any) -> None:
            self.child = root.build(child) if isinstance(child, dict) and "type" in child else child

    @child.register_module()
    class Strict:
        def __init__(self, a: int, b: int = 2) -> None:
            self.a, self.b = a, b

    @root.register_module()
    class Named(ManagerMixin):
        def __init__(self, name: str = "", size: int = 1) -> None:
            super().__init__(name)

    return root


REGISTRY = _tree()

TYPES = ["Leaf", "Holder", "Strict", "fza.Strict", "Named", "fzb.Leaf", "Lefa", "nosuch.Leaf", "", 7, None,
         "test_fuzz.fz_unregistered", "fz.Holder"]  # fmt: skip
TARGETS = ["test_fuzz.fz_unregistered", "builtins.dict", "collections.OrderedDict", "nosuch.mod.X", "", 5,
           "test_fuzz.ConstructorError"]  # fmt: skip
SCOPES = ["fza", "fzb", "nosuch", "", 3, None]
KEYS = ["size", "name", "child", "a", "b", "x", "type", "_target_", "_scope_", "_args_", "_partial_",
        "_recursive_", "_convert_", "custom_imports", "default_scope"]  # fmt: skip

scalars = st.one_of(
    st.integers(-3, 5), st.text(max_size=4), st.none(), st.booleans(), st.floats(allow_nan=False)
)
special_values = {
    "type": st.sampled_from(TYPES),
    "_target_": st.sampled_from(TARGETS),
    "_scope_": st.sampled_from(SCOPES),
    "default_scope": st.sampled_from(SCOPES),
    "_partial_": st.sampled_from([True, False, "yes", 1]),
    "_recursive_": st.sampled_from([True, False, None, "no"]),
    "_convert_": st.sampled_from(["none", "all", "partial", "object", "bogus", 3]),
    "custom_imports": st.sampled_from([[], ["json"], {"imports": 5}, {"imports": ["json"]}, 5, [3]]),
}


@st.composite
def nodes(draw: st.DrawFn, children: st.SearchStrategy) -> Any:
    """A dict whose keys are mostly the special ones, with values of the right and the wrong shapes."""
    keys = draw(st.lists(st.one_of(st.sampled_from(KEYS), st.integers(0, 3)), max_size=5, unique=True))
    node: dict[Any, Any] = {}
    for key in keys:
        if key == "_args_":
            node[key] = draw(st.one_of(st.lists(children, max_size=3), scalars))
        elif key in special_values and draw(st.integers(0, 4)):
            node[key] = draw(special_values[key])
        else:
            node[key] = draw(children)
    return node


configs = st.recursive(
    scalars, lambda children: st.one_of(nodes(children), st.lists(children, max_size=3)), max_leaves=12
)


@st.composite
def fuzzed(draw: st.DrawFn) -> tuple[Any, bool]:
    """A config, sometimes wrapped deep (near and past the depth limit) or made to contain itself;
    and whether OmegaConf could hold it (it recurses too deep past ~90 levels, and has no cycles)."""
    cfg = draw(configs.filter(lambda value: isinstance(value, (dict, list))))
    shape = draw(st.integers(0, 19))
    if shape == 0:
        for _ in range(draw(st.integers(90, 140))):
            cfg = {"type": "Holder", "child": cfg}
    elif shape == 1 and isinstance(cfg, dict):
        cfg["loop"] = [cfg]
    return cfg, shape > 1


def _dictconfig_of(cfg: Any) -> Any:
    try:
        return OmegaConf.create(copy.deepcopy(cfg))
    except Exception:  # OmegaConf cannot hold it (float or bool keys, ...): the dict form is enough
        return None


def _check_one(cfg: Any) -> None:
    before = repr(cfg)
    scope = current_scope_name()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            instantiate(cfg, registry=REGISTRY)
    except HydraregError as error:
        assert error.config_path is not None, f"{type(error).__name__} without a config path: {error}"
        assert f"config path: {error.config_path or '<root>'}" in str(error)
    except Exception as error:
        # The constructor's own (ConstructorError here, or a builtin's TypeError): the call site adds
        # exactly one note with the path; an exception from hydrareg's own machinery would have none.
        notes = getattr(error, "__notes__", [])
        if len(notes) != 1 or "from config path" not in notes[0]:
            raise AssertionError(
                f"{type(error).__name__} is neither hydrareg's nor the constructor's"
            ) from error
    assert repr(cfg) == before, "the input changed"
    assert current_scope_name() == scope, "the default scope was not restored"


@settings(
    max_examples=EXAMPLES,
    derandomize=True,  # seeded: the same configs on every run
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(fuzzed())
def test_fuzzed_configs_keep_hydraregs_promises(case):
    cfg, omegaconf_can_hold_it = case
    forms = [cfg, _dictconfig_of(cfg) if omegaconf_can_hold_it else None]
    for form in forms:
        if form is None:
            continue
        _check_one(form)
        UNREGISTERED_CALLS.clear()
        with safe_mode():
            _check_one(form)
        assert UNREGISTERED_CALLS == [], "safe mode ran an unregistered callable"
