"""The CUDA harness against Triton's ``do_bench`` and ``torch.utils.benchmark`` (GPU only).

``python -m cnnbench.bench.gpu_crosscheck [--json PATH]`` times a few CUDA
workloads three ways: :func:`cnnbench.bench.harness.measure_cuda` with the L2
flush (cold, events), ``triton.testing.do_bench`` (cold: it clears a 256 MB
buffer before each call; median), and ``Timer.blocked_autorange`` (warm L2,
host clock around blocks with a synchronize). The harness and ``do_bench``
time the same thing and must agree within ``DO_BENCH_BAND``; Timer's ratio is
reported, not judged (warm caches make it faster for working sets near L2).
Exit 0 on agreement, 1 on a disagreement, 2 without CUDA (``make gpu-check``
skips this step there).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DO_BENCH_BAND = (0.67, 1.5)  # harness / do_bench, both cold-L2 medians


def workloads():
    """(name, callable) on the current CUDA device: memory-bound and compute-bound."""
    import torch
    import torch.nn.functional as F

    g = torch.Generator(device="cuda").manual_seed(0)
    x = torch.randn(1 << 24, device="cuda", generator=g)  # 64 MiB: past any L2
    y = torch.empty_like(x)
    a = torch.randn(32, 64, 56, 56, device="cuda", generator=g)
    w = torch.randn(64, 64, 3, 3, device="cuda", generator=g)
    return [
        ("copy 64MiB", lambda: y.copy_(x)),
        ("sigmoid.out 64MiB", lambda: torch.sigmoid(x, out=y)),
        ("conv3x3 32x64x56x56", lambda: F.conv2d(a, w, padding=1)),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cnnbench.bench.gpu_crosscheck")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print("skipped: no CUDA (torch.cuda.is_available() is False)", file=sys.stderr)
        return 2
    import triton.testing
    from cnnbench.bench.harness import HarnessConfig, measure_cuda
    from torch.utils import benchmark as tb

    rows, bad = [], 0
    for name, fn in workloads():
        harness = measure_cuda(fn, HarnessConfig(budget_s=0.5), flush_l2=True).median
        do_bench = triton.testing.do_bench(fn, return_mode="median") / 1e3
        timer = tb.Timer("fn()", globals={"fn": fn}).blocked_autorange(min_run_time=0.5).median
        ok = DO_BENCH_BAND[0] <= harness / do_bench <= DO_BENCH_BAND[1]
        bad += not ok
        rows.append({"workload": name, "harness_s": harness, "do_bench_s": do_bench,
                     "timer_s": timer, "harness/do_bench": harness / do_bench,
                     "harness/timer": harness / timer, "agree": ok})  # fmt: skip
        print(f"{name}: harness {harness * 1e6:.1f} us, do_bench {do_bench * 1e6:.1f} us "
              f"({harness / do_bench:.3f}x), Timer (warm) {timer * 1e6:.1f} us "
              f"({harness / timer:.3f}x){'' if ok else '  DISAGREE'}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"device": torch.cuda.get_device_name(0),
                                         "band": DO_BENCH_BAND, "rows": rows}, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
