"""``cnnbench rf``: receptive field, jump and start of every layer of a stack."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from analysis._validation import ParameterError
from analysis.networks import get_network
from analysis.receptive import receptive_field
from analysis.receptive_parse import GRAMMAR, network_layers, parse_layers
from analysis.receptive_torch import gradient_support
from reports.cli._app import app, console, usage_error


@app.command()
def rf(
    layers: Annotated[
        str | None,
        typer.Argument(help=f"The stack as text: {GRAMMAR}."),
    ] = None,
    network: Annotated[
        str | None,
        typer.Option("--network", help="A network of the texts instead, e.g. vgg16, ndsb1."),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Also measure the stack's receptive field with torch."),
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON instead of a table.")
    ] = False,
) -> None:
    """Print each layer's receptive field (rf), jump (effective stride) and start.

    start is the centre of output unit 0's window in input pixel indices (pixel
    0 at 0); unit j's window is \\[j*jump - P, j*jump - P + rf - 1] with P the
    effective padding. Closed forms of Araujo et al. (Distill 2019).
    Exit 0 on success, 2 on a bad layer list or an unknown network.
    """
    if (layers is None) == (network is None):
        raise usage_error("give either a layer list (e.g. 'c3s1p1,p2s2') or --network, not both")
    notes: tuple[str, ...] = ()
    try:
        if network is not None:
            stack, notes = network_layers(get_network(network))
        else:
            stack = parse_layers(layers)
    except ParameterError as exc:
        raise usage_error(str(exc)) from None
    result = receptive_field(stack)
    out = {"source": network or layers, **result.to_json(), "notes": list(notes)}
    if verify:
        try:
            out["torch"] = gradient_support(stack, dims=2).to_json()
        except ParameterError:  # too large a 2-D input: the axes are independent, use 1-D
            try:
                out["torch"] = gradient_support(stack, dims=1).to_json()
            except ParameterError as exc:
                raise usage_error(f"--verify: {exc}") from None
    if json_out:
        console.print_json(json.dumps(out))
        return
    table = Table(title=f"receptive field of {out['source']}", title_justify="left")
    for col in ("#", "layer", "kind", "k", "s", "p", "d", "rf", "jump", "eff. pad", "start"):
        table.add_column(col, justify="left" if col in ("layer", "kind") else "right")
    for i, row in enumerate(result.rows, start=1):
        x = row.layer
        table.add_row(str(i), x.name, x.kind, str(x.kernel), str(x.stride), str(x.padding),
                      str(x.dilation), str(row.size), str(row.jump), str(row.padding),
                      f"{row.start:g}")  # fmt: skip
    console.print(table)
    for note in notes:
        console.print(f"note: {note}")
    console.print(f"receptive field {result.size}, effective stride {result.stride},"
                  f" effective padding {result.padding}")  # fmt: skip
    if verify:
        t = out["torch"]
        same = (t["rf"], t["jump"], t["effective_padding"]) == (
            result.size, result.stride, result.padding)  # fmt: skip
        verdict = "agrees" if same else "DIFFERS"
        console.print(f"torch gradient support: rf {t['rf']}, jump {t['jump']}, effective"
                      f" padding {t['effective_padding']} ({verdict})")  # fmt: skip
