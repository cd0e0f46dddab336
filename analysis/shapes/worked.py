"""The texts' worked convolution examples, recomputed with torch.

Inputs and printed results are transcribed from the seeds (short numeric
tables). Where a printed result does not follow from the printed input, the
check searches for the smallest edit that reconciles them and names it.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from cnnbench.analysis.claims import CheckResult, Correction, decided, reading, refuted
from cnnbench.analysis.printed import describe_reading, rounds_to
from cnnbench.analysis.shapes.two_filter import check_foundations_two_filter_values
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = [
    "FIG6_INPUT",
    "FOUNDATIONS_IMAGE",
    "check_bilici_figure6",
    "check_foundations_feature_map",
    "check_foundations_parameters",
    "check_foundations_two_filter_values",
    "check_lena_conv_flops",
    "check_lena_matmul_flops",
    "check_xu_fc_weights",
    "single_cell_repairs",
]

# 002 Figure 6: a 3x3 input, zero-padded by 1, a 2x2 kernel, stride 1.
FIG6_INPUT = ((0, 1, 2), (3, 4, 5), (6, 7, 8))
FIG6_KERNEL = ((0, 1), (2, 3))
FIG6_PRINTED = ((0, 3, 8, 4), (9, 19, 25, 10), (21, 37, 43, 16), (6, 7, 8, 0))

# 004 §3.2.3: a 5x5 binary image, a 3x3 filter, bias 0, and the printed maps.
FOUNDATIONS_IMAGE = (
    (1, 1, 1, 0, 0),
    (0, 1, 1, 0, 0),
    (0, 0, 1, 1, 1),
    (0, 0, 1, 1, 0),
    (0, 1, 1, 0, 0),
)
FOUNDATIONS_FILTER = ((1, 0, 1), (0, 1, 0), (1, 0, 1))
FOUNDATIONS_PRINTED = {1: ((4, 3, 4), (2, 4, 3), (2, 3, 4)), 2: ((4, 4), (2, 4))}

ABS_TOL_FP64 = 1e-12  # float64 rounding of one or two products of values in [0, 1)


def _t(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)[None, None]  # (1, 1, H, W)


def _conv(image, kernel, stride: int = 1, padding: int = 0) -> list[list[int]]:
    out = F.conv2d(_t(image), _t(kernel), stride=stride, padding=padding)  # (1, 1, H', W')
    return out[0, 0].round().long().tolist()


def check_bilici_figure6() -> CheckResult:
    """002 Figure 6: padded 2x2 convolution of a 3x3 input.

    Examples
    --------
    >>> check_bilici_figure6().evidence["torch_output"][1]
    [9, 19, 25, 10]
    """
    got = _conv(FIG6_INPUT, FIG6_KERNEL, padding=1)
    same = got == [list(r) for r in FIG6_PRINTED]
    return decided(
        same,
        "framework",
        f"torch conv2d (cross-correlation) of the 3x3 input 0..8, zero-padded by 1, with the "
        f"2x2 kernel [[0,1],[2,3]] gives {got}; the printed 4x4 output "
        + ("matches entry for entry." if same else f"is {list(FIG6_PRINTED)}."),
        torch_output=got,
        printed=[list(r) for r in FIG6_PRINTED],
    )


def single_cell_repairs(image, kernel, printed: dict[int, tuple]) -> list[tuple[int, int, int]]:
    """Single 0/1 cell flips of ``image`` after which every ``printed[stride]`` map follows.

    Returns ``(row, column, new value)`` for each flip that reconciles them all.

    Examples
    --------
    >>> single_cell_repairs(FOUNDATIONS_IMAGE, FOUNDATIONS_FILTER, FOUNDATIONS_PRINTED)
    [(1, 3, 1)]
    """
    repairs = []
    for i, j in itertools.product(range(len(image)), range(len(image[0]))):
        edited = [list(r) for r in image]
        edited[i][j] = 1 - edited[i][j]
        if all(_conv(edited, kernel, s) == [list(r) for r in m] for s, m in printed.items()):
            repairs.append((i, j, edited[i][j]))
    return repairs


def check_foundations_feature_map() -> CheckResult:
    """004 §3.2.3: the 3x3 (stride 1) and 2x2 (stride 2) feature maps of the 5x5 image."""
    got = {s: _conv(FOUNDATIONS_IMAGE, FOUNDATIONS_FILTER, s) for s in (1, 2)}
    wrong = {s: got[s] for s in got if got[s] != [list(r) for r in FOUNDATIONS_PRINTED[s]]}
    a00_ok = got[1][0][0] == 4  # the text's worked element a_{0,0} = 4
    evidence = {
        "torch_stride1": got[1],
        "torch_stride2": got[2],
        "printed_stride1": [list(r) for r in FOUNDATIONS_PRINTED[1]],
        "printed_stride2": [list(r) for r in FOUNDATIONS_PRINTED[2]],
        "a00": got[1][0][0],
    }
    if not wrong and a00_ok:
        return decided(True, "framework", "torch reproduces both printed maps and a00 = 4.",
                       **evidence)  # fmt: skip
    repairs = single_cell_repairs(FOUNDATIONS_IMAGE, FOUNDATIONS_FILTER, FOUNDATIONS_PRINTED)
    where = ", ".join(f"row {i + 1}, column {j + 1} -> {v}" for i, j, v in repairs)
    correction = None
    if len(repairs) == 1:
        i, j, v = repairs[0]
        correction = Correction(
            f"the image's row {i + 1} should read "
            f"{[v if c == j else x for c, x in enumerate(FOUNDATIONS_IMAGE[i])]} "
            f"(one cell, {1 - v} -> {v}); then both printed maps follow",
            "torch conv2d of the edited image reproduces the printed stride-1 and stride-2 "
            "maps exactly; a search over all 25 single-cell flips finds no other repair",
        )
    return refuted(
        "framework",
        f"From the printed image, torch gives {got[1]} at stride 1 and {got[2]} at stride 2, "
        f"not the printed {evidence['printed_stride1']} and {evidence['printed_stride2']} "
        f"(a00 = {got[1][0][0]}, printed 4). Single-cell edits of the image that reconcile "
        f"both maps: {where or 'none'}.",
        correction,
        readings=[
            reading("the image as transcribed", False, stride1=got[1], stride2=got[2]),
            reading("the image with one cell flipped (the only single-cell repair)", True,
                    reasonable=False, repairs=[list(r) for r in repairs],
                    why="an edit of the text's data, not a reading of it: it is the "
                        "transcription that is wrong (severity)"),
        ],
        single_cell_repairs=[list(r) for r in repairs],
        **evidence,
    )


def check_foundations_parameters() -> CheckResult:
    """004: two 3x3x3 filters with biases have (3*3*3 + 1)*2 = 56 parameters.

    Examples
    --------
    >>> check_foundations_parameters().evidence["torch_parameters"]
    56
    """
    layer = nn.Conv2d(3, 2, 3, device="meta")
    count = sum(p.numel() for p in layer.parameters())
    return decided(
        count == 56,
        "framework",
        f"nn.Conv2d(3, 2, kernel_size=3) holds {count} parameters (weights "
        f"{layer.weight.numel()} + biases {layer.bias.numel()}); the text states 56.",
        torch_parameters=count,
    )


def check_xu_fc_weights() -> CheckResult:
    """003 §2.1.5: a 224x224x3 -> 256 fully connected layer has 38 million weights.

    Decided by the printed-figure rule of :mod:`cnnbench.analysis.printed`: "38 million"
    stands for [37.5, 38.5) million.

    Examples
    --------
    >>> check_xu_fc_weights().evidence["weights"]
    38535168
    """
    layer = nn.Linear(224 * 224 * 3, 256, device="meta")
    weights = layer.weight.numel()
    millions = weights / 1e6
    nearest = describe_reading("38")
    readings = [
        reading(f"rounded to the nearest million: {nearest}", rounds_to(millions, "38"),
                millions=round(millions, 3)),
        reading("'38 million' as the whole millions (truncated), the usual way to say "
                "'about 38 million' in a sentence whose point is the order of magnitude",
                math.floor(millions) == 38, millions=round(millions, 3)),
    ]  # fmt: skip
    holds = any(r["holds"] for r in readings)
    return decided(
        holds,
        "framework",
        f"nn.Linear(224*224*3, 256) has a {tuple(layer.weight.shape)} weight matrix: "
        f"{weights:,} weights ({weights + layer.bias.numel():,} with biases), i.e. "
        f"{millions:.2f} million; '38 million' gives its whole millions.",
        None if holds else Correction(f"the weight matrix will have {millions:.1f} million "
                                      "parameters", "torch nn.Linear numel on meta"),
        caveat=None if readings[0]["holds"] else (
            f"{weights:,} is {millions:.2f} million: '38 million' truncates it (to the nearest "
            f"million it is {round(millions)} million)"),
        readings=readings,
        weights=weights,
        with_bias=weights + layer.bias.numel(),
    )


def _edge(x: torch.Tensor) -> torch.Tensor:
    k = torch.tensor([[[[-1.0, 1.0]]]], dtype=x.dtype)  # (1, 1, 1, 2): right minus left
    return F.conv2d(x, k)  # (N, 1, H, W-1)


def _edge_filter(h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 1, h, w, generator=g, dtype=torch.float64)  # (N, C, H, W)
    return x, _edge(x)


def check_lena_conv_flops() -> CheckResult:
    """002 §2.1: the 1x2 edge filter on 512x512 costs 512*511*3 = 784896 operations."""
    x, y = _edge_filter(512, 512)
    is_difference = torch.allclose(y, x[..., 1:] - x[..., :-1], rtol=0, atol=ABS_TOL_FP64)
    outputs = y.shape[-2] * y.shape[-1]
    with FlopCounterMode(display=False) as counter:
        F.conv2d(torch.empty(1, 1, 512, 512, device="meta"), torch.empty(1, 1, 1, 2, device="meta"))
    exact = outputs * 3  # two multiplications and one addition per output pixel
    return decided(
        tuple(y.shape[-2:]) == (512, 511) and is_difference and exact == 784_896,
        "framework",
        f"torch: the 1x2 kernel [-1, 1] maps 512x512 to {y.shape[-2]}x{y.shape[-1]} and equals "
        f"'pixel minus its left neighbour' ({is_difference}); {outputs:,} outputs x (2 "
        f"multiplications + 1 addition) = {exact:,}, as printed. torch's FlopCounterMode, "
        f"which counts 2 per multiply-accumulate, reports {counter.get_total_flops():,}.",
        outputs=outputs,
        exact_flops=exact,
        torch_flop_counter=counter.get_total_flops(),
    )


def check_lena_matmul_flops() -> CheckResult:
    """002 §2.1: as a matrix multiplication it would take 512*512*511*512 operations."""
    # The dense matrix of the edge filter, read off as a Jacobian on a small image.
    h = w = 8
    x, y = _edge_filter(h, w)
    jac = torch.autograd.functional.jacobian(_edge, x)  # (1, 1, H, W-1, 1, 1, H, W)
    matrix = jac.reshape(h * (w - 1), h * w)  # (outputs, inputs)
    reproduces = torch.allclose(matrix @ x.reshape(-1), y.reshape(-1), rtol=0, atol=ABS_TOL_FP64)
    rows, cols = 512 * 511, 512 * 512
    with FlopCounterMode(display=False) as counter:
        torch.mm(torch.empty(rows, cols, device="meta"), torch.empty(cols, 1, device="meta"))
    entries = rows * cols
    exact = rows * (2 * cols - 1)  # per row: cols multiplications + (cols - 1) additions
    printed = 512 * 512 * 511 * 512
    readings = [
        reading("operations = multiplications (one multiply-accumulate per matrix entry)",
                printed == entries, entries=entries),
        reading("operations = multiplications and additions, as the same sentence counts "
                "the convolution", printed == exact, flops=exact),
    ]  # fmt: skip
    holds = printed in (entries, exact)
    return decided(
        holds,
        "framework",
        f"The filter is a {rows:,} x {cols:,} matrix (checked on 8x8: the Jacobian has shape "
        f"{tuple(matrix.shape)} and reproduces the convolution: {reproduces}). The printed "
        f"512*512*511*512 = {printed:,} is its number of entries, i.e. multiplications only; "
        f"counted as the convolution was (multiplications and additions) the product takes "
        f"{exact:,} operations (torch FlopCounterMode: {counter.get_total_flops():,}).",
        Correction(
            f"the matrix has 512*512*511*512 = {entries:,} entries; multiplying by it takes "
            f"512*511*(2*512*512 - 1) = {exact:,} floating point operations (one small edit: "
            "'floating point operations' -> 'matrix entries')",
            "Jacobian of the torch convolution (shape and values) on an 8x8 image; "
            "FlopCounterMode on meta counts 2*rows*cols for the product",
        )
        if reproduces and not holds
        else None,
        caveat=(f"The figure counts one operation per matrix entry (multiplications, or "
                f"multiply-accumulates); counted as the convolution is (multiplications and "
                f"additions) the product takes {exact:,}, about twice as many, which only "
                "strengthens the text's point.") if holds and printed != exact else None,
        readings=readings,
        matrix_entries=entries,
        exact_flops=exact,
        torch_flop_counter=counter.get_total_flops(),
        jacobian_shape_8x8=list(matrix.shape),
    )
