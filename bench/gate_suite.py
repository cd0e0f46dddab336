"""The curated workloads the within-run gate watches, and how one is measured.

Each workload is paired with a reference of its cost class, timed in the same
run: memory-bound activations written into a preallocated output against a
copy of the same bytes; transcendental (compute-bound) ones against ``exp`` of
the same tensor; the project's own allocating implementations against an
allocating clone, or (``sigmoid_star.eager_best``, ``2 * tanh(x / 2)``) against
``2 * exp(x / 2)``: the same three allocating passes, so that a busy machine's
memory pressure slows both alike (against a single ``exp`` its ratio read 1.11x
its baseline in 10 A/A trials beside either neighbour, 4-5 of 10 flagged);
convolutions against a 1x1 convolution of the
same FLOPs through the same library (oneDNN: the same blocked layouts, weight
reorders and output allocation; the matrix product of the im2col GEMM where
torch has no oneDNN). ``extra`` injects a regression for testing the gate: an
extra pass of the same op over that fraction of the tensor (0.5 makes the op
about 1.5x slower), the kind of slip a refactor makes.

The clock is the thread's CPU time (``time.thread_time_ns``), not the wall
clock: at one intra-op thread torch computes in the calling thread, so the time
the scheduler gives to other processes never enters a timing. On this 2-core VM
at a load of 3-4, conv's run-level ratios spread over a factor of 5 (log range
0.08-1.7) by the wall clock and over ~1.1x by CPU time, beside any neighbour.
What a neighbour still does to the CPU time (cache and memory-bandwidth sharing,
a hyperthread sibling's FMA units) is what the A/A baseline measures.
"""

from __future__ import annotations

import ctypes
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from cnnbench.bench.gate import Verdict, decide_confirmed, paired_log_ratios
from cnnbench.bench.gate_neighbours import neighbour
from cnnbench.bench.gate_spec import BASELINES_DIR, DEFAULT_ROUNDS, GATE_THREADS  # noqa: F401 (API)

Thunk = Callable[[], object]
# 2**21 float32 = 8 MiB per tensor: input + output (16 MiB) sit in this
# machine's 32 MiB L3, away from DRAM-bandwidth noise from the other core.
GATE_NUMEL = 1 << 21
MIN_TIMING_S = 2e-3  # each of the paired timings spans >= 2 ms (clock noise << 1%)
CLOCK = time.thread_time_ns  # CPU time of this thread (CLOCK_THREAD_CPUTIME_ID), in ns


@dataclass(frozen=True)
class GateWorkload:
    name: str
    reference: str  # "copy" | "clone" (memory-bound) | "exp" | "exp3" (transcendental) | "conv1x1"
    build: Callable[[float], tuple[Thunk, Thunk]]  # extra fraction -> (fn, ref)


def _vector() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.randn(GATE_NUMEL, generator=g)  # symmetric around 0: both branches taken


def _out_op(
    op: Callable[..., torch.Tensor], reference: str = "copy"
) -> Callable[[float], tuple[Thunk, Thunk]]:
    """``op(x, out=y)`` against a copy of the same bytes, or (for transcendental,
    compute-bound ops) against ``exp`` into the same buffer: a neighbour that eats
    memory bandwidth slows a copy but not a sigmoid, and the ratio would drift."""

    def build(extra: float) -> tuple[Thunk, Thunk]:
        x = _vector()
        y = torch.empty_like(x)
        k = int(extra * x.numel())

        def fn() -> None:
            op(x, out=y)
            if k:
                op(x[:k], out=y[:k])

        if reference == "exp":
            return fn, lambda: torch.exp(x, out=y)
        return fn, lambda: y.copy_(x)

    return build


