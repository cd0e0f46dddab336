"""``cnnbench complexity``: parameters, MACs and sizes of the texts' networks."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.reports.cli._app import app, console, parameter_error
from rich.table import Table

BASELINE = "alexnet_two_tower"


@app.command()
def complexity(
    names: Annotated[
        list[str] | None,
        typer.Argument(metavar="NETWORK...",
                       help="Networks to show (default: all), e.g. alexnet vgg16 tinynet_b."),
    ] = None,
    layers: Annotated[
        bool, typer.Option("--layers", help="Also print each network's layers and shapes.")
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")
    ] = False,
) -> None:
    """Print parameters, multiply-accumulates (1 MAC = 2 FLOPs) and float32 sizes.

    MACs are per image, one forward pass; "x AlexNet" divides by the two-tower
    AlexNet's MACs; "FlopCounterMode" is torch's own count (2 per MAC).
    Exit 0 on success, 2 for an unknown network name.
    """
    from cnnbench.analysis.networks.complexity import counted_flops, network_cost
    from cnnbench.analysis.networks.modules import NETWORKS, get_network, layer_shapes

    try:
        specs = [get_network(n) for n in (names or list(NETWORKS))]
    except ParameterError as exc:
        raise parameter_error(exc, {"name": "NETWORK"}) from None
    base = network_cost(BASELINE).macs
    rows = []
    for spec in specs:
        cost = network_cost(spec.name)
        rows.append({**cost.to_json(), "x_alexnet": round(cost.macs / base, 4),
                     "flop_counter_flops": counted_flops(spec.name)["total"],
                     "source": f"{spec.seed} {spec.locator}"})  # fmt: skip
    if json_out:
        if layers:
            for row in rows:
                row["layers"] = [_layer_json(s) for s in layer_shapes(row["name"])]
        console.print_json(json.dumps(rows))
        return
    table = Table(title="Cost of one forward pass of one image", title_justify="left")
    for col in ("network", "params", "GMAC", "GFLOP", "MB", "MiB", "x AlexNet",
                "FlopCounterMode GFLOP"):  # fmt: skip
        table.add_column(col, justify="left" if col == "network" else "right")
    for row in rows:
        table.add_row(row["name"], f"{row['params']:,}", f"{row['macs'] / 1e9:.3f}",
                      f"{row['flops'] / 1e9:.3f}", f"{row['size_mb']:.1f}",
                      f"{row['size_mib']:.1f}", f"{row['x_alexnet']:.3f}",
                      f"{row['flop_counter_flops'] / 1e9:.3f}")  # fmt: skip
    console.print(table)
    if layers:
        for spec in specs:
            _print_layers(spec.name, get_network, layer_shapes)


def _layer_json(shape) -> dict:
    stated = shape.layer.stated_output
    return {"name": shape.layer.name, "kind": shape.layer.kind, "output": list(shape.output),
            "stated_output": None if stated is None else list(stated),
            "macs": sum(c.macs for c in shape.convs) + (shape.fc[0] * shape.fc[1]
                                                         if shape.fc else 0)}  # fmt: skip


def _print_layers(name: str, get_network, layer_shapes) -> None:
    spec = get_network(name)
    table = Table(title=f"{name}: {spec.title} ({spec.seed} {spec.locator})",
                  title_justify="left")  # fmt: skip
    for col in ("layer", "kind", "output (C,H,W)", "printed", "MMAC"):
        table.add_column(col, justify="right" if col == "MMAC" else "left")
    for shape in layer_shapes(name):
        if shape.layer.kind in ("act", "bn", "dropout"):
            continue
        row = _layer_json(shape)
        stated = shape.layer.stated_output
        mark = "" if stated is None else ("=" if stated == shape.output else f"{stated} ≠")
        table.add_row(row["name"], row["kind"], str(shape.output), mark,
                      f"{row['macs'] / 1e6:.1f}" if row["macs"] else "")  # fmt: skip
    console.print(table)
    for assumption in spec.assumptions:
        console.print(f"  assumed: {assumption}")
