"""TASKS: what ``run.py`` does with a composed config, chosen by the ``task`` config group.

A task is a function registered here and built from ``cfg.task`` (``type: summary``, ...):
``task(cfg=<the whole DictConfig>, output_dir=<pathlib.Path>, **<the other keys of cfg.task>)``.
It returns a dict of JSON-serialisable key figures, which ``run.py`` writes to ``result.json``
and the sweep summary tabulates.
"""

from hydrareg.registry import Registry

TASKS = Registry(
    "task",
    scope="hydrareg_zoo",
    locations=[
        "hydrareg_zoo.tasks.summary",
        "hydrareg_zoo.tasks.train",
        "hydrareg_zoo.tasks.track",
        "hydrareg_zoo.tasks.pipeline",
        "hydrareg_zoo.tasks.train_det",
        "hydrareg_zoo.tasks.mmengine_runner",
    ],
)
