"""Harness statistics on a seeded fake clock (never real timings), plus CUDA paths (gpu)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench import stats
from cnnbench.bench.harness import HarnessConfig, Measurement, measure
from scipy import stats as sps


class FakeClock:
    """A monotonic ns clock that advances only when the fake workload 'runs'."""

    __name__ = "fake_clock"

    def __init__(self, seed: int, median_s: float, sigma: float) -> None:
        self.rng = np.random.default_rng(seed)
        self.mu = math.log(median_s)
        self.sigma = sigma
        self.now = 0
        self.calls = 0

    def __call__(self) -> int:
        return self.now

    def work(self) -> None:
        # lognormal call durations: median exp(mu), right-skewed like real timings
        self.now += round(float(self.rng.lognormal(self.mu, self.sigma)) * 1e9)
        self.calls += 1


def test_measure_converges_to_true_median_on_fake_clock():
    clock = FakeClock(seed=1, median_s=2e-3, sigma=0.05)
    cfg = HarnessConfig(target_rel_ci=0.02, budget_s=10.0, warmup_s=0.01)
    m = measure(clock.work, cfg, timer=clock)
    assert m.stop_reason == "converged"
    assert m.rel_ci <= 0.02
    assert m.number == 1  # a 2 ms call already spans min_sample_s
    # the distribution's true median is 2 ms; the CI should contain it
    lo, hi = m.ci
    assert lo <= 2e-3 <= hi
    assert m.timer == "fake_clock"


def test_measure_stops_on_budget_when_too_noisy():
    clock = FakeClock(seed=2, median_s=1e-3, sigma=1.5)
    cfg = HarnessConfig(target_rel_ci=0.001, budget_s=0.5, warmup_s=0.0, min_samples=7)
    m = measure(clock.work, cfg, timer=clock)
    assert m.stop_reason == "budget"
    assert m.rel_ci > 0.001
    # fake time spent sampling stays within the budget plus one sample
    assert sum(m.samples) * m.number < 0.5 + max(m.samples) * m.number


def test_measure_stops_at_max_samples():
    clock = FakeClock(seed=3, median_s=1e-3, sigma=2.0)
    cfg = HarnessConfig(target_rel_ci=1e-6, budget_s=1e9, min_samples=7, max_samples=40)
    m = measure(clock.work, cfg, timer=clock)
    assert (m.stop_reason, m.n) == ("max_samples", 40)


def test_inner_loop_sized_so_a_sample_spans_min_sample_s():
    clock = FakeClock(seed=4, median_s=1e-6, sigma=0.01)
    cfg = HarnessConfig(min_sample_s=1e-3, budget_s=100.0)
    m = measure(clock.work, cfg, timer=clock)
    assert 900 <= m.number <= 1100  # ceil(1 ms / ~1 µs)
    assert m.median == pytest.approx(1e-6, rel=0.02)


def test_setup_runs_outside_timed_region():
    clock = FakeClock(seed=5, median_s=1e-3, sigma=0.01)
    setups = []

    def setup():
        setups.append(1)
        clock.now += 10**9  # a whole second of untimed setup per sample

    m = measure(clock.work, HarnessConfig(budget_s=1e6), timer=clock, setup=setup)
    assert len(setups) == m.n and m.number == 1
    assert m.median == pytest.approx(1e-3, rel=0.02)


def test_threads_recorded_and_restored():
    before = torch.get_num_threads()
    clock = FakeClock(seed=6, median_s=1e-3, sigma=0.01)
    m = measure(clock.work, timer=clock, threads=1)
    assert m.flags["num_threads"] == 1
    assert torch.get_num_threads() == before


def test_median_ci_coverage_monte_carlo():
    # 4000 seeded experiments of n=15 exponential samples; true median ln 2.
    rng = np.random.default_rng(7)
    n, trials = 15, 4000
    lo_r, hi_r = stats.median_ci_ranks(n)
    data = np.sort(rng.exponential(size=(trials, n)), axis=1)
    covered = np.mean((data[:, lo_r] <= math.log(2)) & (data[:, hi_r] >= math.log(2)))
    exact = 1 - 2 * sps.binom.cdf(lo_r, n, 0.5)
    assert exact >= 0.95
    # Monte Carlo within 4 standard errors of the exact binomial coverage
    se = math.sqrt(exact * (1 - exact) / trials)
    assert abs(covered - exact) < 4 * se


@pytest.mark.parametrize("n", [6, 7, 10, 25, 100, 501])
def test_median_ci_ranks_narrowest_reaching_level(n):
    lo, hi = stats.median_ci_ranks(n)
    assert hi == n - 1 - lo
    assert 1 - 2 * sps.binom.cdf(lo, n, 0.5) >= 0.95
    if lo + 1 <= (n - 1) // 2:
        assert 1 - 2 * sps.binom.cdf(lo + 1, n, 0.5) < 0.95


def test_bootstrap_and_order_statistic_intervals_agree_for_large_n():
    rng = np.random.default_rng(8)
    x = rng.lognormal(0.0, 0.2, size=400)
    a = stats.median_ci(x)
    b = stats.bootstrap_median_ci(x, seed=1)
    assert a[0] < np.median(x) < a[1] and b[0] < np.median(x) < b[1]
    assert abs(a[0] - b[0]) < 0.02 and abs(a[1] - b[1]) < 0.02


def test_measurement_json_roundtrip_keeps_samples():
    clock = FakeClock(seed=9, median_s=1e-3, sigma=0.1)
    m = measure(clock.work, HarnessConfig(budget_s=1.0), timer=clock)
    d = m.to_json()
    assert d["median"] == m.median and d["samples"] == list(m.samples)
    assert Measurement.from_json(d) == m


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_rel_ci": 0.0}, "`target_rel_ci`=0.0 must be a finite real number in (0, inf)"),
        ({"min_samples": 2}, "`min_samples`=2 must be an integer >= 3"),
        ({"min_samples": 10, "max_samples": 5}, "`max_samples`=5 must be >= `min_samples`"),
        ({"budget_s": -1.0}, "`budget_s`=-1.0 must be a finite real number in (0, inf)"),
    ],
)
def test_config_messages(kwargs, message):
    with pytest.raises(ParameterError) as exc:
        HarnessConfig(**kwargs)
    assert str(exc.value) == message


def test_stats_reject_empty_samples():
    with pytest.raises(ParameterError, match=r"`samples`=\[\] must be a non-empty 1-D sequence"):
        stats.median([])


# ------------------------------------------------------------------ CUDA --
@pytest.mark.gpu
def test_cuda_events_agree_with_synchronised_wall_clock():
    import time

    from cnnbench.bench.harness import measure_cuda

    cycles = 10_000_000  # a spin kernel of a few ms
    m = measure_cuda(lambda: torch.cuda._sleep(cycles), HarnessConfig(budget_s=0.5),
                     flush_l2=False)  # fmt: skip
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(10):
        torch.cuda._sleep(cycles)
    torch.cuda.synchronize()
    wall = (time.perf_counter() - t0) / 10
    assert m.timer == "cuda_event" and m.median == pytest.approx(wall, rel=0.1)


@pytest.mark.gpu
def test_cuda_l2_flush_buffer_exceeds_l2_and_graph_replay_runs():
    from cnnbench.bench.harness import l2_flush_buffer, measure_cuda

    l2 = torch.cuda.get_device_properties(0).L2_cache_size
    assert l2_flush_buffer().numel() >= 2 * l2
    x = torch.randn(1 << 20, device="cuda")
    out = torch.empty_like(x)
    cold = measure_cuda(lambda: out.copy_(x),
                        HarnessConfig(budget_s=0.3), flush_l2=True)  # fmt: skip
    graph = measure_cuda(lambda: out.copy_(x), HarnessConfig(budget_s=0.3), flush_l2=False,
                         cuda_graph=True)  # fmt: skip
    assert cold.number == 1 and any("graph" in n for n in graph.notes)
    assert graph.median <= cold.median * 1.5  # warm replay is not slower than cold calls
