"""``cnnbench series``: Maclaurin coefficients of an activation (any SPEC with a sympy form)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.reports.cli._app import app, console, parameter_error, within
from rich.table import Table

NAMES = {"name": "ACTIVATION", "activation": "ACTIVATION", "SPEC": "ACTIVATION"}
ORDER_REASON = ("sympy's series cost grows superlinearly with the order "
                "(40 terms of silu or sigmoid take about 7 s on a 2-core VM)")


@app.command()
def series(
    name: Annotated[
        str,
        typer.Argument(metavar="ACTIVATION",
                       help="A registered elementwise activation (sigmoid, relu, ...), an "
                       "expression in x ('x*tanh(log(1+exp(x)))'), or module:attr."),
    ],
    order: Annotated[int, typer.Option("--order", "-n", help="Highest power kept.")] = 6,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON instead of a table.")
    ] = False,
) -> None:
    """Print the exact Taylor coefficients of an activation at 0 (one-sided where piecewise).

    Exit 0 on success, 2 for an unknown or non-elementwise name or a bad order.
    """
    import sympy
    from cnnbench.analysis.activations.spec import activation
    from cnnbench.analysis.activations.taylor import MAX_ORDER, expansion, slope_at_zero_plus

    try:
        name = activation(name).name  # a registered name, an expression in x, module:attr
        within("--order", order, 0, MAX_ORDER, ORDER_REASON)
        e = expansion(name, order)
        slope = slope_at_zero_plus(name)
    except ParameterError as exc:
        raise parameter_error(exc, NAMES) from None
    if json_out:
        console.print_json(json.dumps({**e.to_json(), "slope_at_0_plus": str(slope)}))
        return
    table = Table(title=f"{name}: series at 0 up to x^{e.order}", title_justify="left")
    table.add_column("power", justify="right")
    if e.piecewise:
        table.add_column("at 0⁺ (x > 0 branch)")
        table.add_column("at 0⁻ (x < 0 branch)")
        rows = zip(e.right, e.left, strict=True)
    else:
        table.add_column("Maclaurin coefficient")
        table.add_column("≈", justify="right")
        rows = ((c, f"{float(c):.6g}") for c in e.maclaurin)
    for k, cells in enumerate(rows):
        table.add_row(str(k), *(str(c) for c in cells))
    console.print(table)
    if e.piecewise:
        console.print("not analytic at 0: the one-sided expansions differ")
    radius = "unknown" if e.radius is None else "∞" if e.radius == sympy.oo else str(e.radius)
    what = "each branch's series" if e.piecewise else "the series"
    console.print(f"radius of convergence of {what}: {radius} ({e.radius_reason})")
    console.print(f"coefficient of x at 0⁺: {slope}")
