"""``cnnbench maxdepth``: the maximum-depth design problem of 003 §4.3, solved."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.reports.cli._app import app, console, parameter_error
from rich.table import Table

# cnnbench.analysis.maxdepth.problem.CONSTRAINTS (scipy is imported only when the command
# runs; a test keeps the two equal)
CONSTRAINTS = ("printed", "derived", "edited")


@app.command()
def maxdepth(
    image: Annotated[int, typer.Option("--image", help="Image side z in pixels.")],
    t: Annotated[float, typer.Option("--t", help="Minimum c-value t (> 0).")],
    kernel: Annotated[int, typer.Option("--kernel", help="Filter side k (>= 2).")] = 3,
    integer: Annotated[
        bool, typer.Option("--integer", help="Integer program, a_i >= 1 (scipy milp).")
    ] = False,
    constraints: Annotated[
        str,
        typer.Option("--constraints", help=f"Which constraints: {', '.join(CONSTRAINTS)}."),
    ] = "printed",
    pool_kernel: Annotated[
        int, typer.Option("--pool-kernel", help="Pool window q of the 'derived' constraints.")
    ] = 2,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the result and the exact programs as JSON.")
    ] = False,
) -> None:
    """Maximise the total depth sum a_i over n stages (003 eqs. 4.2-4.4).

    Without --integer: the LP relaxation (a_i >= 0, scipy linprog); with it, the
    integer program (a_i >= 1). Every n = 1..floor(log2 z)+1 is solved and the
    best kept. --json includes c, A_ub, b_ub and bounds of the optimal n's
    program so the optimum can be re-derived with linprog/milp.
    Exit 0 (also when no network is feasible), 2 on bad input.
    """
    from cnnbench.analysis.maxdepth.problem import solve_max_depth

    try:
        sol = solve_max_depth(image, kernel, t, constraints=constraints, integer=integer,
                              pool_kernel=pool_kernel)  # fmt: skip
    except ParameterError as exc:
        raise parameter_error(exc) from None
    if json_out:
        console.print_json(json.dumps(sol.to_json()))
        return
    kind = "integer program (a_i >= 1, milp)" if integer else "LP relaxation (a_i >= 0, linprog)"
    console.print(f"max depth for z={image}, k={kernel}, t={t:g}: {constraints} constraints,"
                  f" {kind}")  # fmt: skip
    table = Table()
    for col in ("n", "optimum", "a_1 .. a_n"):
        table.add_column(col, justify="right" if col != "a_1 .. a_n" else "left")
    for stage in sol.per_n:
        best = stage.n in sol.optimal_n
        total = "infeasible" if stage.total is None else f"{stage.total:.6g}"
        table.add_row(str(stage.n), f"[bold]{total}[/]" if best else total,
                      " ".join(f"{x:.4g}" for x in stage.a))  # fmt: skip
    console.print(table)
    if sol.feasible:
        a = ", ".join(f"{x:.6g}" for x in sol.a)
        console.print(f"optimal total depth {sol.total:.6g} at n = {sol.n}: a = ({a})")
    for note in sol.notes():
        console.print(f"note: {note}")
