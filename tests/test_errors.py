"""The error hierarchy: built-in bases, readable messages, structured fields, pickling."""

from __future__ import annotations

import pickle

import pytest

from hydrareg import errors


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.UnknownTypeError, KeyError),
        (errors.UnknownTargetError, KeyError),
        (errors.RegistrationError, KeyError),
        (errors.ConfigKeyError, LookupError),
        (errors.ConfigTypeError, TypeError),
        (errors.BuildArgumentError, TypeError),
        (errors.ConfigValueError, ValueError),
        (errors.ConfigResolutionError, ValueError),
        (errors.CompositionError, ValueError),
        (errors.RegistryImportError, ImportError),
        (errors.CustomImportError, ImportError),
    ],
)
def test_each_error_is_a_hydrareg_error_and_the_builtin_callers_catch(cls, builtin):
    assert issubclass(cls, errors.HydraregError) and issubclass(cls, builtin)


def test_messages_are_not_quoted_and_carry_path_registry_and_details():
    error = errors.UnknownTypeError(
        "X is not in the mmdet::model registry",
        config_path="model.backbone.type",
        registry="mmdet::model",
        details=[("did you mean", "mmcls.X?")],
    )
    assert str(error).splitlines() == [
        "X is not in the mmdet::model registry",
        "  config path: model.backbone.type",
        "  registry:    mmdet::model",
        "  did you mean: mmcls.X?",
    ]
    assert (error.message, error.config_path, error.registry) == (
        "X is not in the mmdet::model registry",
        "model.backbone.type",
        "mmdet::model",
    )


def test_errors_survive_pickling_with_their_fields():
    error = errors.CustomImportError("Failed", config_path="custom_imports", details=[("hint", "h")])
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is errors.CustomImportError and str(clone) == str(error)
    assert clone.config_path == "custom_imports" and clone.details == (("hint", "h"),)


def test_find_hydrareg_error_walks_the_exception_chain():
    inner = errors.ConfigTypeError("inner")
    try:
        try:
            raise inner
        except errors.ConfigTypeError as exc:
            raise RuntimeError("wrapper") from exc
    except RuntimeError as outer:
        assert errors.find_hydrareg_error(outer) is inner
    assert errors.find_hydrareg_error(ValueError("plain")) is None
