"""``cnnbench activation``: one activation's dossier, theory and (optionally) practice."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.reports.cli._app import app, console, err_console, parameter_error, within
from rich.markup import escape
from rich.table import Table

SPEC_HELP = ("A registered name (mish), an expression in x ('x*tanh(log(1+exp(x)))'; piecewise "
             "with Max, Min, Piecewise) or module:attr / path/file.py:attr naming a torch "
             "function or nn.Module class.")  # fmt: skip
# Limits of the command line, each with its reason:
MAX_SIGMA = 30.0  # the edge search range's top (cnnbench.analysis.variance.meanfield.EDGE_BRACKET)
MAX_DEPTH = 200  # --mc and --train: 200 layers take about a minute each on a 2-core VM
MAX_ORDER = 12  # sympy's series of a composite activation grows slow past a dozen terms
MAX_SEEDS = 20
MAX_EPOCHS = 100


@app.command()
def activation(
    spec: Annotated[str, typer.Argument(metavar="SPEC", help=SPEC_HELP)],
    name: Annotated[
        str | None, typer.Option("--name", help="Register the activation under this name.")
    ] = None,
    sigma_w: Annotated[
        float, typer.Option("--sigma-w", help="Weights N(0, σ_w²/fan_in).")
    ] = 1.0,
    sigma_b: Annotated[float, typer.Option("--sigma-b", help="Biases N(0, σ_b²).")] = 0.0,
    order: Annotated[int, typer.Option("--order", "-n", help="Highest power of the series.")] = 6,
    depth: Annotated[int, typer.Option("--depth", help="Layers for --mc and --train.")] = 20,
    mc: Annotated[bool, typer.Option("--mc", help="Monte Carlo on random torch MLPs.")] = False,
    time_it: Annotated[
        bool, typer.Option("--time", help="Forward and backward, eager and compiled, beside "
                           "relu, gelu, silu and tanh.")
    ] = False,
    train: Annotated[
        bool, typer.Option("--train", help="Trainability on digits against relu and tanh.")
    ] = False,
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds for --train.")] = 3,
    epochs: Annotated[int, typer.Option("--epochs", help="Epochs for --train.")] = 10,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Everything the suite can say about one activation: exact series, shape, gains,
    mean-field theory; with --mc, --time and --train, measured beside the built-ins.

    Exit 0 on success, 1 when --mc disagrees with the theory, 2 for a bad SPEC or option.
    """
    from cnnbench.analysis.activations.spec import activation as resolve
    from cnnbench.analysis.dossier.theory import theory

    try:
        within("--sigma-w", sigma_w, 1e-3, MAX_SIGMA, "the edge of chaos is searched up to 30")
        within("--sigma-b", sigma_b, 0.0, MAX_SIGMA, "a bias spread past 30 swamps any weight")
        within("--order", order, 0, MAX_ORDER, "sympy's series of a composite grows slow")
        within("--depth", depth, 1, MAX_DEPTH, "--mc and --train cost grows with depth")
        within("--seeds", seeds, 2, MAX_SEEDS, "an interval needs two seeds; 20 is plenty")
        within("--epochs", epochs, 1, MAX_EPOCHS, "digits converge within a few dozen epochs")
        act = resolve(spec, name)
        if not act.elementwise:
            raise ParameterError("SPEC", spec, "is not elementwise: a dossier needs f(x) per "
                                 "element")  # fmt: skip
        out = {"theory": theory(act, sigma_w, sigma_b, order).to_json()}
    except ParameterError as exc:
        raise parameter_error(exc) from None
    if not json_out:
        _print_theory(out["theory"])
    if mc:
        from cnnbench.analysis.dossier.experiments import variance_mc

        out["monte_carlo"] = variance_mc(act, sigma_w, sigma_b, depth)
        if not json_out:
            _print_mc(out["monte_carlo"])
    if time_it:
        from cnnbench.bench.activation_timing import NEAREST, time_activations

        out["timing"] = time_activations([act.name, *NEAREST], progress=_status)
        if not json_out:
            _print_timing(out["timing"])
    if train:
        from cnnbench.analysis.dossier.experiments import trainability

        out["training"] = trainability(act, depth, seeds, epochs)
        if not json_out:
            _print_training(out["training"])
    if json_out:
        console.print_json(json.dumps(out))
    if mc and not out["monte_carlo"]["agrees"]:
        err_console.print("[bold red]Monte Carlo disagrees with the mean-field theory[/]")
        raise typer.Exit(1)


def _status(what: str) -> None:
    err_console.print(f"timing {what}", style="dim")


