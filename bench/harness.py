"""Measure one callable on one device: warm-up, adaptive sampling, samples kept.

Public API (stable; the asv suite and the sweep build on it)::

    cfg = HarnessConfig(target_rel_ci=0.02, budget_s=1.0)
    m = measure(fn, cfg, threads=2)          # CPU, perf_counter_ns
    m = measure_cuda(fn, cfg, flush_l2=True)  # CUDA events on the current stream
    m.median, m.iqr, m.ci, m.rel_ci, m.samples

CPU: the clock is ``time.perf_counter_ns`` (monotonic), injectable as
``timer=`` so the statistics can be tested on a seeded fake clock. One
*sample* is ``number`` back-to-back calls divided by ``number``; ``number``
is chosen after a timed warm-up so a sample spans at least
``min_sample_s`` (clock resolution and call overhead then stay far below the
±2% target). Sampling stops when the order-statistic confidence interval of
the median is within ``target_rel_ci`` of the median ("converged"), when the
time budget is spent ("budget"), or at ``max_samples``.

CUDA: events recorded on ``torch.cuda.current_stream()`` around the region;
warm-up first (lazy init and cuDNN autotuning stay out); an L2 flush (writing a
buffer twice the L2 size) between samples, outside the event pair, with one
call per sample so every timed call starts cold; or CUDA-graph replay of
``number`` calls for microsecond kernels (then warm). The flags in force
(threads, TF32, cudnn.benchmark, flush-to-zero) are recorded with each result.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from cnnbench.analysis._validation import ParameterError, as_int, as_real
from cnnbench.bench import stats
from cnnbench.bench.machine import flags_snapshot, set_flags

Timer = Callable[[], int]  # returns nanoseconds from a monotonic clock

# A sample shorter than this sees perf_counter_ns granularity (~50-100 ns) and
# Python call overhead (~1 µs) as more than 0.1% of its length.
DEFAULT_MIN_SAMPLE_S = 1e-3
# Fewer samples than this cannot reach a 95% order-statistic interval; the
# budget may still stop sampling earlier, but never before HARD_MIN_SAMPLES.
HARD_MIN_SAMPLES = 3
STOP_REASONS = ("converged", "budget", "max_samples")


@dataclass(frozen=True)
class HarnessConfig:
    """How long and how precisely to measure."""

    target_rel_ci: float = 0.02  # stop when the CI of the median is within ±2%
    confidence: float = 0.95
    min_samples: int = 7
    max_samples: int = 500
    budget_s: float = 1.0  # sampling time budget (warm-up not included)
    warmup_s: float = 0.05
    min_warmup_calls: int = 2
    min_sample_s: float = DEFAULT_MIN_SAMPLE_S
    max_number: int = 100_000

    def __post_init__(self) -> None:
        as_real("target_rel_ci", self.target_rel_ci, lower=0.0, lower_open=True)
        as_real("confidence", self.confidence, lower=0.5, upper=1.0, upper_open=True)
        as_int("min_samples", self.min_samples, minimum=HARD_MIN_SAMPLES)
        if as_int("max_samples", self.max_samples, minimum=1) < self.min_samples:
            raise ParameterError("max_samples", self.max_samples, "must be >= `min_samples`")
        as_real("budget_s", self.budget_s, lower=0.0, lower_open=True)
        as_real("warmup_s", self.warmup_s, lower=0.0)
        as_int("min_warmup_calls", self.min_warmup_calls, minimum=1)
        as_real("min_sample_s", self.min_sample_s, lower=0.0)
        as_int("max_number", self.max_number, minimum=1)


@dataclass(frozen=True)
class Measurement:
    """What was observed: per-call seconds of every sample; statistics are derived."""

    samples: tuple[float, ...]  # seconds per call, one entry per sample
    number: int  # calls per sample
    stop_reason: str  # one of STOP_REASONS
    warmup_calls: int
    timer: str  # "perf_counter_ns" | "cuda_event" | a fake timer's name
    device: str = "cpu"
    confidence: float = 0.95
    flags: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def median(self) -> float:
        return stats.median(self.samples)

    @property
    def mean(self) -> float:
        return sum(self.samples) / self.n

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def q1(self) -> float:
        return stats.quartiles(self.samples)[0]

    @property
    def q3(self) -> float:
        return stats.quartiles(self.samples)[1]

    @property
    def iqr(self) -> float:
        return stats.iqr(self.samples)

    @property
    def ci(self) -> tuple[float, float]:
        """Order-statistic confidence interval of the median (seconds)."""
        return stats.median_ci(self.samples, self.confidence)

    @property
    def rel_ci(self) -> float:
        """Half-width of :attr:`ci` relative to the median."""
        return stats.rel_halfwidth(self.ci, self.median)

    def bootstrap_ci(self, seed: int = 0) -> tuple[float, float]:
        return stats.bootstrap_median_ci(self.samples, self.confidence, seed=seed)

    def to_json(self) -> dict:
        """Samples and the derived statistics (the latter for readers without this code)."""
        d = asdict(self)
        d["samples"] = list(self.samples)
        d["notes"] = list(self.notes)
        d.update(median=self.median, iqr=self.iqr, ci=list(self.ci), rel_ci=self.rel_ci)
        return d

    @classmethod
    def from_json(cls, d: dict) -> Measurement:
        keep = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        keep["samples"] = tuple(keep["samples"])
        keep["notes"] = tuple(keep.get("notes", ()))
        return cls(**keep)


def _warmup(run_once: Callable[[], None], cfg: HarnessConfig, timer: Timer) -> tuple[int, float]:
    """Call until ``warmup_s`` has passed and ``min_warmup_calls`` were made.

    Returns (calls, seconds per call of the calls after the first); the first
    call carries lazy initialisation and is left out of the estimate.
    """
    t_start = timer()
    run_once()
    t0 = timer()
    calls = 1
    while calls < cfg.min_warmup_calls or (timer() - t_start) / 1e9 < cfg.warmup_s:
        run_once()
        calls += 1
    per_call = (timer() - t0) / 1e9 / max(calls - 1, 1)
    return calls, per_call


def _choose_number(per_call_s: float, cfg: HarnessConfig) -> int:
    if per_call_s <= 0:
        return cfg.max_number
    return max(1, min(cfg.max_number, math.ceil(cfg.min_sample_s / per_call_s)))


def _converged(samples: list[float], cfg: HarnessConfig) -> bool:
    if len(samples) < cfg.min_samples:
        return False
    if stats.median_ci_ranks(len(samples), cfg.confidence) is None:
        return False
    ci = stats.median_ci(samples, cfg.confidence)
    return stats.rel_halfwidth(ci, stats.median(samples)) <= cfg.target_rel_ci


def _sample_loop(
    take_sample: Callable[[], float], cfg: HarnessConfig, timer: Timer
) -> tuple[list[float], str]:
    samples: list[float] = []
    t_start = timer()
    while True:
        samples.append(take_sample())
        if _converged(samples, cfg):
            return samples, "converged"
        if len(samples) >= cfg.max_samples:
            return samples, "max_samples"
        spent = (timer() - t_start) / 1e9
        if spent >= cfg.budget_s and len(samples) >= HARD_MIN_SAMPLES:
            return samples, "budget"


def measure(
    fn: Callable[[], object],
    config: HarnessConfig | None = None,
    *,
    timer: Timer = time.perf_counter_ns,
    threads: int | None = None,
    setup: Callable[[], object] | None = None,
    timer_name: str | None = None,
) -> Measurement:
    """Time ``fn()`` on the CPU; see the module docstring for the procedure.

    ``threads`` sets ``torch.set_num_threads`` for the measurement (restored
    afterwards) and is recorded. ``setup``, if given, runs before every sample
    outside the timed region, and a sample is then a single call.
    """
    cfg = config or HarnessConfig()
    import torch

    old_threads = torch.get_num_threads()
    if threads is not None:
        set_flags(num_threads=as_int("threads", threads, minimum=1))
    try:
        warm_calls, per_call = _warmup(fn, cfg, timer)
        number = 1 if setup is not None else _choose_number(per_call, cfg)

        def take_sample() -> float:
            if setup is not None:
                setup()
            t0 = timer()
            for _ in range(number):
                fn()
            return (timer() - t0) / 1e9 / number

        samples, reason = _sample_loop(take_sample, cfg, timer)
        flags = asdict(flags_snapshot())
    finally:
        if threads is not None:
            torch.set_num_threads(old_threads)
    name = timer_name or getattr(timer, "__name__", type(timer).__name__)
    return Measurement(
        samples=tuple(samples),
        number=number,
        stop_reason=reason,
        warmup_calls=warm_calls,
        timer=name,
        device="cpu",
        confidence=cfg.confidence,
        flags=flags,
    )


# The CUDA path lives beside this module; re-exported so callers need one import.
from cnnbench.bench.harness_cuda import l2_flush_buffer, measure_cuda  # noqa: E402

__all__ = [
    "HarnessConfig",
    "Measurement",
    "Timer",
    "l2_flush_buffer",
    "measure",
    "measure_cuda",
]
