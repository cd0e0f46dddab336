"""The curated workloads the within-run gate watches, and its baseline file.

Each workload is paired with a reference of its cost class, timed in the same
run: memory-bound activations written into a preallocated output against a
copy of the same bytes; transcendental (compute-bound) ones against ``exp`` of
the same tensor; the project's own allocating implementations against an
allocating clone (or ``exp``); convolutions against the matrix product of their
im2col GEMM (the same FLOPs). ``extra`` injects a regression for testing the gate: an
extra pass of the same op over that fraction of the tensor (0.5 makes the op
about 1.5x slower), the kind of slip a refactor makes.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import torch
import torch.nn.functional as F
from cnnbench.bench.gate import BaselineEntry, Verdict, decide_confirmed, paired_log_ratios
from cnnbench.bench.gate_spec import BASELINE_PATH, DEFAULT_ROUNDS, GATE_THREADS  # noqa: F401 (API)
from cnnbench.bench.loaders_bench import GATE_SCHEMA, load_gate_baseline
from cnnbench.bench.machine import cpu_model
from cnnbench.bench.results_io import write_json_atomic

Thunk = Callable[[], object]
# 2**21 float32 = 8 MiB per tensor: input + output (16 MiB) sit in this
# machine's 32 MiB L3, away from DRAM-bandwidth noise from the other core.
GATE_NUMEL = 1 << 21
MIN_TIMING_S = 2e-3  # each of the paired timings spans >= 2 ms (clock noise << 1%)


@dataclass(frozen=True)
class GateWorkload:
    name: str
    reference: str  # "copy" | "clone" (memory-bound) | "exp" (transcendental) | "gemm"
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

        return fn, (lambda: torch.exp(x)) if reference == "exp" else x.clone

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
        a = torch.randn(8 * 28 * 28, 32 * 9, generator=g)  # im2col GEMM: same FLOPs
        b = torch.randn(32 * 9, 32, generator=g)
        c = torch.empty(8 * 28 * 28, 32)

        def fn() -> object:
            y = F.conv2d(x, w, padding=1)
            return (y, F.conv2d(x[:k], w, padding=1)) if k else y

        return fn, lambda: torch.mm(a, b, out=c)

    return build


GATE_WORKLOADS: tuple[GateWorkload, ...] = (
    GateWorkload("relu.out", "copy", _out_op(_relu_out)),
    GateWorkload("sigmoid.out", "exp", _out_op(torch.sigmoid, "exp")),
    GateWorkload("tanh.out", "exp", _out_op(torch.tanh, "exp")),
    GateWorkload(
        "sigmoid_star.eager_best", "exp", _registry_impl("sigmoid_star", "eager_best", "exp")
    ),
    GateWorkload("regularized_relu.eager", "clone", _registry_impl("regularized_relu", "eager")),
    GateWorkload("conv3x3.nchw", "gemm", _conv(channels_last=False)),
    GateWorkload("conv3x3.channels_last", "gemm", _conv(channels_last=True)),
)
GATE_NAMES = tuple(w.name for w in GATE_WORKLOADS)


def _workload(name: str) -> GateWorkload:
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
    return paired_log_ratios(fn, ref, rounds=rounds, number=number)


def _once(f: Thunk) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


@dataclass(frozen=True)
class Baseline:
    """Accepted ratios with their A/A spread, and how they were obtained."""

    entries: tuple[BaselineEntry, ...]
    command: str
    created: str
    machine: dict
    rounds: int

    def entry(self, name: str) -> BaselineEntry:
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(name)

    def to_json(self) -> dict:
        return {
            "schema": GATE_SCHEMA,
            "command": self.command,
            "created": self.created,
            "machine": self.machine,
            "rounds": self.rounds,
            "threads": GATE_THREADS,
            "entries": [e.to_json() for e in self.entries],
        }

    @classmethod
    def from_json(cls, d: dict) -> Baseline:
        entries = tuple(BaselineEntry(e["name"], tuple(e["aa_medians"])) for e in d["entries"])
        return cls(entries, d["command"], d["created"], d["machine"], d["rounds"])

    def save(self, path: Path) -> None:
        write_json_atomic(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> Baseline:
        """Read and validate (:func:`cnnbench.bench.loaders_bench.load_gate_baseline`): a damaged
        baseline raises :class:`cnnbench.bench.results_io.ResultsFileError`, never passes."""
        return cls.from_json(load_gate_baseline(path, known=GATE_NAMES))


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


def machine_info() -> dict:
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "torch": torch.__version__,
        "threads": GATE_THREADS,
        "allocator": pin_allocator(),
        "aa_runs": "every other A/A run with a 128 MB-copy neighbour process on another core",
    }


# A memory-bandwidth-hungry neighbour: numpy only, so it starts in ~0.2 s.
NEIGHBOUR_CODE = (
    "import numpy as np\n"
    "a = np.ones(1 << 24); b = np.empty_like(a)\n"
    "while True:\n    np.copyto(b, a)\n"
)


@contextlib.contextmanager
def _neighbour(active: bool) -> Iterator[None]:
    if not active:
        yield
        return
    proc = subprocess.Popen([sys.executable, "-c", NEIGHBOUR_CODE])
    time.sleep(0.3)  # let it reach its copy loop
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


def build_baseline(
    names: Iterable[str] = GATE_NAMES,
    *,
    aa_runs: int = 10,
    rounds: int = DEFAULT_ROUNDS,
    command: str = "",
    neighbour: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> Baseline:
    """Repeat the unmodified measurement ``aa_runs`` times per workload (A/A runs).

    Every other A/A run has a noisy neighbour on the other core (a process
    streaming 128 MB copies, :data:`NEIGHBOUR_CODE`), so the tolerances cover the
    ratio shift a busy machine causes, not only back-to-back repeatability: a
    baseline taken on a quiet machine flagged conv3x3.channels_last at 1.14x as
    soon as another benchmark ran beside the gate.
    """
    torch.set_num_threads(GATE_THREADS)
    pin_allocator()
    entries = []
    for name in names:
        medians = []
        for i in range(aa_runs):
            noisy = neighbour and i % 2 == 1
            progress(f"{name} A/A run {i + 1}/{aa_runs}" + (" (neighbour)" if noisy else ""))
            with _neighbour(noisy):
                x = measure_workload(_workload(name), rounds=rounds)
            medians.append(sorted(x)[len(x) // 2])
        entries.append(BaselineEntry(name, tuple(medians)))
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Baseline(tuple(entries), command, created, machine_info(), rounds)


def run_gate(
    baseline: Baseline,
    names: Iterable[str] | None = None,
    *,
    inject: dict[str, float] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> list[Verdict]:
    """One gate run: each workload measured, decided, and re-measured if flagged."""
    torch.set_num_threads(GATE_THREADS)
    pin_allocator()
    inject = inject or {}
    verdicts = []
    for name in names or [e.name for e in baseline.entries]:
        progress(name)
        w = _workload(name)
        extra = inject.get(name, 0.0)
        verdicts.append(
            decide_confirmed(
                baseline.entry(name),
                lambda w=w, extra=extra: measure_workload(w, extra=extra, rounds=baseline.rounds),
            )
        )
    return verdicts
