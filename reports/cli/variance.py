"""``cnnbench variance``: per-layer variance propagation, theory and (optionally) Monte Carlo."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.reports.cli._app import (
    EXIT_FAILED,
    app,
    console,
    err_console,
    parameter_error,
    usage_error,
    within,
)
from rich.markup import escape
from rich.table import Table

# cnnbench.analysis.variance.init_schemes.INIT_SCHEMES (torch is imported only when the
# command runs; a test keeps the two equal)
INIT_SCHEMES = ("xavier_uniform", "xavier_normal", "kaiming_fan_in", "kaiming_fan_out",
                "kaiming_uniform", "lecun", "pytorch_default", "uniform_pm1")  # fmt: skip
INIT_HELP = "One of: " + ", ".join(INIT_SCHEMES) + "."
# Limits of the command line (the functions themselves take any size):
MAX_DEPTH = 1000  # one quadrature per layer: 1000 layers take ~0.4 s, 10^6 would take minutes
MAX_WIDTH = 4096  # --mc holds depth x width^2 float64 weights (128 MiB per layer at 4096)
MAX_DRAWS = 1000
MAX_BATCH = 4096
MAX_SEED = 2**32 - 1  # torch.manual_seed(seed + draw) must stay within 64 bits
# --mc multiply-adds (draws x depth x batch x width^2, x 8x8 positions x kernel^2 for conv),
# forward and backward: 2e10 is about a minute of float64 on one core of a 2-core VM.
MAX_MC_MACS = 2e10
GAINS_HELP = ("Print the gain each criterion implies, next to torch.nn.init.calculate_gain, "
              "for every activation, and exit.")  # fmt: skip


@app.command()
def variance(
    activation: Annotated[
        str | None, typer.Option("--activation", "-a", help="Registered activation, an "
                                       "expression in x, or module:attr.")
    ] = None,
    init: Annotated[str, typer.Option("--init", "-i", help=INIT_HELP)] = "xavier_normal",
    depth: Annotated[int, typer.Option("--depth", "-L", help="Number of layers.")] = 30,
    width: Annotated[int, typer.Option("--width", "-W", help="Features (mlp) or channels.")] = 256,
    kind: Annotated[str, typer.Option("--kind", help="mlp or conv (3x3, circular).")] = "mlp",
    mc: Annotated[bool, typer.Option("--mc", help="Also measure on real torch networks.")] = False,
    draws: Annotated[int, typer.Option("--draws", help="Networks drawn for --mc (>= 12).")] = 16,
    batch: Annotated[int, typer.Option("--batch", help="Inputs per draw for --mc.")] = 32,
    seed: Annotated[int, typer.Option("--seed", help="Base seed for --mc.")] = 0,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
    gains: Annotated[bool, typer.Option("--gains", help=GAINS_HELP)] = False,
) -> None:
    """Print each layer's pre-activation second moment q, the mean of f(h), the backward
    gain χ and the gradient variance; with --mc, the measured values and tolerances.

    Exit 0 on success (and, with --mc, agreement), 1 when --mc disagrees, 2 on bad usage.
    """
    if gains:
        from cnnbench.analysis.variance.gain import gain_table

        _print_gains(json_out, gain_table())
        return
    if activation is None:
        raise usage_error("`--activation` is required (or use --gains)")
    from cnnbench.analysis.activations.spec import activation as resolve
    from cnnbench.analysis.variance.maps import fixed_point, variance_profile
    from cnnbench.analysis.variance.monte_carlo import monte_carlo

    try:
        activation = resolve(activation).name  # a name, an expression in x, module:attr
        _check_sizes(depth, width, draws, batch, seed, kind if mc else None)
        if mc:
            result = monte_carlo(activation, init, depth, width, kind=kind, draws=draws,
                                 batch=batch, seed=seed)  # fmt: skip
            theory = result.theory
        else:
            result = None
            theory = variance_profile(activation, init, depth, width, kind=kind)
        fp = fixed_point(activation, theory.sigma_w2_forward, theory.sigma_b2)
    except ParameterError as exc:
        raise parameter_error(exc, {"SPEC": "--activation"}) from None

    if json_out:
        out = result.to_json() if result is not None else {"theory": theory.to_json()}
        out["fixed_point"] = {"regime": fp.regime, "q": _num(fp.q), "slope": _num(fp.slope),
                              "chi": _num(fp.chi)}  # fmt: skip
        console.print_json(json.dumps(out))
    else:
        _print_table(theory, result)
        console.print(
            f"fan_in·Var\\[w] = {theory.sigma_w2_forward:.4g}, fan_out·Var\\[w] = "
            f"{theory.sigma_w2_backward:.4g}, Var\\[b] = {theory.sigma_b2:.3g}; forward fixed "
            f"point from q = 1: {fp.regime}, q* = {fp.q:.4g}, χ(q*) = {fp.chi:.4g}"
        )
        if result is not None:
            w = result.worst()
            console.print(
                f"{result.draws} draws, tolerance t = {result.t_quantile:.2f} × s.e. (family-wise "
                f"α = {result.alpha}); worst |error|/tolerance: forward "
                f"{w['forward_err_over_tol']:.2f}, backward {w['backward_err_over_tol']:.2f}; "
                + ("informative" if result.informative else
                   "UNINFORMATIVE: tolerance > 50% of the prediction (finite-width fluctuations)")
            )  # fmt: skip
    if result is not None and not result.agrees:
        err_console.print("[bold red]Monte Carlo disagrees with the theory[/] (see the ✗ rows)")
        raise typer.Exit(EXIT_FAILED)


def _check_sizes(depth: int, width: int, draws: int, batch: int, seed: int,
                 mc_kind: str | None) -> None:  # fmt: skip
    within("--depth", depth, 1, MAX_DEPTH, "one quadrature per layer (1000 take ~0.4 s); the "
           "moments reach their fixed point within a few dozen layers")
    within("--width", width, 1, MAX_WIDTH, "--mc holds depth x width^2 float64 weights "
           "(128 MiB per layer at 4096)")
    within("--draws", draws, 1, MAX_DRAWS, "the tolerance shrinks like 1/sqrt(draws); 1000 "
           "draws already resolve 3% of a layer's spread")
    within("--batch", batch, 1, MAX_BATCH, "inputs per draw; more only costs time")
    within("--seed", seed, 0, MAX_SEED, "torch seeds are 64-bit and each draw adds its index")
    if mc_kind is not None:
        macs = float(draws) * depth * batch * width**2 * (8 * 8 * 9 if mc_kind == "conv" else 1)
        if macs > MAX_MC_MACS:
            raise ParameterError("--mc", f"{macs:.3g} multiply-adds",
                                 f"must stay under {MAX_MC_MACS:g} (about a minute of float64 "
                                 "on one core): lower --draws, --depth, --batch or --width")


def _num(v: float) -> float | str:
    return v if v == v and abs(v) != float("inf") else str(v)


def _print_table(theory, result) -> None:
    table = Table(
        title=f"{theory.activation} + {theory.init}, {theory.kind} width {theory.width}, "
        f"depth {theory.depth}", title_justify="left",
    )  # fmt: skip
    cols = ["layer", "q theory", "E\\[f(h)]", "χ", "grad theory"]
    if result is not None:
        cols.insert(2, "q MC ± tol")
        cols.append("grad MC ± tol")
    for c in cols:
        table.add_column(c, justify="right")
    for i, t in enumerate(theory.layers):
        # quadrature leaves ~1e-18 where E[f(h)] is 0 by symmetry
        mean = f"{t.post_mean:.3g}" if abs(t.post_mean) > 1e-12 else "0"
        cells = [str(t.layer), f"{t.q:.4g}", mean, f"{t.chi:.4g}",
                 f"{t.grad_var:.4g}"]  # fmt: skip
        if result is not None:
            m = result.layers[i]
            cells.insert(2, _measured(m.q_mc, m.q_tol, m.q_agrees))
            cells.append(_measured(m.grad_mc, m.grad_tol, m.grad_agrees))
        table.add_row(*cells)
    console.print(table)


def _measured(value: float, tol: float, agrees: bool) -> str:
    mark = "✓" if agrees else "[red]✗[/]"
    return f"{value:.4g} ± {tol:.2g} {mark}"


def _print_gains(json_out: bool, rows) -> None:
    if json_out:
        console.print_json(json.dumps([r.to_json() for r in rows]))
        return
    table = Table(title=escape("weight gain (fan·Var[w] = gain², zero bias) implied by each "
                               "criterion"),
                  title_justify="left")  # fmt: skip
    for c in ("activation", "torch calculate_gain", "unit forward E[f²]", "unit backward E[f'²]",
              "χ = 1 at fixed point"):
        table.add_column(escape(c), justify="left" if c == "activation" else "right")
    fmt = lambda v: "—" if v is None else f"{v:.4f}"  # noqa: E731
    for r in rows:
        table.add_row(r.activation, fmt(r.torch_gain), fmt(r.forward), fmt(r.backward),
                      fmt(r.critical))  # fmt: skip
    console.print(table)
    console.print(escape("unit forward: gain²·E[f(z)²] = 1; unit backward: gain²·E[f'(z)²] = 1 "
                         "(z ~ N(0, 1)); χ = 1: gain²·E[f'(√q* z)²] = 1 at the forward fixed "
                         "point q*; — : torch has no entry / no such gain in (0.1, 30)"))
