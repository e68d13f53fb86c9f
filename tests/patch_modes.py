"""What the suite expects of ``_delete_`` with hydrareg's patches on, and off (``HYDRAREG_PATCHES=0``).

On: the compose patch replaced the node. Off: Hydra merged it and left the marker in place (never
silently dropped), and ``hydrareg.instantiate`` refuses to build from it, naming ``_delete_``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf

from hydrareg import instantiate
from hydrareg.errors import CompositionError
from hydrareg.hydra import patches_enabled

PATCHES_ON = patches_enabled()
#: For tests that measure hydrareg's cache or its patches themselves.
needs_patches = pytest.mark.skipif(not PATCHES_ON, reason="measures hydrareg's patches (HYDRAREG_PATCHES=0)")


def assert_replaced(node: Any, expected: dict[str, Any]) -> None:
    """``node`` was composed from a file that replaced it with ``_delete_: true``."""
    if PATCHES_ON:
        assert OmegaConf.to_container(node) == expected
        return
    detached = OmegaConf.create(OmegaConf.to_container(node))  # without the root's custom_imports
    assert detached._delete_ is True
    with pytest.raises(CompositionError, match="_delete_ was not applied"):
        instantiate(detached)


def delete_refused(stderr: str) -> bool:
    """A hydrareg app stopped because ``_delete_`` could not be applied (patches off)."""
    return "_delete_ was not applied" in stderr


def skip_if_delete_unapplied(cfg: Any) -> None:
    """With the patches off, a composed config that still holds ``_delete_`` cannot equal MMEngine's:
    check that the marker is kept (hydrareg refuses to build from it), then skip the comparison."""
    from hydrareg.hydra.delete_guard import check_composed
    from hydrareg.merge import leftover_deletes

    if PATCHES_ON or not leftover_deletes(cfg):
        return
    with pytest.raises(CompositionError, match="_delete_ was not applied"):
        check_composed(cfg)
    pytest.skip("_delete_ needs hydrareg's compose patch (HYDRAREG_PATCHES=0): refused, as checked")


@contextlib.contextmanager
def plain_merge_may_fail(config_dir: Path) -> Iterator[None]:
    """With the patches off, Hydra's plain merge of a node that ``_delete_`` would replace by another type
    (a list by a mapping) stops composition with Hydra's own error: that case is skipped, anything else raises."""
    from hydra.errors import ConfigCompositionException

    try:
        yield
    except ConfigCompositionException:
        if PATCHES_ON or not any("_delete_" in path.read_text() for path in config_dir.rglob("*.yaml")):
            raise
        pytest.skip(
            "plain Hydra cannot merge what _delete_ replaces (HYDRAREG_PATCHES=0): composition stopped"
        )


def compose_app(*overrides: str) -> Any:
    """``conf/config.yaml`` composed as run.py would; with HYDRAREG_PATCHES=0 an option's ``_delete_``
    stays and is refused (checked), and the test is skipped."""
    from conftest import REPO
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = compose(config_name="config", overrides=list(overrides))
    skip_if_delete_unapplied(cfg)
    return cfg