def _fmt(v) -> str:
    if v is None:
        return "—"
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _print_theory(t: dict) -> None:
    s = t["series"]
    console.print(f"[bold]{escape(t['activation'])}[/]: {escape(t['expression'] or t['origin'])}"
                  + ("" if t["symbolic"] else " (numeric: no sympy form)"))
    table = Table(title=escape(f"series at 0 ({s['how']})"), title_justify="left")
    table.add_column("power", justify="right")
    table.add_column("at 0⁺")
    table.add_column("at 0⁻")
    for k, (r, left) in enumerate(zip(s["right"], s["left"], strict=True)):
        table.add_row(str(k), r, left)
    console.print(table)
    radius = s["radius"] or f"unknown ({s['radius_reason']})"
    console.print(f"slope at 0⁺: {t['slope_at_0_plus']}; radius of convergence: {radius}")
    r = t["ranges"]
    for key in ("value", "derivative"):
        v = r[key]
        lo = ("[" if v["low_attained"] else "(") + _fmt(v["low"])
        hi = _fmt(v["high"]) + ("]" if v["high_attained"] else ")")
        console.print(f"range of {'f' if key == 'value' else 'f′'}: {lo}, {hi}")
    console.print(escape(f"{r['monotone']}; smoothness {t['smoothness']['class']} "
                         f"({t['smoothness']['how']}); ranges: {r['how']}"))
    g = Table(title="gains (weights N(0, gain²/fan_in))", title_justify="left")
    g.add_column("criterion")
    g.add_column("gain", justify="right")
    g.add_column("meaning")
    for k, v in t["gains"].items():
        g.add_row(k, _fmt(v["gain"]), escape(v["criterion"]))
    console.print(g)
    m = t["mean_field"]
    console.print(
        f"mean field at σ_w = {m['sigma_w']:g}, σ_b = {m['sigma_b']:g}: q* = {_fmt(m['q_star'])} "
        f"({m['regime']}), χ₁ = {_fmt(m['chi1'])} → {m['phase']}; depth scales: signal "
        f"ξ_c = {_fmt(m['depth_signal'])}, gradient ξ_∇ = {_fmt(m['depth_gradient'])}"
    )
    console.print(escape(f"order-to-chaos edge: {t['edge_note']}"))
    console.print(f"({t['seconds']:.1f} s)", style="dim")


def _print_mc(r: dict) -> None:
    console.print(f"Monte Carlo ({escape(r['how'])}): {'agrees' if r['agrees'] else 'DISAGREES'}"
                  f"{'' if r['informative'] else ' (uninformative: tolerances too wide)'}; worst "
                  f"|error|/tolerance forward {r['forward_err_over_tol']:.2f}, backward "
                  f"{r['backward_err_over_tol']:.2f}")  # fmt: skip
    for row in r["layers"]:
        console.print(f"  layer {row['layer']}: q {row['q_theory']:.4g} vs {row['q_mc']:.4g} "
                      f"± {row['q_tol']:.2g}; grad {row['grad_theory']:.4g} vs "
                      f"{row['grad_mc']:.4g} ± {row['grad_tol']:.2g}")  # fmt: skip


def _print_timing(r: dict) -> None:
    table = Table(title=escape(f"timing: {r['how']}"), title_justify="left")
    for col in ("activation", "form", "direction", "median", "IQR", "× relu", "% roofline"):
        table.add_column(col, justify="left" if col in ("activation", "form", "direction")
                         else "right")  # fmt: skip
    for row in r["rows"]:
        ratio = "—" if row["vs_relu"] is None else f"{row['vs_relu']:.2f}"
        table.add_row(row["activation"], row["form"], row["direction"],
                      f"{row['median_s'] * 1e3:.3f} ms",
                      f"{(row['q3_s'] - row['q1_s']) * 1e3:.3f} ms", ratio,
                      f"{100 * row['roofline_fraction']:.0f}%")  # fmt: skip
    console.print(table)


def _print_training(r: dict) -> None:
    table = Table(title=escape(f"trainability: {r['how']}"), title_justify="left")
    for col in ("activation", "status", "final acc", "95% CI"):
        table.add_column(col)
    for n, s in r["arms"].items():
        ci = s["final_acc"]
        table.add_row(n, s["status"], f"{ci['mean']:.3f}", f"[{ci['low']:.3f}, {ci['high']:.3f}]")
    console.print(table)
    for b, d in r["paired_final_acc"].items():
        console.print(f"final accuracy minus {b}'s, paired by seed: {d['mean']:+.3f} "
                      f"[{d['low']:+.3f}, {d['high']:+.3f}]")  # fmt: skip
    console.print(f"chance: {r['chance']:.3f}")
