"""Convolutions: one NDSB layer, NCHW vs channels_last, three directions, grouped per layer."""

from __future__ import annotations

import pytest
from cnnbench.bench.workloads import all_workloads, prepare, select

CONV = select(all_workloads("short", "cpu"), r"^(conv|layout)/.*/cpu/.*/ndsb1/conv2/")


@pytest.mark.parametrize("w", CONV, ids=lambda w: f"{w.direction}-{w.layout}")
def test_conv(benchmark, w):
    benchmark.group = f"{w.op} {w.case}"
    benchmark.extra_info.update(w.to_json())
    p = prepare(w)
    benchmark(p.fn)
