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
    "merge": ("merge", "Join results files of shards (--shard i/N) or of several machines into "
              "one."),
    "series": ("series", "Print the exact Taylor coefficients of an activation at 0 (one-sided "
               "where piecewise)."),
    "activation": ("activation", "Everything the suite can say about one activation: exact "
                   "series, shape, gains, mean-field theory; with --mc, --time and --train, "
                   "measured beside the built-ins."),
    "league": ("league", "Every activation side by side: slope at 0⁺, gains, the "
               "order-to-chaos σ_w, depth scales; with --time and --train, speed and "
               "trainability measured in one run."),
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
        plugins = _take_plugins(sys.argv)
        if plugins:
            _load_plugins(plugins)
        from cnnbench.reports.cli._app import app

        app()
    except KeyboardInterrupt:
        try:
            sys.stderr.write("\ninterrupted\n")
        finally:
            sys.exit(EXIT_INTERRUPTED)


PLUGIN_OPTION = "--plugin"
PLUGIN_HELP = ("--plugin MODULE_OR_FILE, given anywhere on the command line (repeatable), "
               "registers the activations its CNNBENCH_ACTIVATIONS = {name: spec} lists, for "
               "any command; so does the CNNBENCH_PLUGINS environment variable.")


def _take_plugins(argv: list[str]) -> list[str]:
    """Remove every ``--plugin X`` / ``--plugin=X`` from ``argv`` (in place); return the Xs.

    Every command takes the option this way, without each declaring it.
    """
    found, i = [], 1
    while i < len(argv):
        arg = argv[i]
        if arg == PLUGIN_OPTION:
            if i + 1 >= len(argv):
                sys.stderr.write("error: `--plugin` needs a module or a file\n")
                sys.exit(2)
            found.append(argv[i + 1])
            del argv[i : i + 2]
        elif arg.startswith(PLUGIN_OPTION + "="):
            found.append(arg.split("=", 1)[1])
            del argv[i]
        else:
            i += 1
    return found


def _load_plugins(plugins: list[str]) -> None:
    """Load ``plugins`` now (exit 2 naming the bad one), then pass them to child processes."""
    import os

    from cnnbench.analysis._validation import ParameterError

    try:
        from cnnbench.analysis.activations.plugins import load_plugin

        for p in plugins:
            load_plugin(p)
        # child processes (workers, asv) may run elsewhere: a file is passed by absolute path
        plugins = [os.path.abspath(p) if os.path.isfile(p) else p for p in plugins]
    except ParameterError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    os.environ["CNNBENCH_PLUGINS"] = os.pathsep.join(
        [p for p in os.environ.get("CNNBENCH_PLUGINS", "").split(os.pathsep) if p] + plugins
    )