def _relu_out(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    return torch.clamp_min(x, 0.0, out=out)  # torch.relu has no out= overload


def _registry_impl(
    name: str, impl: str, reference: str = "clone"
) -> Callable[[float], tuple[Thunk, Thunk]]:
    def build(extra: float) -> tuple[Thunk, Thunk]:
        from cnnbench.analysis.activations.registry import get_activation

        f = get_activation(name).implementations[impl]
        x = _vector()
        k = int(extra * x.numel())

        def fn() -> object:
            return (f(x), f(x[:k])) if k else f(x)

        if reference == "exp3":  # the same three allocating passes, exp for the transcendental
            return fn, lambda: 2 * torch.exp(x / 2)
        return fn, x.clone

    return build


def _conv(channels_last: bool) -> Callable[[float], tuple[Thunk, Thunk]]:
    def build(extra: float) -> tuple[Thunk, Thunk]:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(8, 32, 28, 28, generator=g)  # (N, C, H, W)
        w = torch.randn(32, 32, 3, 3, generator=g)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
            w = w.contiguous(memory_format=torch.channels_last)
        k = max(1, round(extra * x.shape[0])) if extra else 0

        def fn() -> object:
            y = F.conv2d(x, w, padding=1)
            return (y, F.conv2d(x[:k], w, padding=1)) if k else y

        return fn, _conv_reference(g, channels_last)

    return build


def _conv_reference(g: torch.Generator, channels_last: bool) -> Thunk:
    """A 1x1 convolution of the 3x3's FLOPs (its im2col GEMM: 8*28*28 x 288 x 32) through
    oneDNN, as torch runs the 3x3 one (torch would send a 1x1 to its own GEMM path)."""
    if not torch.backends.mkldnn.is_available():
        a = torch.randn(8 * 28 * 28, 32 * 9, generator=g)
        b = torch.randn(32 * 9, 32, generator=g)
        c = torch.empty(8 * 28 * 28, 32)
        return lambda: torch.mm(a, b, out=c)
    x1 = torch.randn(8, 32 * 9, 28, 28, generator=g)
    w1 = torch.randn(32, 32 * 9, 1, 1, generator=g)
    if channels_last:
        x1 = x1.contiguous(memory_format=torch.channels_last)
        w1 = w1.contiguous(memory_format=torch.channels_last)
    one = [1, 1]
    return lambda: torch.ops.aten.mkldnn_convolution(x1, w1, None, [0, 0], one, one, 1)


GATE_WORKLOADS: tuple[GateWorkload, ...] = (
    GateWorkload("relu.out", "copy", _out_op(_relu_out)),
    GateWorkload("sigmoid.out", "exp", _out_op(torch.sigmoid, "exp")),
    GateWorkload("tanh.out", "exp", _out_op(torch.tanh, "exp")),
    GateWorkload(
        "sigmoid_star.eager_best", "exp3", _registry_impl("sigmoid_star", "eager_best", "exp3")
    ),
    GateWorkload("regularized_relu.eager", "clone", _registry_impl("regularized_relu", "eager")),
    GateWorkload("conv3x3.nchw", "conv1x1", _conv(channels_last=False)),
    GateWorkload("conv3x3.channels_last", "conv1x1", _conv(channels_last=True)),
)
GATE_NAMES = tuple(w.name for w in GATE_WORKLOADS)


def workload(name: str) -> GateWorkload:
    for w in GATE_WORKLOADS:
        if w.name == name:
            return w
    raise KeyError(name)


def measure_workload(
    workload: GateWorkload, *, extra: float = 0.0, rounds: int = DEFAULT_ROUNDS
) -> tuple[float, ...]:
    """Paired log-ratios of one workload against its reference, in a fresh build."""
    fn, ref = workload.build(extra)
    for f in (fn, ref, fn, ref):  # warm-up: first-touch page faults, lazy init
        f()
    slowest = max(_once(fn), _once(ref))
    number = max(1, math.ceil(MIN_TIMING_S / max(slowest, 1e-9)))
    return paired_log_ratios(fn, ref, rounds=rounds, number=number, timer=CLOCK)


def _once(f: Thunk) -> float:
    start = CLOCK()
    f()
    return (CLOCK() - start) / 1e9


# glibc serves a large allocation with a fresh mmap (page-faulted on first
# touch, ~50 ms per 128 MB here) or from the heap, and moves its threshold as the
# process frees memory. An op allocating three temporaries and its one-allocation
# reference then change ratio between regimes: measured here, sigmoid_star's
# ratio to clone went from 5.4 to 15 between two runs of the same gate, with
# system time 6.4 s vs 0.5 s. Pinning both thresholds high keeps freed blocks on
# the heap, so after warm-up every run measures the warm-allocator regime.
M_TRIM_THRESHOLD = -1  # mallopt parameter numbers from glibc's malloc.h
M_MMAP_THRESHOLD = -3
PINNED_THRESHOLD = 1 << 30


def pin_allocator() -> str:
    """Fix glibc's malloc thresholds for this process; say what was done."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(M_MMAP_THRESHOLD, PINNED_THRESHOLD) and libc.mallopt(
            M_TRIM_THRESHOLD, PINNED_THRESHOLD
        )
    except OSError:
        ok = False
    return f"glibc mmap/trim thresholds pinned at {PINNED_THRESHOLD}" if ok else "not pinned"


def run_gate(
    baseline,
    names: Iterable[str] | None = None,
    *,
    inject: dict[str, float] | None = None,
    beside: str = "none",
    progress: Callable[[str], None] = lambda _: None,
) -> list[Verdict]:
    """One gate run: each workload measured, decided, and re-measured if flagged.

    ``baseline`` is a :class:`cnnbench.bench.gate_aa.Baseline`; ``beside`` a
    neighbour kind (:mod:`cnnbench.bench.gate_neighbours`) run for the whole gate.
    """
    with neighbour(beside):
        return _run_gate(baseline, names, inject or {}, progress)


def _run_gate(baseline, names, inject, progress) -> list[Verdict]:
    torch.set_num_threads(GATE_THREADS)
    pin_allocator()
    verdicts = []
    for name in names or [e.name for e in baseline.entries]:
        progress(name)
        w = workload(name)
        extra = inject.get(name, 0.0)
        verdicts.append(
            decide_confirmed(
                baseline.entry(name),
                lambda w=w, extra=extra: measure_workload(w, extra=extra, rounds=baseline.rounds),
            )
        )
    return verdicts
