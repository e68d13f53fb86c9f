"""Short error reports for Hydra apps: a hydrareg error prints its message, not a traceback.

Hydra's convention is a trimmed report by default and the whole trace with ``HYDRA_FULL_ERROR=1``.
Wrap the task function's body (``run.py`` does) and a hydrareg error, also one wrapped by OmegaConf
while a resolver ran, reaches Hydra as a :class:`JobFailed`, which Hydra prints as its message
alone: the config path, the registries searched and the closest names::

    @hydra.main(config_path="conf", config_name="config", version_base="1.3")
    def main(cfg):
        with reported_errors(cfg):
            ...

Given the config, an error raised inside a library's own code (which names only the node being
built) is followed by what ``hydrareg check`` finds below that node. Either way the job's log files
(Hydra's ``<job>.log``) get the error, with the trace.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from hydra.errors import CompactHydraException
from omegaconf.errors import OmegaConfBaseException

from .errors import HydraregError, find_hydrareg_error, noted_config_path

__all__ = [
    "MAX_REPORT_LINES",
    "JobFailed",
    "config_error",
    "full_error_requested",
    "reported_errors",
    "short_report",
]

log = logging.getLogger(__name__)

MAX_REPORT_LINES = 12
MAX_FINDINGS = 3  # check findings shown after an error raised inside a library's own build
FULL_ERROR_VARIABLE = "HYDRA_FULL_ERROR"
FULL_ERROR_HINT = f"Set the environment variable {FULL_ERROR_VARIABLE}=1 for a complete stack trace."
NO_JOB_FLAGS = frozenset({"--cfg", "-c", "--info", "-i", "--resolve", "--package", "-p"})
COMPLETION_FLAGS = frozenset({"-sc", "--shell-completion"})
COMPLETION_COMMANDS = ("install", "uninstall", "query")  # exactly one of them follows -sc, as KEY=VALUE
BUILD_NOTE_PREFIX = "while building "  # the note a registry build adds to an exception it passes on


class JobFailed(CompactHydraException):
    """A job's hydrareg error; Hydra prints a ``CompactHydraException`` as its message only."""


def full_error_requested() -> bool:
    """True when the user asked for whole tracebacks, as Hydra reads it."""
    return os.environ.get(FULL_ERROR_VARIABLE) == "1"


@contextmanager
def reported_errors(cfg: Any = None, builds: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Report an error from a config (see :func:`config_error`) raised in the block as :class:`JobFailed`.

    Given the job's ``cfg`` (and the app's ``HYDRAREG_BUILDS``), an error that names only the node
    whose build raised it (a library's own code failed, MMEngine's Runner say) is followed by what
    ``hydrareg check`` finds below that node: the key or ``type`` at fault, with close names.
    """
    try:
        yield
    except Exception as exc:
        error = config_error(exc)
        findings = check_findings(error, cfg, builds) if error is not None else ""
        logs = _log_to_files(exc, findings)
        if error is None or full_error_requested():
            raise
        report = short_report(error) + findings
        if logs:
            report += f"\n  the trace is in {logs[0]}"
        raise JobFailed(report) from exc


def run_main(main: Callable[[], Any], argv: Sequence[str] | None = None) -> Any:
    """Call a ``@hydra.main`` function; commands that run no job (``--cfg``, ``--info``) get short errors too.

    Those commands resolve the config outside any job (``--cfg job --resolve`` runs the resolvers),
    where Hydra prints the whole trace. For them Hydra is asked to raise instead, and a config error
    is printed as its short report.
    """
    argv = sys.argv[1:] if argv is None else argv
    usage = completion_usage_error(argv)
    if usage is not None:  # Hydra raises a bare ValueError from its own code, printed as a traceback
        sys.stderr.write(f"{usage}\n")
        sys.exit(2)
    if full_error_requested() or not any(arg.split("=", 1)[0] in NO_JOB_FLAGS for arg in argv):
        return main()
    os.environ[FULL_ERROR_VARIABLE] = "1"
    try:
        return main()
    except Exception as exc:
        os.environ.pop(FULL_ERROR_VARIABLE, None)
        sys.stderr.write(f"{_outside_job_report(exc)}\n\n{FULL_ERROR_HINT}\n")
        sys.exit(1)
    finally:
        os.environ.pop(FULL_ERROR_VARIABLE, None)


def completion_usage_error(argv: Sequence[str], program: str | None = None) -> str | None:
    """What is wrong with a ``--shell-completion`` command line that lacks its one subcommand, or None."""
    if not COMPLETION_FLAGS & set(argv):
        return None
    given = [arg.split("=", 1)[0] for arg in argv if arg.split("=", 1)[0] in COMPLETION_COMMANDS]
    if len(given) == 1:
        return None
    program = program or f"python {os.path.basename(sys.argv[0])}"
    found = f"got {', '.join(given)}" if given else "got none"
    return (
        f"--shell-completion (-sc) takes one of install=SHELL, uninstall=SHELL or query=... ({found})\n"
        f'  for example, in bash: eval "$({program} -sc install=bash)"   (zsh and fish work too)'
    )


def _outside_job_report(exc: BaseException) -> str:
    """A config error's short report; otherwise what Hydra prints outside a job (compact, or the trace)."""
    error = config_error(exc)
    if error is not None:
        return short_report(error)
    if isinstance(exc, CompactHydraException):
        cause = exc.__cause__
        return str(exc) + (f"\n{cause}" if isinstance(cause, OmegaConfBaseException) else "")
    return "".join(traceback.format_exception(exc)).rstrip()


