"""Deliberately wrong Triton kernels: ``TRITON_INTERPRET=1 python triton_wrong_kernels.py``.

Each kernel is a slip a refactor could make in :mod:`cnnbench.bench.triton_kernels`;
:func:`cnnbench.bench.triton_check.check_kernel` must report each one. Prints
``{kernel: [problems]}`` as JSON (not a test module: pytest does not collect it).
"""

import json
import sys

import torch
import triton
import triton.language as tl
from cnnbench.bench.triton_check import check_kernel

BLOCK = 1024


@triton.jit
def _sign_slip(x_ptr, out_ptr, n, BLOCK_SIZE: tl.constexpr):
    offs = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, 4.0 / (1.0 + tl.exp(x)) - 2.0, mask=mask)  # exp(x), not exp(-x)


@triton.jit
def _mask_slip(x_ptr, out_ptr, n, BLOCK_SIZE: tl.constexpr):
    offs = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offs < n - 1  # the last element is never written
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, 4.0 / (1.0 + tl.exp(-x)) - 2.0, mask=mask)


@triton.jit
def _float16_slip(x_ptr, out_ptr, n, BLOCK_SIZE: tl.constexpr):
    offs = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float16)  # computed in half precision
    y = 4.0 / (1.0 + tl.exp(-x.to(tl.float32)).to(tl.float16)) - 2.0
    tl.store(out_ptr + offs, y.to(tl.float32), mask=mask)


def _launcher(kernel):
    def run(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        kernel[(triton.cdiv(x.numel(), BLOCK),)](x, out, x.numel(), BLOCK_SIZE=BLOCK)
        return out

    return run


if __name__ == "__main__":
    kernels = {"sign": _sign_slip, "mask": _mask_slip, "float16": _float16_slip}
    json.dump({k: check_kernel("sigmoid_star", _launcher(f)) for k, f in kernels.items()},
              sys.stdout)  # fmt: skip
