"""The Triton kernels against the float64 reference, with or without a GPU.

``TRITON_INTERPRET=1 python -m cnnbench.bench.triton_check`` runs every kernel
of :mod:`cnnbench.bench.triton_kernels` through Triton's interpreter on CPU
tensors (CI, no GPU); on a GPU machine, without the variable, the same kernels
are compiled and run on CUDA tensors. Each kernel is called on float32 inputs
of several lengths (one element, a partial block, several blocks and a masked
tail), into an output filled with NaN, so an element a kernel forgets to write
fails as surely as a wrong formula. Exit 0 when every kernel matches, 1 when
one does not (each problem printed), 2 when neither path is available.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch

Kernel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
BLOCK = 1024  # cnnbench.bench.triton_kernels.BLOCK (not imported: that would decorate kernels)
LENGTHS = (1, BLOCK - 1, 3 * BLOCK + 5)
SCALE = 4.0  # inputs ~N(0, 16): both branches of ReLU-like ops, sigmoid's saturating tails
RTOL = 1e-5  # float32 result against the float64 reference
ATOL = 1e-6


def reference(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The registry's trusted eager form (RReLU: evaluation mode, the mean slope)."""
    from cnnbench.analysis.activations.registry import get_activation

    return get_activation(name).reference


def check_kernel(name: str, run: Kernel, device: str = "cpu",
                 lengths: tuple[int, ...] = LENGTHS) -> list[str]:  # fmt: skip
    """Problems of ``run`` (``(x, out)``, writing ``out``) against ``name``'s float64
    reference; an empty list when it matches at every length."""
    ref = reference(name)
    problems = []
    for n in lengths:
        g = torch.Generator().manual_seed(n)
        x = (SCALE * torch.randn(n, generator=g)).to(device)
        out = torch.full_like(x, float("nan"))
        run(x, out)
        want = ref(x.double().cpu())
        have = out.double().cpu()
        unwritten = int(torch.isnan(have).sum())
        if unwritten:
            problems.append(f"{name} n={n}: {unwritten} element(s) never written (NaN)")
            continue
        err = (have - want).abs()
        bound = ATOL + RTOL * want.abs()
        if bool((err > bound).any()):
            i = int(torch.argmax(err - bound))
            problems.append(f"{name} n={n}: x={x[i].item():.6g} gave {have[i].item():.9g}, "
                            f"float64 reference {want[i].item():.9g} (|err| "
                            f"{err[i].item():.3g} > {bound[i].item():.3g})")  # fmt: skip
    return problems


def main() -> int:
    from cnnbench.bench import triton_kernels as tk

    if not (tk.HAVE_TRITON or tk.INTERPRETED):
        print("skipped: no CUDA and TRITON_INTERPRET is not 1 (set it to run the kernels "
              "through Triton's interpreter on CPU)", file=sys.stderr)  # fmt: skip
        return 2
    device = "cpu" if tk.INTERPRETED else "cuda"
    mode = "Triton interpreter, CPU tensors" if tk.INTERPRETED else "compiled, CUDA"
    failed = 0
    for name in tk.TRITON_ACTIVATIONS:
        from cnnbench.analysis.activations.registry import get_activation

        problems = check_kernel(name, tk.triton_out(name, dict(get_activation(name).params)),
                                device)  # fmt: skip
        print(f"{name}: {'ok' if not problems else 'FAILED'} ({mode}; lengths "
              f"{', '.join(map(str, LENGTHS))}; rtol {RTOL:g})")  # fmt: skip
        for p in problems:
            print(f"  {p}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
