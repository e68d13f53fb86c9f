"""The one table of hydrareg's patches of Hydra's private code, and what each was checked against.

Every entry names the attribute it replaces (or adds), the Hydra versions and the fingerprint of the
code it was written for, the other private names its replacement reads, and the factory that makes
the replacement from the original. :mod:`hydrareg.hydra.patches` applies and undoes the table.

To re-check after a Hydra release: read the new code of each target against the replacement (and the
copied code in :mod:`hydrareg.hydra.compose_hook`), then add the version to ``CHECKED`` and, if the
code changed, update the fingerprint (``tests/test_hydra_patches.py`` prints the new ones).
"""

from __future__ import annotations

__all__ = ["ANY", "CHECKED", "PATCHES", "Patch"]

#: Hydra releases whose private code was read against every patch (identical in all of them).
CHECKED = ("1.3.2", "1.3.3", "1.3.4", "1.3.5", "1.3.6", "1.3.7", "1.3.8")
#: For the delete guard, which wraps a method of Hydra's public ``ConfigLoader`` interface whatever its code.
ANY = "any"

_LOADER = "hydra._internal.config_loader_impl"
_SOURCES = "hydra._internal.core_plugins"


class Patch:
    """One replaced (or added) attribute of Hydra's private code.

    (A plain class, not a dataclass: this module is imported in every Hydra process.)
    """

    __slots__ = (
        "attribute", "checked", "factory", "fingerprint", "module", "name",
        "needs", "owner", "purpose", "reads", "unless",
    )  # fmt: skip

    def __init__(
        self,
        name: str,
        purpose: str,
        module: str,
        owner: str | None,  # a class in ``module``, or None for a module attribute
        attribute: str,
        factory: str,  # "module:function" making the replacement from the original
        fingerprint: str | None,  # of the original; None: the attribute must not exist yet; ANY: no check
        reads: tuple[str, ...] = (),  # "module:Owner.name": other private names the replacement relies on
        needs: tuple[str, ...] = (),  # patches that must be live for this one to be
        unless: tuple[str, ...] = (),  # installed only while these patches are not live
        checked: tuple[str, ...] = CHECKED,
    ) -> None:
        self.name, self.purpose, self.module, self.owner = name, purpose, module, owner
        self.attribute, self.factory, self.fingerprint = attribute, factory, fingerprint
        self.reads, self.needs, self.unless, self.checked = reads, needs, unless, checked

    def __repr__(self) -> str:
        return f"Patch({self.name!r}: {self.target})"

    @property
    def target(self) -> str:
        owner = f"{self.owner}." if self.owner else ""
        return f"{self.module}.{owner}{self.attribute}"


PATCHES: tuple[Patch, ...] = (
    Patch(
        "compose",
        "_delete_ replaces nodes while the defaults list is merged; merges remembered per process",
        _LOADER,
        "ConfigLoaderImpl",
        "_compose_config_from_defaults_list",
        "hydrareg.hydra.compose_hook:make_compose_hook",
        "136c76d6cb280db8",
        reads=(f"{_LOADER}:ConfigLoaderImpl._load_single_config",),
    ),
    Patch(
        "defaults_list",
        "defaults lists remembered and replayed; a cycle of defaults is an error naming its files",
        _LOADER,
        None,
        "create_defaults_list",
        "hydrareg.hydra.cache.defaults:make_create_defaults_list",
        "e52554995007a08e",
        reads=(
            "hydra._internal.defaults_list:DefaultsList.config_overrides",
            "hydra._internal.defaults_list:DefaultsList.overrides",
            "hydra._internal.defaults_list:Overrides.config_overrides",
        ),
    ),
    Patch(
        "file_source",
        "config files checked (UTF-8, YAML aliases) and kept per process, validated by mtime/size/inode",
        f"{_SOURCES}.file_config_source",
        "FileConfigSource",
        "load_config",
        "hydrareg.hydra.cache.files:make_load_config",
        "cc25285d6a7dec29",
        reads=("hydra.plugins.config_source:ConfigSource._normalize_file_name",),
    ),
    Patch(
        "package_source",
        "package (pkg://) configs checked and kept per process like files",
        f"{_SOURCES}.importlib_resources_config_source",
        "ImportlibResourcesConfigSource",
        "load_config",
        "hydrareg.hydra.cache.files:make_load_config",
        "1aecfa817accc059",
        reads=("hydra.plugins.config_source:ConfigSource._normalize_file_name",),
    ),
    Patch(
        "structured_source",
        "ConfigStore entries kept per process, validated by the identity of the stored node",
        f"{_SOURCES}.structured_config_source",
        "StructuredConfigSource",
        "load_config",
        "hydrareg.hydra.cache.files:make_load_config",
        "d3ecef6f6c3cfc7a",
        reads=("hydra.core.config_store:ConfigStore._load",),
    ),
    Patch(
        "structured_source_copy",
        "the per-compose copy of the config repository shares the ConfigStore instead of deep-copying it",
        f"{_SOURCES}.structured_config_source",
        "StructuredConfigSource",
        "__deepcopy__",
        "hydrareg.hydra.cache.files:make_shallow_deepcopy",
        None,
    ),
    Patch(
        "load_configuration",
        "whole configurations remembered per process (a multirun composes every job twice)",
        _LOADER,
        "ConfigLoaderImpl",
        "load_configuration",
        "hydrareg.hydra.cache.configurations:make_load_configuration",
        "ec847da1d7601786",
        reads=("hydra.core.utils:JobRuntime.instance", "hydra.types:RunMode.MULTIRUN"),
        needs=("compose", "defaults_list"),
    ),
    Patch(
        "save_config",
        "each job's .hydra/*.yaml written by libyaml's emitter (the same text, about twice as fast)",
        "hydra.core.utils",
        None,
        "_save_config",
        "hydrareg.hydra.saving:make_save_config",
        "90a9ee51dd09490b",
        reads=("omegaconf._utils:OmegaConfDumper.str_representer", "yaml:CDumper"),
    ),
    Patch(
        "delete_guard",
        "without the compose patch: composition stops with an error naming _delete_ and its file",
        _LOADER,
        "ConfigLoaderImpl",
        "load_configuration",
        "hydrareg.hydra.delete_guard:make_delete_guard",
        ANY,
        unless=("compose",),
        checked=(ANY,),
    ),
)
