"""Run the same registry scenarios on ``mmengine.registry`` or ``hydrareg.registry`` and print the outcomes.

Used to check that code written against MMEngine behaves the same on hydrareg, except where hydrareg
differs on purpose (README, "Where hydrareg differs from MMEngine"). Run it in two environments and diff:

    python scripts/compare_mmengine.py mmengine.registry > mmengine.txt   # a venv with mmengine==0.10.7
    python scripts/compare_mmengine.py hydrareg.registry > hydrareg.txt
    diff mmengine.txt hydrareg.txt

mmengine is never a dependency of hydrareg; install it only in a scratch environment.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
import tempfile
import textwrap
import threading
import warnings
from pathlib import Path

logging.disable(logging.CRITICAL)
warnings.simplefilter("ignore")

reg = importlib.import_module(sys.argv[1] if len(sys.argv) > 1 else "hydrareg.registry")
Registry, DefaultScope = reg.Registry, reg.DefaultScope
RESULTS: list[tuple[str, str]] = []


def outcome(call):
    try:
        value = call()
    except Exception as exc:  # the type is the outcome; messages differ on purpose
        return f"raises {next(c.__name__ for c in type(exc).__mro__ if c.__module__ == 'builtins')}"
    if isinstance(value, type):
        return f"class {value.__name__}"
    if callable(value) and hasattr(value, "__name__"):
        return f"callable {value.__name__}"
    if hasattr(value, "__class__") and type(value).__module__ == __name__:
        return f"instance {type(value).__name__}"
    return repr(value)


def check(name, call):
    RESULTS.append((name, outcome(call)))


# ---------------------------------------------------------------------------- a tree
ROOT = Registry("animal", scope="cmp_root")
DOG = Registry("animal", parent=ROOT, scope="cmp_dog")
CAT = Registry("animal", parent=ROOT, scope="cmp_cat")
PUPPY = Registry("animal", parent=DOG, scope="cmp_puppy")


@ROOT.register_module()
class RootOnly:
    def __init__(self, size=1):
        self.size = size


@DOG.register_module()
class Hound:
    def __init__(self, friend=None, size=1):
        self.size = size
        self.scope = (DefaultScope.get_current_instance() or DefaultScope).__dict__.get("_scope_name")
        self.friend = DOG.build(friend) if friend else None


@CAT.register_module(name=["Tabby", "Kitty"])
class Tabby:
    pass


@PUPPY.register_module()
class Pup:
    pass


@DOG.register_module()
def make_bone(length=3):
    return ("bone", length)


check("scope inferred in __main__", lambda: Registry("x").scope)
check("len dog", lambda: len(DOG))
check("len cat (aliases)", lambda: len(CAT))
check("children of root", lambda: sorted(ROOT.children))
check("root of puppy", lambda: PUPPY.root is ROOT)
check("split a.b.C", lambda: Registry.split_scope_key("a.b.C"))
check("split plain", lambda: Registry.split_scope_key("ResNet"))
check("dog get Hound", lambda: DOG.get("Hound"))
check("puppy get Hound (parent)", lambda: PUPPY.get("Hound"))
check("puppy get RootOnly (grandparent)", lambda: PUPPY.get("RootOnly"))
check("dog get Pup (child, unprefixed)", lambda: DOG.get("Pup"))
check("dog get Tabby (sibling, unprefixed)", lambda: DOG.get("Tabby"))
check("dog get cmp_cat.Tabby (sibling)", lambda: DOG.get("cmp_cat.Tabby"))
check("root get cmp_dog.Hound (child)", lambda: ROOT.get("cmp_dog.Hound"))
check("root get cmp_dog.cmp_puppy.Pup (chain)", lambda: ROOT.get("cmp_dog.cmp_puppy.Pup"))
check("root get cmp_dog.RootOnly (climb back)", lambda: ROOT.get("cmp_dog.RootOnly"))
check("puppy get cmp_root.RootOnly", lambda: PUPPY.get("cmp_root.RootOnly"))
check("cat get Kitty alias", lambda: CAT.get("Kitty"))
check("DIFF #14d root get cmp_puppy.Pup (grandchild)", lambda: ROOT.get("cmp_puppy.Pup"))
check("DIFF #13 dog get cmp_dog.RootOnly (own prefix)", lambda: DOG.get("cmp_dog.RootOnly"))
check("dotted collections.OrderedDict", lambda: DOG.get("collections.OrderedDict"))
check("DIFF #15 'json' in registry", lambda: "json" in DOG)
check("get non-str", lambda: DOG.get(3))
check("'Hound' in dog", lambda: "Hound" in DOG)
check("'Pup' in dog", lambda: "Pup" in DOG)
check("unknown get", lambda: DOG.get("Nope"))

# registration
check("register non-callable", lambda: DOG.register_module(name="x", module="str"))
check("register force=1", lambda: DOG.register_module(force=1))
check("register name=7", lambda: DOG.register_module(name=7))
check("register duplicate", lambda: DOG.register_module(name="Hound", module=type("Other", (), {})))
check(
    "register duplicate force",
    lambda: DOG.register_module(name="Tmp", module=Tabby, force=True) and DOG.get("Tmp"),
)


def partial_list():
    with contextlib.suppress(KeyError):
        DOG.register_module(name=["Fresh1", "Hound"], module=type("Other2", (), {}))
    return "Fresh1" in DOG.module_dict


check("DIFF #23 name list clash leaves earlier names", partial_list)

# builds
check("build Hound", lambda: DOG.build({"type": "Hound", "size": 2}).size)
check("build function", lambda: DOG.build({"type": "make_bone", "length": 5}))
check("build callable type", lambda: DOG.build({"type": Tabby}))
check("build default_args", lambda: DOG.build({"type": "Hound"}, default_args={"size": 7}).size)
check(
    "build cfg wins over default_args",
    lambda: DOG.build({"type": "Hound", "size": 1}, default_args={"size": 7}).size,
)
check("build unknown type", lambda: DOG.build({"type": "Nope"}))
check("build no type", lambda: DOG.build({"size": 1}))
check("build str cfg", lambda: DOG.build("Hound"))
check("build int type", lambda: DOG.build({"type": 3}))
check("root build _scope_ cmp_dog Hound", lambda: ROOT.build({"type": "Hound", "_scope_": "cmp_dog"}))
check(
    "root build _scope_ nested friend",
    lambda: (
        type(ROOT.build({"type": "Hound", "_scope_": "cmp_dog", "friend": {"type": "Hound"}}).friend).__name__
    ),
)
check("scope after _scope_ build", lambda: DefaultScope.get_current_instance())


def scope_restored_after_raise():
    with contextlib.suppress(TypeError):
        ROOT.build({"type": "Hound", "_scope_": "cmp_dog", "bad_arg": 1})
    return DefaultScope.get_current_instance()


check("scope restored after raising build", scope_restored_after_raise)
check("root build Hound without scope", lambda: ROOT.build({"type": "Hound"}))
check("switch_scope_and_registry cmp_cat", lambda: _switch("cmp_cat"))


def _switch(scope):
    with ROOT.switch_scope_and_registry(scope) as registry:
        return registry.scope


DefaultScope.get_instance("cmp-default", scope_name="cmp_cat")
check("current default scope", lambda: DefaultScope.get_current_instance().scope_name)
check("root build Tabby under default scope cmp_cat", lambda: ROOT.build({"type": "Tabby"}))
check("DIFF #39 dog build Hound under default scope cmp_cat", lambda: DOG.build({"type": "Hound"}))
check("switch None under default scope", lambda: _switch(None))
reg.init_default_scope("cmp_dog")
check("init_default_scope", lambda: DefaultScope.get_current_instance().scope_name)
check("DefaultScope scope_name None", lambda: DefaultScope.get_instance("cmp-bad", scope_name=None))


def other_thread_after_failure():
    result = []
    thread = threading.Thread(
        target=lambda: result.append(DefaultScope.get_current_instance().scope_name), daemon=True
    )
    thread.start()
    thread.join(timeout=3)
    return "DEADLOCK" if thread.is_alive() else result


check("DIFF #44 other thread after failed DefaultScope", other_thread_after_failure)

# lazy locations
with tempfile.TemporaryDirectory() as folder:
    package = Path(folder, "cmp_lazy")
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(
        textwrap.dedent(
            """
            import __main__
            @__main__.LAZY.register_module()
            class LazyThing:
                pass
            @__main__.LAZY_PARENT.register_module()
            class ParentLazy:
                pass
            """
        )
    )
    sys.path.insert(0, folder)
    LAZY_PARENT = Registry("thing", scope="cmp_lazy_parent", locations=["cmp_lazy.parent_models"])
    (package / "parent_models.py").write_text("")
    LAZY = Registry("thing", parent=LAZY_PARENT, scope="cmp_lazy_child", locations=["cmp_lazy.models"])
    check("locations: len before get", lambda: len(LAZY))
    check("locations: get LazyThing", lambda: LAZY.get("LazyThing"))
    check("locations: parent's class registered by child's location", lambda: LAZY.get("ParentLazy"))
    BROKEN = Registry("thing", scope="cmp_broken", locations=["cmp_lazy.nope"])
    check("locations: missing module", lambda: BROKEN.get("X"))

# utils
check(
    "traverse scopes", lambda: [entry["scope"] for entry in reg.traverse_registry_tree(PUPPY, verbose=False)]
)
check(
    "traverse counts",
    lambda: [entry["num_modules"] for entry in reg.traverse_registry_tree(ROOT, verbose=False)],
)
check("root MODELS scope", lambda: (reg.MODELS.scope, reg.MODELS.name, reg.PARAM_SCHEDULERS.name))
check("number of public names", lambda: len(reg.__all__))

for name, result in RESULTS:
    print(f"{name:<58} {result}")
