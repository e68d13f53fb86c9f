"""A small Hydra app for the `hydrareg check/explain/registry/schema` tests: its own registry tree
(scope ``probe`` with a child ``extra``), config groups, and classes that record every construction."""

from __future__ import annotations

from pathlib import Path

from conftest import write_module, write_tree

LIBRARY = '''
from typing import Literal

from hydrareg.registry import Registry

BUILT = []  # every construction, so a test can assert that nothing was built
THINGS = Registry("thing", scope="probe")
EXTRA = Registry("thing", parent=THINGS, scope="extra")


@THINGS.register_module()
class Net:
    """A network with a depth."""

    def __init__(self, depth: int, context, width: float = 1.0, mode: Literal["a", "b"] = "a", head=None):
        BUILT.append(self)


@THINGS.register_module()
class Head:
    def __init__(self, channels: list[int], dropout: float = 0.0):
        BUILT.append(self)


@EXTRA.register_module()
class Wide:
    def __init__(self, depth: int, **kwargs):
        BUILT.append(self)


def make_thing(size: int, name: str = "x"):
    BUILT.append(size)
'''

APP = """
import hydra

HYDRAREG_BUILDS = {"thing": {"registry": "probe_lib.registry:THINGS", "runtime_args": ["context"]}}


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg):
    pass
"""

CONFIGS = {
    "conf/config.yaml": """
        defaults:
          - net: small
          - _self_

        seed: 0
        """,
    "conf/net/small.yaml": """
        # @package thing
        type: Net
        depth: 2
        head:
          type: Head
          channels: [1, 2]
        """,
    "conf/net/large.yaml": """
        # @package thing
        type: Net
        depth: 50
        width: 2.0
        head:
          type: Head
          channels: [4, 8]
          dropout: 0.1
        """,
    "conf/net/wide.yaml": """
        # @package thing
        type: extra.Wide
        depth: ${seed}
        anything: 1
        """,
    "conf/net/fresh.yaml": """
        # @package thing
        defaults:
          - large
          - _self_

        head:
          _delete_: true
          type: Head
          channels: [16]
        """,
}


EXTRAS = """
from probe_lib.registry import BUILT, THINGS


@THINGS.register_module()
class Extra:
    def __init__(self, channels: list[int]):
        BUILT.append(self)
"""


def make_probe_app(root: Path, **changed: str) -> Path:
    """Write the library (importable from ``root``), the app and its configs; returns app.py's path."""
    write_module(root, "probe_lib.registry", LIBRARY)
    write_module(root, "probe_lib.extras", EXTRAS)  # registers Extra when custom_imports says so
    (root / "app.py").write_text(APP)
    write_tree(root, {**CONFIGS, **changed})
    return root / "app.py"
