"""``cnnbench``: thin commands over :mod:`analysis` and :mod:`bench`.

Each command lives in its own module here and registers itself on the shared
typer ``app`` when imported. :data:`COMMANDS` lists them in help order with
their one-line help, so ``cnnbench --help`` lists every command without
importing any of them (and so without torch, scipy or sympy): a command's
module is imported only when that command runs (see
:class:`cnnbench.reports.cli._app.LazyGroup`). ``tests/reports/test_cli_startup.py``
keeps each line here equal to the command's own docstring.

This module imports nothing but the standard library, so that the console
script (``cnnbench = cnnbench.reports.cli:main``) reaches :func:`main`, and with it the
Ctrl-C handling, before anything slow is imported.
"""

from __future__ import annotations

import sys

# command name -> (module under cnnbench.reports.cli, the first paragraph of its help)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "Check every claim of the source texts; print verdicts grouped by seed "
              "and family."),
    "bench": ("bench", "Time activations and convolutions; results are appended to --out as "
              "each finishes."),
    "report": ("report", "Render the HTML report; sections whose results are missing say which "
               "command makes them."),
    "series": ("series", "Print the exact Taylor coefficients of an activation at 0 (one-sided "
               "where piecewise)."),
    "complexity": ("complexity", "Print parameters, multiply-accumulates (1 MAC = 2 FLOPs) and "
                   "float32 sizes."),
    "network": ("network", "Profile a torch model: per layer output shape, receptive field and "
                "jump, parameters, MACs and activation memory; then totals."),
    "rf": ("rf", "Print each layer's receptive field (rf), jump (effective stride) and start."),
    "maxdepth": ("maxdepth", "Maximise the total depth sum a_i over n stages (003 eqs. 4.2-4.4)."),
    "shape": ("shape", "Output size along one axis, with torch's rules (refuses what torch "
              "refuses)."),
    "variance": ("variance", "Print each layer's pre-activation second moment q, the mean of "
                 "f(h), the backward gain χ and the gradient variance; with --mc, the measured "
                 "values and tolerances."),
    "train": ("train", "Train deep plain networks on 8x8 digits for each activation and several "
              "seeds."),
    "gate": ("gate", "Performance gates (within-run ratios; asv commit-vs-commit)."),
    "asv-site": ("asv_site", "asv's results and site: the committed history, the site offline "
                 "(vendored libraries)."),
}
COMMAND_MODULES = tuple(dict.fromkeys(module for module, _ in COMMANDS.values()))
EXIT_INTERRUPTED = 130  # the shell's code for SIGINT


def __getattr__(name: str):
    if name == "app":  # `from cnnbench.reports.cli import app`: the typer app (tests, embedding)
        from cnnbench.reports.cli._app import app

        return app
    raise AttributeError(f"module 'cnnbench.reports.cli' has no attribute {name!r}")


def main() -> None:
    """The console script: run the app; Ctrl-C at any moment exits 130 without a traceback.

    Inside a command typer already turns KeyboardInterrupt into exit 130; this
    covers the moments around it: importing typer and the command's module
    (torch takes seconds), building the command line, printing the result.
    """
    try:
        from cnnbench.reports.cli._app import app

        app()
    except KeyboardInterrupt:
        try:
            sys.stderr.write("\ninterrupted\n")
        finally:
            sys.exit(EXIT_INTERRUPTED)
