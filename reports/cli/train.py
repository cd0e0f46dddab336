"""``cnnbench train``: run the training experiment behind the ``training`` claims."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from analysis._validation import ParameterError, as_choice
from analysis.training import SETTINGS, run_experiment
from analysis.training_stats import activation_summary, curve_summary
from reports.cli._app import app, console, err_console, usage_error


@app.command()
def train(
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write results (curves included) to this file.")
    ] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds per activation.")] = 5,
    epochs: Annotated[int, typer.Option("--epochs", help="Epochs per run.")] = 20,
    depth: Annotated[
        int | None, typer.Option("--depth", help="Hidden layers (default: the setting's).")
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
    Exit 0 on success, 2 on bad arguments.
    """
    try:
        base = SETTINGS[as_choice("--setting", setting, SETTINGS)]
        names = base.activations if activations is None else tuple(
            a.strip() for a in activations.split(",") if a.strip())  # fmt: skip
        config = replace(base, activations=names, seeds=seeds, epochs=epochs,
                         depth=base.depth if depth is None else depth)  # fmt: skip
    except ParameterError as exc:
        raise usage_error(str(exc)) from None

    progress = Progress(
        TextColumn("[bold]training[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
    )  # fmt: skip
    start = time.perf_counter()
    with progress:
        task = progress.add_task(names[0], total=len(names) * config.seeds)
        def done(r) -> None:
            progress.update(task, advance=1, description=f"{r.activation} s{r.seed}")

        result = run_experiment(config, done)
    seconds = time.perf_counter() - start

    table = Table(title=f"{setting}: {config.depth}-layer MLP on 8x8 digits, {config.optimizer}, "
                  f"{config.init}, {config.epochs} epochs, {config.seeds} seeds",
                  title_justify="left")  # fmt: skip
    for col in ("activation", "status", "final acc", "95% CI", "lg|∇W1|", "lg|∇W_L|"):
        table.add_column(col, justify="left" if col in ("activation", "status") else "right")
    summaries = {n: activation_summary(result, n) for n in names}
    for n, s in summaries.items():
        ci = s["final_acc"]
        table.add_row(n, s["status"], f"{ci['mean']:.3f}", f"[{ci['low']:.3f}, {ci['high']:.3f}]",
                      _lg(s["log10_grad_first_hidden"]), _lg(s["log10_grad_last_hidden"]))
    console.print(table)
    console.print(f"chance (most frequent class): {result.chance:.3f}; {seconds:.1f} s; lg|∇W|: "
                  "log10 of a hidden layer's weight-gradient norm at init (mean over seeds)")
    if json_out is not None:
        payload = {
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
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(payload, indent=1) + "\n")
        console.print(f"wrote {json_out}")


def _lg(v: float | None) -> str:
    return "0 (underflow)" if v is None else f"{v:.2f}"
