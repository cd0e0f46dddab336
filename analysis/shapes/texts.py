"""Checks of the texts' worked shapes: networks run layer by layer in torch on ``meta``.

The networks come from :mod:`cnnbench.analysis.networks.modules` (their transcriptions and
assumptions live there); here each is built, run on a meta tensor (no
compute), and every layer's output shape is held against the printed one.
"""

from __future__ import annotations

import torch
from cnnbench.analysis.claims import CheckResult, Correction, decided, reading
from cnnbench.analysis.networks.modules import build_network, get_network
from cnnbench.analysis.shapes.formulas import half_padding, pool_output_size
from cnnbench.analysis.shapes.sweep import torch_output_size
from torch import nn

_SHAPE_PRESERVING = ("act", "bn", "dropout")

__all__ = [
    "ceil_mode_dependence",
    "check_bilici_conv2_padding",
    "check_flatten_count",
    "check_network_shapes",
    "check_two_filter_volume",
    "check_w2_example",
    "traced_shapes",
]


def traced_shapes(name: str) -> dict[str, tuple[int, ...]]:
    """Each top-level layer's output shape (batch dropped) from a meta forward pass.

    Examples
    --------
    >>> traced_shapes("mnist_bilici")["maxpool2"]
    (32, 7, 7)
    """
    spec = get_network(name)
    model = build_network(name).eval().to("meta")
    shapes: dict[str, tuple[int, ...]] = {}
    for child_name, child in model.named_children():
        child.register_forward_hook(
            lambda _m, _i, out, key=child_name: shapes.__setitem__(key, tuple(out.shape[1:]))
        )
    with torch.no_grad():
        model(torch.empty(1, *spec.input_shape, device="meta"))  # (1, C, H, W)
    return shapes


def check_network_shapes(name: str) -> CheckResult:
    """Every printed layer output of network ``name`` against torch's."""
    spec = get_network(name)
    shapes = traced_shapes(name)
    rows, wrong, kept = [], [], 0
    previous = tuple(spec.input_shape)
    for layer in spec.layers:
        got = shapes[layer.name]
        if layer.stated_output is None and layer.kind in _SHAPE_PRESERVING:
            # The texts say BN / activations / dropout leave the size alone.
            kept += got == previous
            if got != previous:
                wrong.append(f"{layer.name}: {layer.kind} changed {previous} to {got}")
        elif layer.stated_output is not None:
            rows.append(f"{layer.name}: printed {layer.stated_output}, torch {got}")
            if tuple(layer.stated_output) != got:
                wrong.append(rows[-1])
        previous = got
    evidence = {"rows": rows, "assumptions": list(spec.assumptions)}
    ceil = ceil_mode_dependence(name)
    note = ""
    if ceil:
        evidence["ceil_mode_pools"] = ceil
        differs = [c for c in ceil if c["ceil"] != c["floor"]]
        note = (
            (
                f" The match relies on ceil-mode pooling (an assumption of the transcription):"
                f" {len(differs)} of {len(ceil)} ceil-mode pools would give a different size in"
                " floor mode ("
                + "; ".join(
                    f"{c['layer']} {c['kernel']}x{c['kernel']}/"
                    f"{c['stride']} on {c['input']}: ceil {c['ceil']}, floor {c['floor']}"
                    for c in differs
                )
                + ")."
            )
            if differs
            else (f" Its {len(ceil)} ceil-mode pools give the same sizes in floor mode.")
        )
    return decided(
        not wrong,
        "framework",
        f"{name} ({spec.seed} {spec.locator}) built in torch and run on a meta tensor: "
        f"{sum(r not in wrong for r in rows)} of {len(rows)} printed layer outputs match, and "
        f"{kept} BN/activation layers keep their input's shape"
        + (f"; differing: {'; '.join(wrong)}." if wrong else ".")
        + note,
        **evidence,
    )


def ceil_mode_dependence(name: str) -> list[dict[str, object]]:
    """Every ceil-mode pool of network ``name``: its input size and both modes' outputs.

    Examples
    --------
    >>> ceil_mode_dependence("ndsb1")[0]["ceil"], ceil_mode_dependence("ndsb1")[0]["floor"]
    (64, 63)
    """
    spec, shapes = get_network(name), traced_shapes(name)
    rows, previous = [], tuple(spec.input_shape)
    for layer in spec.layers:
        if layer.kind in ("maxpool", "avgpool") and layer.ceil_mode:
            size = previous[-1]
            rows.append(
                {
                    "layer": layer.name,
                    "kernel": layer.kernel,
                    "stride": layer.stride,
                    "input": size,
                    "ceil": pool_output_size(size, layer.kernel, layer.stride, ceil_mode=True),
                    "floor": pool_output_size(size, layer.kernel, layer.stride),
                }
            )
        previous = shapes[layer.name]
    return rows


