"""A benchmark of the harness itself: its medians against torch.utils.benchmark's.

For each workload, the harness and ``Timer.blocked_autorange`` time the same
prepared callable in the same process, in the order harness, Timer, Timer,
harness (ABBA), so a drift of the machine's speed during the pair cancels to
first order. Agreement is ``harness median / Timer median``; the issue's
target is within 5%. This is a measurement to report, not a test: on a
shared machine the ratio is itself noisy.

Blocks matter on a shared machine: the harness's samples are ~1 ms (one call
or a few) and its median keeps the samples no other tenant interrupted, while
``blocked_autorange`` times blocks of 10^k calls, each long enough to share
the core. So a third figure, ``harness_matched_s``, times the harness with
samples as long as Timer's blocks: the harness itself agrees with Timer when
the two time the same thing (measured here under contention: sigmoid on 1M
float32, 1 thread: 1.0 ms with 1-call samples, 1.86 ms with 9-call samples,
Timer 1.86 ms with 10-call blocks).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import torch
from cnnbench.bench.harness import HarnessConfig, measure
from cnnbench.bench.workloads import Workload, all_workloads, prepare, select
from torch.utils import benchmark as tb

# Twelve workloads of the short profile: elementwise (memory-bound, ~ms) and
# two convolutions (compute-bound), NCHW and channels_last.
CROSSCHECK_FILTER = (
    r"^activation/(relu|sigmoid|tanh|gelu|silu|softplus|elu|leaky_relu|sigmoid_star"
    r"|regularized_relu)/eager/forward/alloc/float32/cpu/contiguous/1M/"
    r"|^conv/conv2d/aten/forward/alloc/float32/cpu/(nchw|channels_last)/mnist_bilici/cnn2/"
)
TIMER_MIN_RUN_S = 0.2  # torch's own default for blocked_autorange
AGREEMENT_TARGET = 0.05


@dataclass(frozen=True)
class Agreement:
    key: str
    harness_s: float  # mean of the two harness medians (A ... A)
    timer_s: float  # mean of the two Timer medians (B B)
    harness_rel_ci: float
    harness_matched_s: float  # harness with samples as long as Timer's blocks
    timer_block: int  # calls per Timer block

    @property
    def ratio(self) -> float:
        return self.harness_s / self.timer_s

    @property
    def ratio_matched(self) -> float:
        return self.harness_matched_s / self.timer_s

    @property
    def within_target(self) -> bool:
        return abs(self.ratio - 1.0) <= AGREEMENT_TARGET

    def to_json(self) -> dict:
        return {"type": "crosscheck", "key": self.key, "harness_s": self.harness_s,
                "timer_s": self.timer_s, "ratio": self.ratio,
                "harness_rel_ci": self.harness_rel_ci,
                "harness_matched_s": self.harness_matched_s, "timer_block": self.timer_block,
                "ratio_matched": self.ratio_matched,
                "within_target": self.within_target}  # fmt: skip


def default_workloads(device: str = "cpu") -> tuple[Workload, ...]:
    return select(all_workloads("short", device), CROSSCHECK_FILTER)


def crosscheck(
    workloads: Iterable[Workload],
    config: HarnessConfig | None = None,
    threads: int | None = None,
) -> list[Agreement]:
    """Harness vs ``torch.utils.benchmark.Timer.blocked_autorange`` per workload (CPU)."""
    cfg = config or HarnessConfig()
    nthreads = threads or torch.get_num_threads()
    out = []
    for w in workloads:
        p = prepare(w)
        # Timer defaults to ONE thread (pytorch#58585): give it the harness's count.
        timer = tb.Timer(stmt="fn()", globals={"fn": p.fn}, num_threads=nthreads)
        a1 = measure(p.fn, cfg, threads=nthreads)
        b1 = timer.blocked_autorange(min_run_time=TIMER_MIN_RUN_S)
        b2 = timer.blocked_autorange(min_run_time=TIMER_MIN_RUN_S)
        a2 = measure(p.fn, cfg, threads=nthreads)
        block_s = b1.median * b1.number_per_run
        matched = replace(cfg, min_sample_s=0.999 * block_s, max_number=b1.number_per_run)
        am = measure(p.fn, matched, threads=nthreads)
        out.append(Agreement(
            key=w.key,
            harness_s=(a1.median + a2.median) / 2,
            timer_s=(b1.median + b2.median) / 2,
            harness_rel_ci=max(a1.rel_ci, a2.rel_ci),
            harness_matched_s=am.median,
            timer_block=int(b1.number_per_run),
        ))  # fmt: skip
    return out
