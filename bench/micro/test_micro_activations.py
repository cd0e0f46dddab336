"""Activations forward/backward at 1M float32 elements, grouped per op."""

from __future__ import annotations

import pytest
from cnnbench.analysis.activations.registry import ACTIVATIONS
from cnnbench.bench.workloads import all_workloads, prepare, select

_SHORT = all_workloads("short", "cpu")
FORWARD = select(_SHORT, r"^activation/[^/]+/eager/forward/alloc/float32/cpu/contiguous/1M/")
BACKWARD = select(_SHORT, r"^activation/[^/]+/eager/backward/alloc/float32/cpu/contiguous/1M/")
# The custom activations' implementations side by side (eager forms only:
# compile time would dominate a developer-loop run).
CUSTOM = tuple(
    w
    for w in all_workloads("full", "cpu")
    if w.case == "1M" and w.dtype == "float32" and w.direction == "forward"
    and w.op in ("sigmoid_star", "regularized_relu", "rrelu")
    and w.alloc == "alloc" and "compiled" not in w.impl
)


@pytest.mark.parametrize("w", FORWARD, ids=lambda w: w.op)
def test_forward(benchmark, w):
    benchmark.group = f"{w.op} forward"
    benchmark.extra_info.update(w.to_json())
    p = prepare(w)
    benchmark(p.fn)


@pytest.mark.parametrize("w", BACKWARD, ids=lambda w: w.op)
def test_backward(benchmark, w):
    benchmark.group = f"{w.op} backward"
    benchmark.extra_info.update(w.to_json())
    p = prepare(w)
    benchmark(p.fn)


@pytest.mark.parametrize("w", CUSTOM, ids=lambda w: f"{w.op}-{w.impl}")
def test_custom_implementations(benchmark, w):
    benchmark.group = f"{w.op} implementations"
    benchmark.extra_info.update(w.to_json())
    p = prepare(w)
    benchmark(p.fn)


def test_every_activation_in_micro_suite():
    assert {w.op for w in FORWARD} == set(ACTIVATIONS)
