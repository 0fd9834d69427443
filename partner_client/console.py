"""How the client speaks to a person: problems in plain words, and tracebacks that never show values."""

import functools
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from partner_client.errors import ClientError, Problem

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

P = ParamSpec("P")
R = TypeVar("R")


def show_problem(problem: Problem, out: Console = err_console) -> None:
    where = problem.where()
    colour = "red" if problem.severity == "error" else "yellow"
    label = "error" if problem.severity == "error" else "warning"
    out.print(f"  [{colour}]{label}[/{colour}] {where + ': ' if where else ''}{problem.message}", markup=True)
    if problem.hint:
        out.print(f"      → {problem.hint}", markup=False)


def show_error(error: ClientError) -> None:
    err_console.print(f"[bold red]✗[/bold red] {error.message}", markup=True)
    for problem in error.problems:
        show_problem(problem)
    if error.hint:
        err_console.print(f"[bold]What to do:[/bold] {error.hint}", markup=True)


def safe_traceback(exc_type: type[BaseException], tb: TracebackType | None) -> str:
    """Where it failed (files, lines, functions) and the exception's type — never its message or locals,
    which may quote a value from the export."""
    frames = traceback.extract_tb(tb)
    lines = [f"  {f.filename}:{f.lineno} in {f.name}" for f in frames[-8:]]
    return "\n".join(["Traceback (values hidden):", *lines, f"{exc_type.__module__}.{exc_type.__qualname__}"])


def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if isinstance(exc, ClientError):
        show_error(exc)
        return
    err_console.print(safe_traceback(exc_type, tb), markup=False)
    err_console.print(
        "msht-client stopped on an unexpected error. No data was sent. The details above hold no values "
        "from your export: you may pass them to your support contact.",
        markup=False,
    )


def install_excepthook() -> None:
    sys.excepthook = _excepthook


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a command: known problems print in plain words (exit 1); anything else hides its values (exit 2)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ClientError as exc:
            show_error(exc)
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # output piped into `head` and the like
            raise typer.Exit(0) from None
        except Exception as exc:  # the last line of defence against leaking values
            _excepthook(type(exc), exc, exc.__traceback__)
            raise typer.Exit(2) from None

    return wrapper


def echo_json(data: Any) -> None:
    import json

    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
