"""``hydrareg check``: compose every job of a sweep and check it against the registries, building nothing.

All problems of all jobs are reported at once, each once with the jobs that have it, its config
path, the file and line (or command-line override) that set the value, and the registries searched.
The exit status is 1 when there are problems, 0 when there are none.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ..errors import HydraregError
from ..resolvers import import_custom_modules
from .app import AppSpec, add_app_arguments, app_from_arguments
from .checker import ConfigChecker
from .jobs import Composer, composing, first_lines, sweep_jobs
from .lookup import Lookup
from .problems import Problem
from .provenance import COMMAND_LINE, job_provenance, parse_key
from .values import plain

WORDS_HELP = "the Hydra app script (its @hydra.main names the configs), then overrides as for the app"
EXAMPLE = """example:
  hydrareg check run.py -m backbone=mmcls_resnet18,mmcls_mobilenetv3 optim.lr=0.01,0.1
  hydrareg check --config-dir conf --config-name config model=retinanet --json"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("words", nargs="*", metavar="[APP.py] OVERRIDE", help=WORDS_HELP)
    parser.add_argument("-m", "--multirun", action="store_true", help="check every job of the sweep")
    parser.add_argument("--json", action="store_true", help="print the problems as JSON")
    add_app_arguments(parser)


def run(args: argparse.Namespace) -> int:
    app_path, overrides = split_app(args.words)
    try:
        app = app_from_arguments(app_path, args)
        jobs, problems = check_app(app, overrides, args.multirun)
    except HydraregError as exc:
        print(f"hydrareg check: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"jobs": len(jobs), "problems": [p.to_json() for p in problems]}, indent=2))
    else:
        from .output import print_problems

        print_problems(problems, len(jobs))
    return 1 if problems else 0


def split_app(words: Sequence[str]) -> tuple[str | None, list[str]]:
    """The first word is the app script if it ends in ``.py``; the rest are Hydra overrides."""
    if words and words[0].endswith(".py"):
        return words[0], list(words[1:])
    return None, list(words)


def check_app(
    app: AppSpec, overrides: Sequence[str], multirun: bool
) -> tuple[list[list[str]], list[Problem]]:
    """Every job's overrides, and the problems of all jobs (each once, with the jobs that have it)."""
    checker = ConfigChecker(Lookup(app.builds))
    merged: dict[tuple[str, str, str], Problem] = {}
    with composing(app) as composer:
        plan = sweep_jobs(composer, overrides, multirun)
        jobs = plan.jobs
        for problem in plan.problems:  # the search space's: its origin is the override itself
            merged[problem.identity()] = problem
        for job in jobs:
            for problem in check_job(composer, checker, job):
                known = merged.setdefault(problem.identity(), problem)
                if known is problem:
                    locate(problem, composer, job)
                known.jobs.append(job)
    return jobs, list(merged.values())


def check_job(composer: Composer, checker: ConfigChecker, job: list[str]) -> list[Problem]:
    try:
        cfg = composer.compose(job)
    except Exception as exc:  # Hydra's own errors: an unknown group option, a bad override
        return [Problem("compose", "", first_lines(exc))]
    try:
        import_custom_modules(cfg)
    except HydraregError as exc:
        return [
            Problem("import", exc.config_path or "custom_imports", exc.message),
            *checker.check(plain(cfg)),
        ]
    return checker.check(plain(cfg))


def locate(problem: Problem, composer: Composer, job: list[str]) -> None:
    """Fill in the file and line (or override) that set the problem's config path in ``job``."""
    if not problem.path:
        return
    origin = job_provenance(composer, job).origin(parse_key(problem.path))
    if origin is None:
        return
    problem.file = origin.file
    problem.line = origin.line
    problem.origin = origin.text if origin.file == COMMAND_LINE else origin.where
