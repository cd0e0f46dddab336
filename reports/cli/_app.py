"""The typer application and the consoles every command shares."""

from __future__ import annotations

import difflib
import importlib
import os
import sys
from collections.abc import Mapping

import typer
import typer.main
from cnnbench.analysis._validation import ParameterError
from cnnbench.reports.cli import COMMANDS, PLUGIN_HELP
from rich.console import Console
from rich.markup import escape
from typer._click.exceptions import UsageError  # typer vendors click (0.29)
from typer.core import TyperCommand, TyperGroup


class LazyGroup(TyperGroup):
    """The root group: a command's module is imported only when that command runs.

    ``cnnbench --help`` lists :data:`cnnbench.reports.cli.COMMANDS` from their one-line
    help, so it imports no command module (and so no torch); ``cnnbench bench``
    imports ``cnnbench.reports.cli.bench`` and nothing of the other commands.
    """

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, cmd_name: str) -> TyperCommand | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name in COMMANDS:  # the help listing: name and one line, nothing imported
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name][1])
        return None

    def resolve_command(self, ctx, args: list[str]):
        if args and args[0] in COMMANDS and args[0] not in self.commands:
            self.commands[args[0]] = load_command(args[0])
        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as exc:
            close = difflib.get_close_matches(args[0], list(COMMANDS)) if args else []
            if close:
                exc.message = (exc.message.rstrip(".") + ". Did you mean "
                               + ", ".join(map(repr, close)) + "?")  # fmt: skip
            raise


def load_command(name: str) -> TyperCommand:
    """Import the module of command ``name`` and return its click command (or group)."""
    importlib.import_module(f"cnnbench.reports.cli.{COMMANDS[name][0]}")
    return typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]


app = typer.Typer(
    name="cnnbench",
    help="Check the theory of CNN building blocks and time them in practice.",
    epilog=PLUGIN_HELP,
    cls=LazyGroup,
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


def typed_name(name: str, names: Mapping[str, str] | None = None) -> str:
    """The option a user typed for the core's parameter ``name``.

    ``names`` maps what the core calls a parameter to what the command line
    calls it (``{"budget_s": "--budget", "name": "ACTIVATION"}``); any other
    lower-case identifier ``x_y`` is the option ``--x-y``; names that are
    already an option, an argument or an environment variable stay as they are.
    """
    if names and name in names:
        return names[name]
    if name.isidentifier() and name.islower():
        return "--" + name.replace("_", "-")
    return name


def parameter_error(exc: ParameterError, names: Mapping[str, str] | None = None) -> typer.Exit:
    """:func:`usage_error` for a core :class:`ParameterError`, naming the option the user
    typed (see :func:`typed_name`) with the value echoed and what is allowed."""
    return usage_error(str(ParameterError(typed_name(exc.name, names), exc.value, exc.allowed)))


def within(option: str, value: int | float, low: int | float, high: int | float,
           reason: str) -> None:  # fmt: skip
    """Raise :class:`ParameterError` unless ``low <= value <= high``; the message gives the
    limits and ``reason`` (why the command stops there)."""
    if not low <= value <= high:
        raise ParameterError(option, value, f"must be in [{_num(low)}, {_num(high)}]: {reason}")


def _num(v: int | float) -> str:
    return str(v) if isinstance(v, int) else f"{v:g}"
