"""``MultiImageMixDataset``: a dataset whose pipeline mixes several samples (Mosaic, MixUp).

The wrapped dataset is itself a config (built through mmdet's DATASETS) that keeps only its
loading steps; the mixing pipeline runs here, after the wrapper fetched the extra samples each
step asks for with ``get_indexes``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from hydrareg.errors import ConfigValueError
from hydrareg_zoo.common._cfg import build_child
from hydrareg_zoo.pipeline import Compose

from ..registry import DATASETS

__all__ = ["MultiImageMixDataset"]


@DATASETS.register_module()
class MultiImageMixDataset:
    """Run ``pipeline`` over ``dataset``'s samples, feeding mixing steps their extra samples.

    A step with ``get_indexes(dataset)`` gets ``results['mix_results']``: the samples at those
    indices, fetched again (up to ``max_refetch`` times) while any of them is dropped by the
    inner pipeline. A step that returns None is retried up to ``max_refetch`` times. Steps
    whose class name is in ``skip_type_keys`` are skipped (YOLOX turns Mosaic off for its last
    epochs with :meth:`update_skip_type_keys`).
    """

    def __init__(
        self,
        dataset: Mapping[str, Any] | Any,
        pipeline: Sequence[Any],
        skip_type_keys: Sequence[str] | None = None,
        max_refetch: int = 15,
    ) -> None:
        if not isinstance(max_refetch, int) or max_refetch < 1:
            raise ConfigValueError(
                f"MultiImageMixDataset: max_refetch must be a positive int, got {max_refetch!r}"
            )
        self.dataset = build_child(DATASETS, dataset, "dataset") if isinstance(dataset, Mapping) else dataset
        self.pipeline = Compose(pipeline)
        self.max_refetch = max_refetch
        self.update_skip_type_keys(skip_type_keys)
        self.metainfo = copy.deepcopy(getattr(self.dataset, "metainfo", {}))

    def update_skip_type_keys(self, skip_type_keys: Sequence[str] | None) -> None:
        """Skip the steps of these class names from now on (None: run every step)."""
        if skip_type_keys is not None and not all(isinstance(key, str) for key in skip_type_keys):
            raise ConfigValueError(f"skip_type_keys must be class names, got {skip_type_keys!r}")
        self.skip_type_keys = tuple(skip_type_keys or ())

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        results = copy.deepcopy(self.dataset[index])
        for step in self.pipeline.transforms:
            if type(step).__name__ in self.skip_type_keys:
                continue
            if hasattr(step, "get_indexes"):
                results["mix_results"] = self._mix_results(step)
            results = self._apply(step, results)
        results.pop("mix_results", None)
        return results

    def _mix_results(self, step: Any) -> list[dict[str, Any]]:
        """The extra samples ``step`` asks for, none of them dropped by the inner pipeline."""
        for _ in range(self.max_refetch):
            indexes = step.get_indexes(self.dataset)
            indexes = list(indexes) if isinstance(indexes, Sequence) else [indexes]
            samples = [copy.deepcopy(self.dataset[i]) for i in indexes]
            if all(sample is not None for sample in samples):
                return samples
        raise RuntimeError(
            f"{type(step).__name__}: the wrapped dataset's pipeline dropped the extra samples "
            f"{self.max_refetch} times in a row; check its loading steps"
        )

    def _apply(self, step: Any, results: dict[str, Any]) -> dict[str, Any]:
        for _ in range(self.max_refetch):
            updated = step(copy.deepcopy(results))
            if updated is not None:
                return updated
        raise RuntimeError(f"{step!r} returned None {self.max_refetch} times in a row")

    def __repr__(self) -> str:
        steps = len(self.pipeline)
        return f"{type(self).__name__}({len(self)} samples of {self.dataset!r}, pipeline={steps} steps)"
