"""The CUDA harness's logic on a simulated device: one stream, a device clock, events.

The fake models what the harness relies on: a launch costs host time and queues
device work behind what is already queued; an event's timestamp is when the
stream reaches it; ``elapsed_time`` of an event not yet synchronised raises (as
CUDA does for an event that has not completed); graph capture records launches
instead of running them, and a replay is one launch of all of them. Work,
launch and flush costs are exact, so every figure below is known in advance.
"""

from __future__ import annotations

import contextlib
import random

import pytest
from cnnbench.bench import (
    harness,  # noqa: F401 (imports harness_cuda, in that order)
    harness_cuda,
)
from cnnbench.bench.harness import HarnessConfig

pytestmark = pytest.mark.gpu_path
US = 1000  # ns


class FakeCuda:
    def __init__(self, launch_ns: int = 5 * US, l2: int = 6 * 2**20) -> None:
        self.host = 0  # host clock, ns
        self.device_free = 0  # when the stream finishes what is queued
        self.launch_ns = launch_ns
        self.l2 = l2
        self.capturing: FakeGraph | None = None
        self.stream_ = FakeStream(self)
        self.launches = 0
        self.flushes = 0
        self.replays = 0

    # the API the harness calls -------------------------------------------------------------
    def is_available(self) -> bool:
        return True

    def current_stream(self) -> FakeStream:
        return self.stream_

    def current_device(self) -> int:
        return 0

    def get_device_properties(self, dev):
        return type("Props", (), {"L2_cache_size": self.l2})()

    def synchronize(self) -> None:
        self.host = max(self.host, self.device_free)

    def Event(self, enable_timing: bool = False) -> FakeEvent:
        assert enable_timing, "the harness must ask for timing events"
        return FakeEvent(self)

    def CUDAGraph(self) -> FakeGraph:
        return FakeGraph(self)

    def Stream(self) -> FakeStream:
        return FakeStream(self)

    @contextlib.contextmanager
    def stream(self, s):
        yield

    @contextlib.contextmanager
    def graph(self, g: FakeGraph):
        self.capturing = g
        try:
            yield
        finally:
            self.capturing = None

    # what the workload does ----------------------------------------------------------------
    def launch(self, work_ns: int) -> None:
        self.host += self.launch_ns
        if self.capturing is not None:
            self.capturing.work.append(work_ns)
            return
        self.launches += 1
        self.device_free = max(self.device_free, self.host) + work_ns


class FakeStream:
    def __init__(self, cuda: FakeCuda) -> None:
        self.cuda = cuda

    def wait_stream(self, other) -> None:
        pass


class FakeEvent:
    def __init__(self, cuda: FakeCuda) -> None:
        self.cuda = cuda
        self.at: int | None = None
        self.done = False

    def record(self, stream) -> None:
        assert stream is self.cuda.current_stream(), "events belong on the timed stream"
        self.at = max(self.cuda.device_free, self.cuda.host)

    def synchronize(self) -> None:
        self.cuda.host = max(self.cuda.host, self.at)
        self.done = True

    def elapsed_time(self, end: FakeEvent) -> float:
        if not end.done:
            raise RuntimeError("elapsed_time of an event that has not completed")
        return (end.at - self.at) / 1e6  # ms


class FakeGraph:
    def __init__(self, cuda: FakeCuda) -> None:
        self.cuda = cuda
        self.work: list[int] = []

    def replay(self) -> None:
        c = self.cuda
        c.host += c.launch_ns
        c.replays += 1
        c.device_free = max(c.device_free, c.host) + sum(self.work)


class FakeFlush:
    def __init__(self, cuda: FakeCuda, n: int, flush_ns: int) -> None:
        self.cuda, self.n, self.flush_ns = cuda, n, flush_ns

    def numel(self) -> int:
        return self.n

    def zero_(self) -> None:
        self.cuda.flushes += 1
        self.cuda.launch(self.flush_ns)


@pytest.fixture
def fake(monkeypatch):
    cuda = FakeCuda()
    monkeypatch.setattr(harness_cuda, "cuda_api", lambda: cuda)
    monkeypatch.setattr(harness_cuda, "host_ns", lambda: cuda.host)
    monkeypatch.setattr(harness_cuda, "_FLUSH_BUFFERS", {})
    monkeypatch.setattr(harness_cuda, "_empty_int8",
                        lambda n, dev: FakeFlush(cuda, n, flush_ns=1000 * US))  # fmt: skip
    return cuda


CFG = HarnessConfig(budget_s=0.5, warmup_s=0.001, min_sample_s=1e-3)


