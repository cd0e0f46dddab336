"""Fused Triton kernels for the texts' custom activations (CUDA, or Triton's interpreter).

``HAVE_TRITON`` is False on machines without Triton or without CUDA, and the
workload grid then offers no ``triton_out`` implementation; nothing here is
imported eagerly by code that runs on CPU. With ``TRITON_INTERPRET=1`` set
before this module is imported (``INTERPRETED``), the same kernels run through
Triton's interpreter on CPU tensors: correct results, meaningless timings
(:mod:`cnnbench.bench.triton_check` checks them so in CI). The kernels use only
core primitives (``tl.exp``, ``tl.where``): no libdevice, which the
interpreter cannot run.

Each kernel reads x once and writes out once (the fewest bytes the op can
move), so on a GPU its time should approach the copy bandwidth.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import torch

try:  # CUDA builds of torch bring Triton; the dev extra installs the wheel (CPU: interpreter)
    import triton
    import triton.language as tl

    TRITON_IMPORTABLE = True
except ImportError:  # pragma: no cover - depends on the install
    triton = None
    tl = None
    TRITON_IMPORTABLE = False
# triton.jit reads the variable when a kernel is decorated (at this module's import)
INTERPRETED = TRITON_IMPORTABLE and os.environ.get("TRITON_INTERPRET") == "1"
HAVE_TRITON = TRITON_IMPORTABLE and not INTERPRETED and torch.cuda.is_available()

BLOCK = 1024  # elements per program: 4 KB of float32, a few waves on any GPU

if TRITON_IMPORTABLE:

    @triton.jit
    def _sigmoid_star_kernel(x_ptr, out_ptr, n, BLOCK_SIZE: tl.constexpr):
        pid = tl.program_id(0)
        offs = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
        mask = offs < n
        x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
        # 4*sigmoid(x) - 2 == 2*tanh(x/2) == 2*(1 - e)/(1 + e) with e = exp(-x); computed
        # through sigmoid in float32 so it matches the registry's reference to rounding
        y = 4.0 / (1.0 + tl.exp(-x)) - 2.0
        tl.store(out_ptr + offs, y.to(out_ptr.dtype.element_ty), mask=mask)

    @triton.jit
    def _scaled_relu_kernel(x_ptr, out_ptr, n, scale, BLOCK_SIZE: tl.constexpr):
        pid = tl.program_id(0)
        offs = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
        mask = offs < n
        x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
        y = tl.where(x > 0, x * scale, 0.0)
        tl.store(out_ptr + offs, y.to(out_ptr.dtype.element_ty), mask=mask)

    @triton.jit
    def _leaky_kernel(x_ptr, out_ptr, n, slope, BLOCK_SIZE: tl.constexpr):
        pid = tl.program_id(0)
        offs = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
        mask = offs < n
        x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
        y = tl.where(x >= 0, x, x * slope)
        tl.store(out_ptr + offs, y.to(out_ptr.dtype.element_ty), mask=mask)


def _grid(n: int):
    return ((n + BLOCK - 1) // BLOCK,)


def triton_out(name: str, params: dict) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """A ``(x, out) -> out`` fused kernel for ``name``; KeyError when there is none."""
    if not (HAVE_TRITON or INTERPRETED):
        raise RuntimeError("Triton kernels need CUDA and triton (or TRITON_INTERPRET=1 set "
                           "before import, for Triton's interpreter on CPU tensors)")
    device = "cpu" if INTERPRETED else "cuda"

    def check(x: torch.Tensor, out: torch.Tensor) -> int:
        if not (x.device.type == device and x.is_contiguous() and out.is_contiguous()):
            raise ValueError(f"triton kernels take contiguous {device} tensors here "
                             f"({'interpreter' if INTERPRETED else 'compiled'})")
        if out.shape != x.shape:
            raise ValueError(f"out has shape {tuple(out.shape)}, x {tuple(x.shape)}")
        return x.numel()

    if name == "sigmoid_star":

        def run(x, out):
            n = check(x, out)
            _sigmoid_star_kernel[_grid(n)](x, out, n, BLOCK_SIZE=BLOCK)
            return out

    elif name == "regularized_relu":
        from cnnbench.analysis.activations.registry import ACTIVATIONS

        act = ACTIVATIONS["regularized_relu"]
        scale = float(act.params["c"] / (act.params["s"] * act.params["n"] * act.params["m"]))

        def run(x, out):
            n = check(x, out)
            _scaled_relu_kernel[_grid(n)](x, out, n, scale, BLOCK_SIZE=BLOCK)
            return out

    elif name == "rrelu":
        slope = (params["lower"] + params["upper"]) / 2  # evaluation mode: the mean slope

        def run(x, out):
            n = check(x, out)
            _leaky_kernel[_grid(n)](x, out, n, slope, BLOCK_SIZE=BLOCK)
            return out

    else:
        raise KeyError(name)
    return run


TRITON_ACTIVATIONS = ("sigmoid_star", "regularized_relu", "rrelu")
