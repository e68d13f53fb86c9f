"""Terminal output of the subcommands, with rich: colour and styles only on a terminal."""

from __future__ import annotations

import functools
from typing import Any

from .problems import Problem


@functools.cache
def console() -> Any:
    """A rich Console on stdout (plain text when it is not a terminal, as rich decides)."""
    try:
        from rich.console import Console
    except ImportError as exc:
        raise SystemExit("hydrareg's reports need rich: pip install 'hydrareg[cli]'") from exc
    probe = Console()
    width = None if probe.is_terminal else 200  # piped output: long lines stay whole
    return Console(highlight=False, soft_wrap=True, width=width)


def print_problems(problems: list[Problem], job_count: int) -> None:
    """Each problem once: what, where it was set, where we looked, which jobs."""
    from rich.markup import escape

    out = console()
    for problem in problems:
        message = escape(problem.message.replace("\n", "\n    "))
        out.print(f"[bold red]✗[/] [bold]{escape(problem.path or '(composition)')}[/]: {message}")
        for label, value in _details(problem, job_count):
            out.print(f"    [dim]{label + ':':<10}[/] {escape(value)}")
    jobs = f"{job_count} job{'s' if job_count != 1 else ''}"
    if problems:
        out.print(f"[bold red]{len(problems)} problem{'s' if len(problems) != 1 else ''}[/] in {jobs}")
    else:
        out.print(f"[bold green]✓[/] {jobs} checked: no problems")


def _details(problem: Problem, job_count: int) -> list[tuple[str, str]]:
    details = []
    if problem.hint:
        details.append(("hint", problem.hint))
    if problem.origin:
        details.append(("set by", problem.origin))
    if problem.registry:
        scope = f" (default scope {problem.scope})" if problem.scope else ""
        details.append(("registry", problem.registry + scope))
    if not problem.jobs:  # the sweep's own problem (an Optuna search space), before any job
        return details
    shown = [" ".join(job) or "(no overrides)" for job in problem.jobs[:3]]
    more = f" (+{len(problem.jobs) - 3} more)" if len(problem.jobs) > 3 else ""
    details.append((f"jobs {len(problem.jobs)}/{job_count}", "; ".join(shown) + more))
    return details
