"""The typer application and the consoles every command shares."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    name="cnnbench",
    help="Check the theory of CNN building blocks and time them in practice.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (CI logs, files) gets 120 columns instead of rich's 80, so that
# tables keep workload names whole; a terminal, or COLUMNS, sets its own width.
PIPED_WIDTH = 120


def _width(stream) -> int | None:
    if "COLUMNS" in os.environ or stream.isatty():
        return None
    return PIPED_WIDTH


console = Console(width=_width(sys.stdout))
err_console = Console(stderr=True, width=_width(sys.stderr))


@app.callback()
def _root() -> None:
    """Check the theory of CNN building blocks and time them in practice."""


# Exit codes shared by every command.
EXIT_OK = 0
EXIT_FAILED = 1  # a check crashed, a gate failed, expectations differ
EXIT_USAGE = 2  # bad arguments (typer/click use 2 for their own usage errors too)


def usage_error(message: str) -> typer.Exit:
    """Print ``message`` as a usage error and return the exit to raise."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(EXIT_USAGE)
