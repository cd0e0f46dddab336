"""Roofline arithmetic on fixed ceilings, and one real (quick) ceiling measurement."""

from __future__ import annotations

import pytest
from cnnbench.bench.harness import HarnessConfig
from cnnbench.bench.roofline import Ceilings, assess, measure_ceilings
from cnnbench.bench.workloads import all_workloads, select

LLC = 32 << 20
CEIL = Ceilings("cpu", {"dram": 10e9, "cache": 50e9}, {"float32": 100e9, "bfloat16": 5e9})


def _one(pattern):
    (w,) = select(all_workloads("short", "cpu"), pattern)
    return w


def test_memory_bound_fraction_uses_dram_for_cold_working_set():
    w = _one(r"^activation/relu/aten_out/forward/out/float32/.*/32M/")
    assert w.bytes == 2 * 4 * 2**25  # read + write 128 MB
    r = assess(w, median_s=w.bytes / 8e9, ceilings=CEIL, llc=LLC)
    assert (r.cache, r.level, r.bound) == ("cold", "dram", "memory")
    assert r.fraction == pytest.approx(0.8) and not r.suspect
    assert r.achieved_bytes_per_s == pytest.approx(8e9)


def test_faster_than_the_measured_limit_is_suspect_not_a_win():
    w = _one(r"^activation/relu/aten_out/forward/out/float32/.*/32M/")
    r = assess(w, median_s=w.bytes / 12e9, ceilings=CEIL, llc=LLC)
    assert r.fraction == pytest.approx(1.2) and r.suspect


def test_cache_resident_workload_is_read_against_cache_bandwidth():
    w = _one(r"^activation/relu/eager/forward/alloc/float32/.*/1M/")
    r = assess(w, median_s=w.bytes / 25e9, ceilings=CEIL, llc=LLC)
    assert (r.cache, r.level) == ("warm", "cache") and r.fraction == pytest.approx(0.5)


def test_conv_can_be_compute_bound():
    w = _one(r"^conv/conv2d/aten/forward/alloc/float32/cpu/nchw/vgg16/conv3_2/")
    r = assess(w, median_s=w.flops / 50e9, ceilings=CEIL, llc=LLC)
    assert r.bound == "compute" and r.fraction == pytest.approx(0.5)
    assert r.achieved_flops_per_s == pytest.approx(50e9)


def test_ceilings_json_roundtrip():
    assert Ceilings.from_json(CEIL.to_json()) == CEIL


def test_measure_ceilings_quick():
    cfg = HarnessConfig(budget_s=0.05, warmup_s=0.0, min_samples=3, target_rel_ci=0.5)
    c = measure_ceilings("cpu", dtypes=("float32",), config=cfg)
    assert c.bandwidth["dram"] > 1e8 and c.bandwidth["cache"] >= c.bandwidth["dram"]
    assert c.flops["float32"] > 1e8
    assert {"copy_dram", "copy_cache", "matmul_float32", "conv1x1_float32"} <= set(c.probes)


@pytest.mark.gpu
def test_measure_ceilings_cuda():
    c = measure_ceilings("cuda", dtypes=("float32", "bfloat16", "float16"))
    assert c.bandwidth["dram"] > 1e11  # any CUDA GPU moves more than 100 GB/s
