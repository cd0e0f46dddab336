"""``cnnbench train``: run the training experiment behind the ``training`` claims."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError, as_choice
from cnnbench.bench.results_io import check_output, write_json_atomic
from cnnbench.reports.cli._app import app, console, err_console, parameter_error
from rich.table import Table

# cnnbench.analysis.training.experiment.SETTINGS (a test checks)
SETTING_NAMES = ("deep", "regularized_relu_000")
TRAIN_SCHEMA = 1  # cnnbench.bench.loaders.TRAIN_SCHEMA: what `cnnbench report --train` reads
# The whole experiment: arms x seeds x epochs x depth layer-epochs. The default (9 arms,
# 5 seeds, 20 epochs, depth 20) is 18000, a few minutes on a 2-core VM; 100000 is about an hour.
MAX_LAYER_EPOCHS = 100_000


@app.command()
def train(
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write results (curves included) to this file "
                                  "(its folder is created if missing).")
    ] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds per activation (<= 100).")] = 5,
    epochs: Annotated[int, typer.Option("--epochs", help="Epochs per run (<= 1000).")] = 20,
    depth: Annotated[
        int | None, typer.Option("--depth", help="Hidden layers (default: the setting's; "
                                 "<= 200).")
    ] = None,
    activations: Annotated[
        str | None, typer.Option("--activations", help="Comma-separated subset of the arms.")
    ] = None,
    setting: Annotated[
        str, typer.Option("--setting", help="deep (003's claims) or regularized_relu_000.")
    ] = "deep",
) -> None:
    """Train deep plain networks on 8x8 digits for each activation and several seeds.

    Prints final test accuracy (mean and 95% t-interval over seeds), whether each
    arm converges, and the first/last hidden layer's gradient norm at init.
    Exit 0 on success, 2 on bad arguments (checked, --json's path included, before
    any training).
    """
    try:
        as_choice("--setting", setting, SETTING_NAMES)
        if json_out is not None:
            check_output("--json", json_out, create_parent=True)
    except ParameterError as exc:
        raise parameter_error(exc) from None
    from dataclasses import replace

    from cnnbench.analysis.training.experiment import SETTINGS

    try:
        base = SETTINGS[setting]
        names = base.activations if activations is None else tuple(
            a.strip() for a in activations.split(",") if a.strip())  # fmt: skip
        config = replace(base, activations=names, seeds=seeds, epochs=epochs,
                         depth=base.depth if depth is None else depth)  # fmt: skip
        work = len(names) * config.seeds * config.epochs * config.depth
        if work > MAX_LAYER_EPOCHS:
            raise ParameterError("--epochs", epochs, f"makes {work} layer-epochs (arms x --seeds x "
                                 f"--epochs x --depth); at most {MAX_LAYER_EPOCHS} (about an hour "
                                 "on a 2-core VM): lower one of them")  # fmt: skip
    except ParameterError as exc:
        raise parameter_error(exc) from None
    start = time.perf_counter()
    result = _run(config, names)
    seconds = time.perf_counter() - start
    from cnnbench.analysis.training.stats import activation_summary, curve_summary

    summaries = {n: activation_summary(result, n) for n in names}
    _print(config, setting, result, summaries, seconds)
    if json_out is not None:
        payload = {
            "schema": TRAIN_SCHEMA,
            **result.to_json(),
            "seconds": seconds,
            "summaries": summaries,
            "curves": {n: {f: curve_summary(result, n, f)
                           for f in ("test_acc", "test_loss", "train_loss")} for n in names},
            "setting": setting,
            "command": f"cnnbench train --setting {setting}"
            + (f" --seeds {seeds}" if seeds != 5 else "")
            + (f" --epochs {epochs}" if epochs != 20 else ""),
        }  # fmt: skip
        write_json_atomic(json_out, _finite(payload))
        console.print(f"wrote {json_out}")


def _run(config, names):
    from cnnbench.analysis.training.experiment import run_experiment
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        TextColumn("[bold]training[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
    )  # fmt: skip
    with progress:
        task = progress.add_task(names[0], total=len(names) * config.seeds)

        def done(r) -> None:
            progress.update(task, advance=1, description=f"{r.activation} s{r.seed}")

        return run_experiment(config, done)


def _print(config, setting, result, summaries, seconds) -> None:
    table = Table(title=f"{setting}: {config.depth}-layer MLP on 8x8 digits, {config.optimizer}, "
                  f"{config.init}, {config.epochs} epochs, {config.seeds} seeds",
                  title_justify="left")  # fmt: skip
    for col in ("activation", "status", "final acc", "95% CI", "lg|∇W1|", "lg|∇W_L|"):
        table.add_column(col, justify="left" if col in ("activation", "status") else "right")
    for n, s in summaries.items():
        ci = s["final_acc"]
        table.add_row(n, s["status"], f"{ci['mean']:.3f}", f"[{ci['low']:.3f}, {ci['high']:.3f}]",
                      _lg(s["log10_grad_first_hidden"]), _lg(s["log10_grad_last_hidden"]))
    console.print(table)
    console.print(f"chance (most frequent class): {result.chance:.3f}; {seconds:.1f} s; lg|∇W|: "
                  "log10 of a hidden layer's weight-gradient norm at init (mean over seeds)")


def _finite(value):
    """``value`` with NaN and infinities (a diverged loss, an interval of one seed) as null:
    they are not JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _lg(v: float | None) -> str:
    return "0 (underflow)" if v is None else f"{v:.2f}"
