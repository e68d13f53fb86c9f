"""The base of every pipeline step: a callable taking and returning a results dict."""

from __future__ import annotations

from typing import Any

__all__ = ["BaseTransform"]


class BaseTransform:
    """A pipeline step: ``step(results) -> results``, or None to drop the sample (as in mmcv)."""

    def __call__(self, results: dict[str, Any]) -> dict[str, Any] | None:
        return self.transform(results)

    def transform(self, results: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError

    def _repr_fields(self) -> dict[str, Any]:
        """The constructor arguments shown by ``repr``."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self._repr_fields().items())
        return f"{type(self).__name__}({args})"


def require(results: dict[str, Any], key: str, step: BaseTransform) -> Any:
    """``results[key]``, or a KeyError saying which earlier step should have set it."""
    try:
        return results[key]
    except KeyError:
        raise KeyError(
            f"{type(step).__name__} needs results[{key!r}], which an earlier pipeline step sets "
            f"(present: {', '.join(sorted(results)) or 'nothing'})"
        ) from None
