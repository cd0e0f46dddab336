"""CUDA timing: events on the current stream, L2 flush, optional CUDA-graph replay.

Imported by :mod:`cnnbench.bench.harness` (which re-exports :func:`measure_cuda`);
importing it on a CPU-only machine is safe: CUDA is touched only when called.

Every CUDA call goes through :func:`cuda_api` (``torch.cuda``), the host clock
through :data:`host_ns` and the flush buffer's allocation through
:func:`_empty_int8`, so the logic (events on the current stream, the flush
outside the events, graph capture and replay, the stopping rule) is tested on
CPU against a simulated stream and event clock (tests/bench/test_harness_cuda_fake.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict

from cnnbench.bench.harness import (
    HarnessConfig,
    Measurement,
    _choose_number,
    _sample_loop,
    _warmup,
)
from cnnbench.bench.machine import flags_snapshot

# The flush buffer is twice L2 so that writing it evicts every line the
# previous sample left, whatever the replacement policy.
L2_FLUSH_FACTOR = 2
UNKNOWN_L2 = 64 * 2**20  # flush this much (x2) when the device does not report its L2
_FLUSH_BUFFERS: dict = {}
host_ns = time.perf_counter_ns  # the host clock (read after a device synchronize)


def cuda_api():
    """The CUDA API the harness calls (``torch.cuda``; a fake one in tests)."""
    import torch

    return torch.cuda


def _empty_int8(n: int, device):
    import torch

    return torch.empty(n, dtype=torch.int8, device=device)


def l2_flush_buffer(device=None):
    """A cached int8 buffer of ``L2_FLUSH_FACTOR`` x the device's L2 size."""
    import torch

    cuda = cuda_api()
    dev = torch.device("cuda", cuda.current_device() if device is None else device)
    if dev not in _FLUSH_BUFFERS:
        props = cuda.get_device_properties(dev)
        l2 = int(getattr(props, "L2_cache_size", 0)) or UNKNOWN_L2
        _FLUSH_BUFFERS[dev] = _empty_int8(L2_FLUSH_FACTOR * l2, dev)
    return _FLUSH_BUFFERS[dev]


def measure_cuda(
    fn: Callable[[], object],
    config: HarnessConfig | None = None,
    *,
    flush_l2: bool = True,
    cuda_graph: bool = False,
    setup: Callable[[], object] | None = None,
) -> Measurement:
    """Time ``fn()`` on the current CUDA stream with events.

    ``flush_l2``: zero a buffer of 2x L2 before each sample (outside the
    events), one call per sample — every timed call starts with a cold L2.
    ``cuda_graph``: capture ``number`` calls into a CUDA graph and time its
    replay — host launch overhead leaves the measurement (warm L2 unless the
    flush is also on, in which case each replay starts cold).
    """
    cuda = cuda_api()
    if not cuda.is_available():
        raise RuntimeError("measure_cuda needs CUDA: torch.cuda.is_available() is False")
    cfg = config or HarnessConfig()
    stream = cuda.current_stream()
    flush = l2_flush_buffer() if flush_l2 else None

    def host_timer() -> int:
        cuda.synchronize()
        return host_ns()

    # Warm-up synchronises on every clock read: lazy init, cuDNN autotuning and
    # allocator growth all finish before the first sample.
    warm_calls, per_call = _warmup(fn, cfg, host_timer)
    number = 1 if (flush_l2 and not cuda_graph) or setup is not None else _choose_number(
        per_call, cfg
    )
    notes: list[str] = []
    if cuda_graph:
        graph = cuda.CUDAGraph()
        side = cuda.Stream()
        side.wait_stream(stream)
        with cuda.stream(side):
            fn()  # one eager call on the capture stream before capture, as torch advises
        stream.wait_stream(side)
        with cuda.graph(graph):
            for _ in range(number):
                fn()
        run = graph.replay
        notes.append(f"cuda graph of {number} calls")
    else:

        def run() -> None:
            for _ in range(number):
                fn()

    if flush is not None:
        notes.append(f"L2 flushed before each sample ({flush.numel()} B)")

    def take_sample() -> float:
        if setup is not None:
            setup()
        if flush is not None:
            flush.zero_()
        start = cuda.Event(enable_timing=True)
        end = cuda.Event(enable_timing=True)
        start.record(stream)
        run()
        end.record(stream)
        end.synchronize()
        return start.elapsed_time(end) / 1e3 / number

    samples, reason = _sample_loop(take_sample, cfg, host_timer)
    return Measurement(
        samples=tuple(samples),
        number=number,
        stop_reason=reason,
        warmup_calls=warm_calls,
        timer="cuda_event",
        device=f"cuda:{cuda.current_device()}",
        confidence=cfg.confidence,
        flags=asdict(flags_snapshot()),
        notes=tuple(notes),
    )
