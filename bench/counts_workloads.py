"""The statements the instruction-count gate counts: small tensors, one thread.

Small on purpose: under callgrind a call runs ~50-100x slower, and instruction
counts do not need a tensor larger than the caches to see a kernel's work. Just
large enough that the kernel's own instructions outweigh the per-call rest
(Python, dispatch, allocation), whose count wanders by ~1e3 instructions from
one build of a statement to the next: transcendental ops take 16384 float32
(64 KiB; tanh's kernel is ~95% of its 217k instructions a call), the cheap ones
(ReLU-like: ~2 instructions an element) 262144 (1 MiB), where at 16384 the
rest was ~3/4 of rrelu's 68k and wandered by 1.8%; the convolutions a
1x8x40x32 input.

``extra`` injects a regression for testing the gate: the statement does
``1 + extra`` times the work in the same call (that many more elements, or
output rows of the convolution), the slip of a kernel that processes more than
it must. Instruction counts then rise by a little less than ``extra`` (the
per-call dispatch is unchanged); ``cnnbench gate trials --counts`` reports by
how much.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Thunk = Callable[[], object]
NUMEL = 1 << 14  # float32 elements of the transcendental statements (64 KiB)
NUMEL_CHEAP = 1 << 18  # of the ReLU-like ones (1 MiB)
CONV_SHAPE = (1, 8, 40, 32)  # (N, C, H, W); 40 rows so that 1.05x is a whole 42
CONV_OUT = 8


def _grow(n: int, extra: float) -> int:
    return round(n * (1.0 + extra))


def _vector(extra: float, numel: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.randn(_grow(numel, extra), generator=g)  # both branches of ReLU-like ops


def _out(op: Callable[..., object], numel: int = NUMEL) -> Callable[[float], Thunk]:
    def build(extra: float) -> Thunk:
        x = _vector(extra, numel)
        y = torch.empty_like(x)
        return lambda: op(x, out=y)

    return build


def _registry(name: str, impl: str, numel: int = NUMEL) -> Callable[[float], Thunk]:
    def build(extra: float) -> Thunk:
        from cnnbench.analysis.activations.registry import get_activation

        f = get_activation(name).implementations[impl]
        x = _vector(extra, numel)
        return lambda: f(x)

    return build


def _conv(channels_last: bool) -> Callable[[float], Thunk]:
    def build(extra: float) -> Thunk:
        g = torch.Generator().manual_seed(0)
        n, c, h, w = CONV_SHAPE
        x = torch.randn(n, c, _grow(h, extra), w, generator=g)
        wt = torch.randn(CONV_OUT, c, 3, 3, generator=g)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
            wt = wt.contiguous(memory_format=torch.channels_last)
        return lambda: F.conv2d(x, wt, padding=1)

    return build


def _relu_out(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    return torch.clamp_min(x, 0.0, out=out)  # as the timing gate: relu has no out= kernel


BUILDERS: dict[str, Callable[[float], Thunk]] = {
    "relu.out": _out(_relu_out, NUMEL_CHEAP),
    "sigmoid.out": _out(torch.sigmoid),
    "tanh.out": _out(torch.tanh),
    "sigmoid_star.eager_best": _registry("sigmoid_star", "eager_best"),
    "regularized_relu.eager": _registry("regularized_relu", "eager", NUMEL_CHEAP),
    "conv3x3.nchw": _conv(channels_last=False),
    "conv3x3.channels_last": _conv(channels_last=True),
    "sigmoid_star.eager_naive": _registry("sigmoid_star", "eager_naive"),
    "regularized_relu.fused": _registry("regularized_relu", "fused", NUMEL_CHEAP),
    "rrelu.eager_eval": _registry("rrelu", "eager_eval", NUMEL_CHEAP),
}


def build(name: str, extra: float = 0.0) -> Thunk:
    """The statement ``name`` (a key of :data:`BUILDERS`) with ``extra`` more work."""
    return BUILDERS[name](extra)
