"""NCHW against channels_last for every convolution of a model, timed side by side.

Each convolution is rebuilt on the CPU (its own hyper-parameters, float32, default
initialisation) and timed forward + backward on an input of its own shape, in the
default contiguous layout (NCHW) and in ``torch.channels_last``, alternating between the
two so that machine noise hits both alike. Each layer gets ``budget_s / layers`` seconds
(at least :data:`MIN_REPEATS` timings per layout); the median is kept. The whole-model
recommendation adds what changing layout costs: converting the input to channels_last
once and the last convolution's output back.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

MIN_REPEATS = 3  # timings per layout and layer, whatever the budget
CLEAR_MARGIN = 0.05  # a layout is "faster" only when its median is 5 % below the other's


@dataclass(frozen=True)
class LayoutRow:
    name: str
    shape: tuple[int, ...]  # the layer's input (N, C, H, W)
    nchw_s: float
    channels_last_s: float
    repeats: int

    @property
    def faster(self) -> str:
        if self.channels_last_s < (1 - CLEAR_MARGIN) * self.nchw_s:
            return "channels_last"
        if self.nchw_s < (1 - CLEAR_MARGIN) * self.channels_last_s:
            return "NCHW"
        return "either (within 5 %)"

    def to_json(self) -> dict:
        return {"name": self.name, "input": list(self.shape), "nchw_s": self.nchw_s,
                "channels_last_s": self.channels_last_s, "repeats": self.repeats,
                "faster": self.faster}  # fmt: skip


def _step(conv: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        conv.zero_grad(set_to_none=True)
        conv(x).sum().backward()

    return run


def _median_pair(a: Callable[[], None], b: Callable[[], None], budget_s: float,
                 clock: Callable[[], float]) -> tuple[float, float, int]:  # fmt: skip
    a(), b()  # warm-up (allocations, kernel selection)
    ta, tb, start = [], [], clock()
    while len(ta) < MIN_REPEATS or clock() - start < budget_s:
        for f, out in ((a, ta), (b, tb)):
            t0 = clock()
            f()
            out.append(clock() - t0)
    return statistics.median(ta), statistics.median(tb), len(ta)


def time_layouts(convs: list[tuple[str, nn.Module, tuple[int, ...]]], budget_s: float,
                 progress: Callable[[str], None] = lambda _: None,
                 clock: Callable[[], float] = time.perf_counter) -> list[LayoutRow]:  # fmt: skip
    """Time each ``(name, conv module on the CPU, input shape, ...)`` in both layouts."""
    per = budget_s / max(1, len(convs))
    rows = []
    for name, conv, shape, *_ in convs:
        progress(name)
        x = torch.randn(shape)  # (N, C, H, W), contiguous: NCHW
        conv_cl = _copy(conv).to(memory_format=torch.channels_last)
        x_cl = x.contiguous(memory_format=torch.channels_last)
        nchw, cl, n = _median_pair(_step(conv, x), _step(conv_cl, x_cl), per, clock)
        rows.append(LayoutRow(name, tuple(shape), nchw, cl, n))
    return rows


def _copy(conv: nn.Module) -> nn.Module:
    import copy

    return copy.deepcopy(conv)


def conversion_s(shapes: list[tuple[int, ...]], clock: Callable[[], float] = time.perf_counter,
                 repeats: int = 5) -> float:  # fmt: skip
    """Median seconds to convert a tensor of each shape between layouts, summed (forward
    and backward each convert once: x2)."""
    total = 0.0
    for shape in shapes:
        x = torch.randn(shape)
        times = []
        for _ in range(repeats):
            t0 = clock()
            x.contiguous(memory_format=torch.channels_last)
            times.append(clock() - t0)
        total += 2 * statistics.median(times)
    return total


def recommend(rows: list[LayoutRow], convert_s: float) -> dict:
    """The whole model's layout: channels_last pays when its convolutions' total time plus
    the conversions beats NCHW's total by :data:`CLEAR_MARGIN`."""
    nchw = sum(r.nchw_s for r in rows)
    cl = sum(r.channels_last_s for r in rows) + convert_s
    if cl < (1 - CLEAR_MARGIN) * nchw:
        choice = "channels_last"
    elif nchw < (1 - CLEAR_MARGIN) * cl:
        choice = "NCHW"
    else:
        choice = "either (within 5 %)"
    kinds = ("NCHW", "channels_last", "either (within 5 %)")
    return {"nchw_s": nchw, "channels_last_s": cl, "conversion_s": convert_s,
            "recommendation": choice,
            "layers_faster": {k: sum(r.faster == k for r in rows) for k in kinds}}  # fmt: skip


def model_convs(source, input_shape: tuple[int, ...], batch: int = 1):
    """Every 2-D convolution call of ``source``'s model: ``(name, a CPU copy with fresh
    default initialisation, its input and output shapes at ``batch``)``, from a trace on
    ``meta``."""
    import copy

    from cnnbench.analysis.profile.graph import graph_records, trace
    from cnnbench.analysis.profile.source import build_model

    gm = trace(build_model(source, "meta").eval())
    records = graph_records(gm, torch.zeros((batch, *input_shape), device="meta"))
    out = []
    for r in records:
        if isinstance(r.module, nn.Conv2d | nn.ConvTranspose2d) and r.first_call:
            conv = copy.deepcopy(r.module).to_empty(device="cpu")
            conv.reset_parameters()
            out.append((r.name, conv, r.in_shapes[0], r.shape))
    return out
