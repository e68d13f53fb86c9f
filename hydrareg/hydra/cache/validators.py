"""What a cached answer depends on, and how to tell that it is still valid.

Files by ``(mtime_ns, size, inode)`` (an edited file is read again), package resources likewise when
they live on disk, ConfigStore entries by the identity of the stored node (storing again replaces it).
"""

from __future__ import annotations

import functools
import os
import pickle
from typing import Any

__all__ = ["answer_fingerprint", "pickled", "same_version", "stat_of", "validator"]


def pickled(value: Any) -> bytes | None:
    """A pickled copy, or None when the value cannot be pickled (it is then never cached)."""
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # e.g. a structured config holding something unpicklable
        return None


def same_version(old: Any, new: Any) -> bool:
    if isinstance(old, tuple) and old and old[0] == "node":
        return isinstance(new, tuple) and new[0] == "node" and old[1] is new[1]
    return bool(old == new)


def validator(source: Any, config_path: str) -> Any:
    """What must be unchanged for a cached load of ``config_path`` to be valid; None: do not cache."""
    scheme = source.scheme()
    name = source._normalize_file_name(config_path)
    try:
        if scheme == "file":
            return stat_of(os.path.join(source.path, name))
        if scheme == "pkg":
            resource = package_files(source.path).joinpath(name)
            return stat_of(os.fspath(resource)) if isinstance(resource, os.PathLike) else ("resource", name)
        if scheme == "structured":
            # The live store, not ``source.store``: Hydra deep-copies its sources for every compose.
            from hydra.core.config_store import ConfigStore

            return ("node", ConfigStore.instance()._load(name))
    except Exception:  # missing file or entry: let Hydra raise its own error
        return None
    return None


def answer_fingerprint(answer: Any) -> Any:
    """A comparable form of a config repository's answer (lists of names or of sources)."""
    if isinstance(answer, list):
        return (
            tuple(answer)
            if all(isinstance(item, str) for item in answer)
            else tuple(f"{item.scheme()}://{item.path}" for item in answer)
        )
    return answer


@functools.lru_cache(maxsize=64)
def package_files(package: str) -> Any:
    from importlib.resources import files

    return files(package)


def stat_of(path: str) -> tuple[str, int, int, int]:
    stat = os.stat(path)
    return ("file", stat.st_mtime_ns, stat.st_size, stat.st_ino)
