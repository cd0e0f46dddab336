"""``cnnbench league``: every activation side by side, theory and (optionally) practice."""

from __future__ import annotations

import math
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.results_io import check_output, write_json_atomic
from cnnbench.reports.cli._app import app, console, err_console, parameter_error, within
from rich.table import Table

LEAGUE_SCHEMA = 1
TRAIN_DEPTH, TRAIN_SEEDS, TRAIN_EPOCHS = 20, 3, 8  # one run for every row (a few minutes)
TIME_ELEMENTS = 2**20


@app.command()
def league(
    names: Annotated[
        str | None, typer.Option("--names", help="Comma-separated activations (default: every "
                                 "elementwise one, plugged-in ones included).")
    ] = None,
    sigma_b: Annotated[
        float, typer.Option("--sigma-b", help="Bias spread the edge column is stated at.")
    ] = 0.1,
    time_it: Annotated[
        bool, typer.Option("--time", help="Time forward and backward, eager and compiled.")
    ] = False,
    train: Annotated[
        bool, typer.Option("--train", help=f"Train each at depth {TRAIN_DEPTH} on digits.")
    ] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the table to this JSON file "
                                  "(`cnnbench report --league` shows it).")
    ] = None,
) -> None:
    """Every activation side by side: slope at 0⁺, gains, the order-to-chaos σ_w, depth
    scales; with --time and --train, speed and trainability measured in one run.

    Exit 0 on success, 2 for an unknown activation or a bad option.
    """
    from cnnbench.analysis.activations.spec import activation
    from cnnbench.analysis.dossier.league import league as theory_rows

    try:
        within("--sigma-b", sigma_b, 0.0, 30.0, "a bias spread past 30 swamps any weight")
        chosen = None
        if names is not None:
            chosen = [activation(n.strip()).name for n in names.split(",") if n.strip()]
            if not chosen:
                raise ParameterError("--names", names, "must name at least one activation")
        if json_out is not None:
            check_output("--json", json_out, create_parent=True)
    except ParameterError as exc:
        raise parameter_error(exc) from None
    rows = theory_rows(chosen, sigma_b, progress=lambda n: err_console.print(f"theory {n}",
                                                                              style="dim"))
    out = {"schema": LEAGUE_SCHEMA, "sigma_b": sigma_b, "rows": rows,
           "command": "cnnbench league " + shlex.join(sys.argv[2:])}  # fmt: skip
    if time_it:
        from cnnbench.bench.activation_timing import time_activations

        t = time_activations([r["activation"] for r in rows], elements=TIME_ELEMENTS,
                             budget_s=0.2, progress=lambda w: err_console.print(
                                 f"timing {w}", style="dim"))  # fmt: skip
        out["timing_how"] = t["how"]
        for row in rows:
            for tr in t["rows"]:
                if tr["activation"] == row["activation"]:
                    key = f"{tr['form']}_{tr['direction']}"
                    row[f"{key}_s"] = tr["median_s"]
                    row[f"{key}_roofline"] = tr["roofline_fraction"]
    if train:
        out["train_how"] = _train(rows)
    if json_out is not None:
        from cnnbench.analysis.dossier.theory import finite_json

        write_json_atomic(json_out, finite_json(out))
    _print(out)


def _train(rows: list[dict]) -> str:
    from cnnbench.analysis.training.experiment import TrainConfig, run_experiment
    from cnnbench.analysis.training.stats import activation_summary

    config = TrainConfig(activations=tuple(r["activation"] for r in rows), depth=TRAIN_DEPTH,
                         seeds=TRAIN_SEEDS, epochs=TRAIN_EPOCHS)  # fmt: skip
    result = run_experiment(config, lambda r: err_console.print(
        f"trained {r.activation} seed {r.seed}", style="dim"))  # fmt: skip
    for row in rows:
        s = activation_summary(result, row["activation"])
        row["train_status"], row["train_final_acc"] = s["status"], s["final_acc"]["mean"]
    return (f"digits, {TRAIN_DEPTH} hidden layers of width {config.width}, {config.init}, SGD, "
            f"{TRAIN_EPOCHS} epochs, seeds 0..{TRAIN_SEEDS - 1}; status by the training claims' "
            "rule; `cnnbench train --activations NAME --depth 20 --seeds 3 --epochs 8` "
            "reproduces a row")  # fmt: skip


def _g(v, digits: int = 4) -> str:
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    return "∞" if math.isinf(v) else f"{v:.{digits}g}"


def league_table_rows(out: dict) -> tuple[list[str], list[tuple[str, ...]]]:
    """Column names and formatted rows (the console table and the report's)."""
    cols = ["activation", "slope 0⁺", "gain fwd", "gain torch",
            f"edge σ_w (σ_b={out['sigma_b']:g})", "ξ_∇ Xavier", "ξ_∇ Kaiming"]  # fmt: skip
    timed = "eager_forward_s" in out["rows"][0] if out["rows"] else False
    if timed:
        cols += [f"{f} {d} ms (% roof)" for f in ("eager", "compiled")
                 for d in ("forward", "backward")]  # fmt: skip
    trained = "train_status" in (out["rows"][0] if out["rows"] else {})
    if trained:
        cols += ["trainability", "final acc"]
    rows = []
    for r in out["rows"]:
        cells = [r["activation"] + (" (plugin)" if r["user"] else ""), r["slope_at_0_plus"],
                 _g(r["gain_forward"]), _g(r["gain_torch"]), _g(r["edge_sigma_w"]),
                 f"{_g(r['depth_gradient_xavier'], 3)} ({r['phase_xavier']})",
                 f"{_g(r['depth_gradient_kaiming'], 3)} ({r['phase_kaiming']})"]  # fmt: skip
        if timed:
            for key in ("eager_forward", "eager_backward", "compiled_forward", "compiled_backward"):
                s, roof = r.get(f"{key}_s"), r.get(f"{key}_roofline")
                cells.append("—" if s is None else f"{s * 1e3:.3f} ({100 * roof:.0f}%)")
        if trained:
            cells += [r["train_status"], f"{r['train_final_acc']:.3f}"]
        rows.append(tuple(cells))
    return cols, rows


def _print(out: dict) -> None:
    cols, rows = league_table_rows(out)
    table = Table(title="activation league table", title_justify="left")
    for c in cols:
        table.add_column(c)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print("each row: `cnnbench activation NAME --sigma-b "
                  f"{out['sigma_b']:g}` (add --time, --train); ξ_∇: gradient depth scale "
                  "1/|ln χ₁| at σ_b = 0 (∞ at the edge)")  # fmt: skip