def check_bilici_conv2_padding() -> CheckResult:
    """002 §10: "This kernel size [5x5] means that our amount of zero padding is 1"."""
    conv = {"size": 14, "kernel": 5, "stride": 1, "dilation": 1}
    with_1 = torch_output_size("conv", {**conv, "padding": 1})
    with_2 = torch_output_size("conv", {**conv, "padding": 2})
    return decided(
        with_1 == 14,
        "framework",
        f"The text's own rule (kernel_size-1)/2 gives {half_padding(5)} for a 5x5 kernel, not 1; "
        f"torch gives 14x14 inputs a {with_1}x{with_1} output with padding 1 and "
        f"{with_2}x{with_2} with padding 2, and the text's 14x14 result, its arithmetic "
        "(14-5+2x2)/1+1 and Algorithm 2 (padding=2) all use 2.",
        Correction(
            "amount of zero padding is 2 (one-character edit: '1' -> '2')",
            f"torch conv2d on meta: padding 2 keeps 14x14 ({with_2}); padding 1 gives {with_1}",
        ),
        readings=[reading("padding 1 on each side, as printed", with_1 == 14, output=with_1),
                  reading("padding 1 in total (one side only)", False,
                          output=torch_output_size("conv", {**conv, "padding": 0}) + 1,
                          note="still short of 14 (and the text's arithmetic pads 2x2)")],
        padding_1_output=with_1,
        padding_2_output=with_2,
    )


def check_flatten_count(channels: int, height: int, width: int, stated: int) -> CheckResult:
    """Flattening ``(channels, height, width)`` feature maps gives ``stated`` features.

    Examples
    --------
    >>> check_flatten_count(32, 7, 7, 1568).evidence["torch_features"]
    1568
    """
    x = torch.empty(1, channels, height, width, device="meta")  # (N, C, H, W)
    got = nn.Flatten()(x).shape[1]
    return decided(
        got == stated,
        "framework",
        f"nn.Flatten of {channels} maps of {height}x{width} gives {got} features; the text "
        f"states {stated}.",
        torch_features=int(got),
        stated=stated,
    )


def check_w2_example(size: int, kernel: int, stride: int, padding: int, stated: int):
    """004's 5x5 example: a ``kernel`` filter at ``stride`` gives a ``stated`` map."""

    def check() -> CheckResult:
        got = torch_output_size(
            "conv",
            {"size": size, "kernel": kernel, "stride": stride, "padding": padding, "dilation": 1},
        )
        return decided(
            got == stated,
            "framework",
            f"torch conv2d of a {size}x{size} image with a {kernel}x{kernel} filter, stride "
            f"{stride}, padding {padding} gives {got}x{got}; the text states {stated}x{stated}.",
            torch_size=got,
            stated=stated,
        )

    return check


def check_two_filter_volume() -> CheckResult:
    """004: a 5x5x3 input padded by 1 (7x7x3), two 3x3x3 filters at stride 2 -> 3x3x2.

    Examples
    --------
    >>> check_two_filter_volume().evidence["output_chw"]
    [2, 3, 3]
    """
    layer = nn.Conv2d(3, 2, 3, stride=2, padding=1, device="meta")
    x = torch.empty(1, 3, 5, 5, device="meta")  # (N, C, H, W): 5x5x3 before padding
    out = tuple(layer(x).shape[1:])  # (C, H, W)
    padded = tuple(nn.ZeroPad2d(1)(x).shape[1:])
    return decided(
        out == (2, 3, 3) and padded == (3, 7, 7),
        "framework",
        f"torch: a 5x5x3 input padded by 1 is {padded[1]}x{padded[2]}x{padded[0]}, and two "
        f"3x3x3 filters at stride 2 give {out[1]}x{out[2]}x{out[0]}; the text states 7x7x3 and "
        "3x3x2.",
        padded_chw=list(padded),
        output_chw=list(out),
    )
