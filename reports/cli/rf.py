"""``cnnbench rf``: receptive field, jump and start of every layer of a stack."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.receptive.formulas import receptive_field
from cnnbench.analysis.receptive.parse import GRAMMAR, parse_layers
from cnnbench.reports.cli._app import app, console, parameter_error, usage_error, within
from rich.table import Table

NAMES = {"layers": "LAYERS", "name": "--network"}
# receptive_field evaluates the closed forms of every prefix: O(n^3) in the layer count
# (300 layers take 3 s, 1000 take 20 s on a 2-core VM); the deepest network of the texts
# has a few dozen layers.
MAX_LAYERS = 256
LAYERS_REASON = ("the closed forms cost O(n^3) in the number of layers (1000 layers take "
                 "20 s on a 2-core VM); the texts' deepest network has a few dozen")


@app.command()
def rf(
    layers: Annotated[
        str | None,
        typer.Argument(metavar="LAYERS", help=f"The stack as text: {GRAMMAR}.",
                       show_default=False),
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
    if layers is None and network is None:
        raise usage_error("give a layer list (e.g. 'c3s1p1,p2s2') or --network NAME")
    if layers is not None and network is not None:
        raise usage_error("give a layer list or --network, not both")
    notes: tuple[str, ...] = ()
    try:
        if network is not None:
            from cnnbench.analysis.networks.modules import get_network
            from cnnbench.analysis.receptive.parse import network_layers

            stack, notes = network_layers(get_network(network))
        else:
            # counted before parsing, so that a huge list is not echoed in the message
            count = layers.count(",") + 1
            within("LAYERS", count, 1, MAX_LAYERS, f"{count} layers given; {LAYERS_REASON}")
            stack = parse_layers(layers)
    except ParameterError as exc:
        raise parameter_error(exc, NAMES) from None
    result = receptive_field(stack)
    out = {"source": network or layers, **result.to_json(), "notes": list(notes)}
    if verify:
        from cnnbench.analysis.receptive.torch_oracle import gradient_support

        try:
            out["torch"] = gradient_support(stack, dims=2).to_json()
        except ParameterError:  # too large a 2-D input: the axes are independent, use 1-D
            try:
                out["torch"] = gradient_support(stack, dims=1).to_json()
            except ParameterError as exc:
                raise usage_error(f"`--verify` cannot measure this stack: {exc.allowed}") from None
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