def config_error(exc: BaseException) -> BaseException | None:
    """The hydrareg error inside ``exc``, or ``exc`` if a build from a config path raised it."""
    inner = find_hydrareg_error(exc)
    if inner is not None:
        return inner
    notes = getattr(exc, "__notes__", ())
    return exc if any(str(note).startswith(BUILD_NOTE_PREFIX) for note in notes) else None


def check_findings(error: BaseException, cfg: Any, builds: Mapping[str, Any] | None = None) -> str:
    """Lines naming what :func:`~hydrareg.commands.checker.check_config` finds below the node whose
    build raised ``error``; '' when the error has a config path of its own or the check finds nothing."""
    path = noted_config_path(error)
    if cfg is None or path is None or isinstance(error, HydraregError):
        return ""
    try:
        from .commands.checker import check_config

        found = [p for p in check_config(cfg, builds) if p.path == path or is_below(p.path, path)]
    except Exception:  # a diagnosis must never replace the error it explains
        log.debug("the check after a failed build failed", exc_info=True)
        return ""
    lines = [f"\nhydrareg check finds below {path or '<root>'}:"]
    for problem in found[:MAX_FINDINGS]:
        hint = f" ({problem.hint})" if problem.hint else ""
        lines.append(f"  {problem.path}: {problem.message}{hint}")
    if len(found) > MAX_FINDINGS:
        lines.append(f"  ... and {len(found) - MAX_FINDINGS} more (python {sys.argv[0]} --check ...)")
    return "\n".join(lines) if found else ""


def is_below(path: str, ancestor: str) -> bool:
    """Whether dotted config ``path`` lies inside ``ancestor`` ('' is the root)."""
    return not ancestor or path.startswith((f"{ancestor}.", f"{ancestor}["))


def short_report(error: BaseException) -> str:
    """``Type: message`` with its details and notes, cut to :data:`MAX_REPORT_LINES` lines."""
    lines = f"{type(error).__name__}: {error}".splitlines()
    lines += [str(note) for note in getattr(error, "__notes__", ())]
    if len(lines) > MAX_REPORT_LINES:
        hidden = len(lines) - MAX_REPORT_LINES + 1
        lines = [
            *lines[: MAX_REPORT_LINES - 1],
            f"  ... {hidden} more lines ({FULL_ERROR_VARIABLE}=1 shows all)",
        ]
    return "\n".join(lines)


def _log_to_files(exc: BaseException, findings: str = "") -> list[str]:
    """Write the error, its trace and the check's ``findings`` to the root logger's files only (Hydra
    prints it on the console)."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.FileHandler) and h.baseFilename != os.devnull
    ]
    first_line = (str(exc).splitlines() or [""])[0]
    message = f"the job failed: {type(exc).__name__}: {first_line}{findings}"
    record = log.makeRecord(log.name, logging.ERROR, __file__, 0, message, (), None)
    record.exc_info = (type(exc), exc, exc.__traceback__)
    for handler in handlers:
        if record.levelno >= handler.level:
            handler.handle(record)
    return [handler.baseFilename for handler in handlers]
