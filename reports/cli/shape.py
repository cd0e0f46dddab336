"""``cnnbench shape``: output size of a convolution, pooling or transposed convolution."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError, as_choice
from cnnbench.reports.cli._app import app, console, parameter_error

OPS = ("conv", "pool", "convT")
INT64_MAX = 2**63 - 1

_FORMULA = {
    "conv": "floor(({n} + 2*{p} - {d}*({k}-1) - 1)/{s}) + 1",
    "pool": "{rounding}(({n} + 2*{p} - {d}*({k}-1) - 1)/{s}) + 1",
    "convT": "({n}-1)*{s} - 2*{p} + {d}*({k}-1) + {a} + 1",
}


@app.command()
def shape(
    op: Annotated[str, typer.Argument(metavar="OP", help="conv | pool | convT",
                                      show_default=False)],
    size: Annotated[int, typer.Option("--size", help="Input size along one axis.")],
    kernel: Annotated[int, typer.Option("--kernel", help="Kernel (window) size.")],
    stride: Annotated[
        int | None,
        typer.Option("--stride", help="Stride [default: 1; pool: the kernel size]."),
    ] = None,
    padding: Annotated[int, typer.Option("--padding", help="Padding on each side.")] = 0,
    dilation: Annotated[int, typer.Option("--dilation", help="Spacing of kernel taps.")] = 1,
    output_padding: Annotated[
        int, typer.Option("--output-padding", help="convT only: extra size on one side.")
    ] = 0,
    ceil_mode: Annotated[
        bool, typer.Option("--ceil-mode", help="pool only: round the window count up.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Output size along one axis, with torch's rules (refuses what torch refuses).

    Example: cnnbench shape pool --size 5 --kernel 2 --stride 2 --padding 1 --ceil-mode
    """
    from cnnbench.analysis.shapes.formulas import (
        conv_output_size,
        conv_transpose_output_size,
        pool_output_size,
    )

    try:
        as_choice("op", op, OPS)
        for option, value in (("--size", size), ("--kernel", kernel), ("--stride", stride),
                              ("--padding", padding), ("--dilation", dilation),
                              ("--output-padding", output_padding)):  # fmt: skip
            if value is not None and value > INT64_MAX:
                raise ParameterError(option, value, "must be at most 2**63 - 1: torch stores "
                                     "sizes as 64-bit integers")  # fmt: skip
        if op != "convT" and output_padding != 0:
            raise ParameterError("--output-padding", output_padding, "applies only to convT")
        if op != "pool" and ceil_mode:
            raise ParameterError("--ceil-mode", ceil_mode, "applies only to pool")
        if op == "conv":
            stride = 1 if stride is None else stride
            out = conv_output_size(size, kernel, stride, padding, dilation)
        elif op == "pool":
            out = pool_output_size(size, kernel, stride, padding, dilation, ceil_mode)
            stride = kernel if stride is None else stride
        else:
            stride = 1 if stride is None else stride
            out = conv_transpose_output_size(
                size, kernel, stride, padding, output_padding, dilation
            )
    except ParameterError as exc:
        raise parameter_error(exc, {"op": "OP"}) from None
    formula = _FORMULA[op].format(
        n=size, k=kernel, s=stride, p=padding, d=dilation, a=output_padding,
        rounding="ceil" if ceil_mode else "floor",
    )  # fmt: skip
    params = {"size": size, "kernel": kernel, "stride": stride, "padding": padding,
              "dilation": dilation}  # fmt: skip
    if op == "convT":
        params["output_padding"] = output_padding
    if op == "pool":
        params["ceil_mode"] = ceil_mode
    if json_out:
        print(json.dumps({"op": op, **params, "output": out, "formula": formula}))
        return
    console.print(", ".join(f"{k}={v}" for k, v in params.items()), highlight=False)
    if op == "pool" and ceil_mode:
        m = size + 2 * padding - dilation * (kernel - 1) - 1
        if -(-m // stride) + 1 != out:  # torch drops a last window that starts in the padding
            formula += " - 1 (the last window would start in the right padding)"
    console.print(f"{op} output size = {formula} = [bold]{out}[/]", highlight=False)