def test_events_time_the_device_not_the_host(fake):
    m = harness_cuda.measure_cuda(lambda: fake.launch(50 * US), CFG, flush_l2=False)
    assert m.timer == "cuda_event" and m.device == "cuda:0"
    # 5 us launches hide behind 50 us of work, all but the first one's after the start event
    assert m.median == pytest.approx((m.number * 50 + 5) * 1e-6 / m.number, rel=1e-9)
    assert m.number == 19  # the warm-up's 50.3 us a call -> ceil(1 ms / 50.3 us) calls
    assert m.stop_reason == "converged" and m.n == CFG.min_samples  # identical samples


def test_launch_bound_work_is_what_eager_events_see_and_graph_replay_removes(fake):
    fake.launch_ns = 80 * US  # the host cannot keep a 10 us kernel fed
    eager = harness_cuda.measure_cuda(lambda: fake.launch(10 * US), CFG, flush_l2=False)
    n = eager.number  # each kernel waits for its launch: (80 n + 10) us per n calls
    assert eager.median == pytest.approx((80 * n + 10) * 1e-6 / n, rel=1e-9)
    graph = harness_cuda.measure_cuda(lambda: fake.launch(10 * US), CFG, flush_l2=False,
                                      cuda_graph=True)  # fmt: skip
    n = graph.number  # one launch for the whole graph, then its n kernels back to back
    assert graph.median == pytest.approx((80 + 10 * n) * 1e-6 / n, rel=1e-9)
    assert graph.median < 0.25 * eager.median
    assert graph.notes == (f"cuda graph of {graph.number} calls",)
    assert fake.replays == graph.n  # one replay per sample, none during warm-up


def test_graph_captures_number_calls_once(fake):
    calls = []
    harness_cuda.measure_cuda(lambda: calls.append(fake.capturing) or fake.launch(20 * US),
                              CFG, flush_l2=False, cuda_graph=True)  # fmt: skip
    captured = [c for c in calls if c is not None]
    assert len({id(c) for c in captured}) == 1  # one graph
    assert len(captured) == len(captured[0].work)  # every captured call recorded its work
    assert calls[-len(captured) - 1] is None  # the eager call on the side stream before capture


def test_l2_flush_is_outside_the_events_one_call_per_sample(fake):
    m = harness_cuda.measure_cuda(lambda: fake.launch(50 * US), CFG, flush_l2=True)
    # 50 us, not 1.05 ms: the 1 ms flush is queued before the start event, and the kernel's
    # launch hides behind it
    assert m.median == pytest.approx(50e-6)
    assert m.number == 1 and fake.flushes == m.n
    flush = harness_cuda.l2_flush_buffer()
    assert flush.numel() == 2 * fake.l2
    assert m.notes == (f"L2 flushed before each sample ({2 * fake.l2} B)",)


def test_flush_buffer_is_cached_and_defaults_when_l2_is_unknown(fake):
    fake.l2 = 0
    a = harness_cuda.l2_flush_buffer()
    assert a is harness_cuda.l2_flush_buffer()
    assert a.numel() == harness_cuda.L2_FLUSH_FACTOR * harness_cuda.UNKNOWN_L2


def test_noisy_device_stops_on_the_budget(fake):
    rng = random.Random(0)
    cfg = HarnessConfig(budget_s=0.2, warmup_s=0.001, min_sample_s=1e-3, target_rel_ci=0.001)
    m = harness_cuda.measure_cuda(lambda: fake.launch(rng.choice([20, 60]) * US), cfg,
                                  flush_l2=False)  # fmt: skip
    assert m.stop_reason == "budget"
    assert 0.2 <= fake.host / 1e9 < 0.3  # the host clock passed the budget, not much more
    assert 20e-6 < m.median < 60e-6


def test_noise_within_target_converges_before_the_budget(fake):
    rng = random.Random(0)
    m = harness_cuda.measure_cuda(lambda: fake.launch(round(rng.gauss(100, 5)) * US), CFG,
                                  flush_l2=False)  # fmt: skip
    assert m.stop_reason == "converged" and m.median == pytest.approx(100e-6, rel=0.02)


def test_setup_runs_before_each_sample_outside_the_events(fake):
    setups = []
    m = harness_cuda.measure_cuda(lambda: fake.launch(30 * US), CFG, flush_l2=False,
                                  setup=lambda: setups.append(1) or fake.launch(500 * US))
    assert m.number == 1 and len(setups) == m.n and m.median == pytest.approx(30e-6)


def test_no_cuda_is_a_clear_error(monkeypatch):
    fake = FakeCuda()
    fake.is_available = lambda: False
    monkeypatch.setattr(harness_cuda, "cuda_api", lambda: fake)
    with pytest.raises(RuntimeError, match=r"measure_cuda needs CUDA"):
        harness_cuda.measure_cuda(lambda: None)
