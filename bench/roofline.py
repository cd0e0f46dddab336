"""The machine's own limits, measured in the same run, and each result's fraction of them.

Ceilings:

* copy bandwidth, bytes read + written by ``dst.copy_(src)`` into a
  preallocated ``dst``: once with a working set of 8x the last-level cache
  ("dram") and once with 1/4 of it ("cache");
* (each the fastest sample, not the median: a ceiling is the best the
  machine did, and on a shared machine the median mixes in other tenants)
* matrix throughput per dtype: the best of a large square matmul and a 1x1
  convolution (a GEMM through oneDNN/cuDNN), grown until one call takes
  ``MIN_PROBE_S``; on CPUs without native bfloat16 the two differ by orders
  of magnitude, and a workload faster than the slower probe is not a miracle.

A result's roofline time is ``max(bytes / bandwidth, flops / peak)`` (the
compute term only for convolutions: elementwise ops do not run on the matrix
units); ``fraction = roofline time / measured time``. A fraction above
:data:`SUSPECT_ABOVE` is flagged ``suspect``: it means the byte/op count or
the ceiling is wrong (or the cache served more than counted), not a win.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from cnnbench.bench.harness import HarnessConfig, Measurement, measure, measure_cuda
from cnnbench.bench.machine import cache_label, llc_bytes
from cnnbench.bench.workloads import Workload, torch_dtype

SUSPECT_ABOVE = 1.0
DRAM_LLC_MULTIPLE = 8  # copy working set (src + dst) for the memory probe
CACHE_LLC_FRACTION = 4  # ... and 1/4 of LLC for the cache probe
# Matmul probes grow until one call takes this long. Short on purpose: on a
# shared machine a 50 ms call always includes time slices of other tenants,
# while workloads' ~1 ms samples often do not, and a probe slower than the
# workloads it bounds flags them all "suspect" (seen here: a 1024^3 matmul
# probe read 45 GFLOP/s, a 5x5 convolution's 1-call samples 67 GFLOP/s).
MIN_PROBE_S = 0.004
MAX_MATMUL_N = {"cpu": 4096, "cuda": 16384}
PROBE_CONFIG = HarnessConfig(target_rel_ci=0.02, budget_s=1.0, min_samples=7)


@dataclass(frozen=True)
class Ceilings:
    """Measured limits: bytes/s per cache level and FLOP/s per dtype."""

    device: str
    bandwidth: dict[str, float]  # "dram" | "cache" -> bytes/s (read + written)
    flops: dict[str, float]  # dtype -> FLOP/s (best probe)
    probes: dict[str, dict] = field(default_factory=dict)  # name -> {size, median_s, ...}

    def to_json(self) -> dict:
        return {"device": self.device, "bandwidth": self.bandwidth, "flops": self.flops,
                "probes": self.probes}  # fmt: skip

    @classmethod
    def from_json(cls, d: dict) -> Ceilings:
        return cls(d["device"], dict(d["bandwidth"]), dict(d["flops"]), dict(d.get("probes", {})))


@dataclass(frozen=True)
class Roofline:
    """One result read against the ceilings."""

    achieved_bytes_per_s: float
    achieved_flops_per_s: float
    bandwidth_limit: float  # bytes/s of the level the working set lives in
    level: str  # "dram" | "cache"
    cache: str  # "warm" | "mixed" | "cold" (working set vs LLC)
    flops_limit: float | None
    bound: str  # "memory" | "compute"
    fraction: float  # roofline time / measured time
    suspect: bool

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _timed(fn: Callable[[], object], device: str, config: HarnessConfig) -> Measurement:
    if device == "cuda":
        return measure_cuda(fn, config, flush_l2=False)
    return measure(fn, config)


def _copy_probe(nbytes: int, device: str, config: HarnessConfig) -> tuple[float, dict]:
    n = max(nbytes // 2 // 4, 1024)  # float32 elements per buffer; src + dst = nbytes
    src = torch.randn(n, device=device)
    dst = torch.empty_like(src)
    m = _timed(lambda: dst.copy_(src), device, config)
    moved = 2 * n * 4
    return moved / m.min, {"bytes": moved, "min_s": m.min, "median_s": m.median}


def _matmul_probe(dtype: str, device: str, config: HarnessConfig) -> tuple[float, dict]:
    dt = torch_dtype(dtype)
    n = 256
    while True:
        a = torch.randn(n, n, device=device).to(dt)
        b = torch.randn(n, n, device=device).to(dt)
        torch.mm(a, b)  # the first call carries lazy initialisation; time the second
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        torch.mm(a, b)
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter() - t0
        if t >= MIN_PROBE_S or n >= MAX_MATMUL_N[device]:
            break
        n *= 2
    m = _timed(lambda: torch.mm(a, b), device, config)
    return 2 * n**3 / m.min, {"n": n, "min_s": m.min, "median_s": m.median}


def _conv1x1_probe(dtype: str, device: str, config: HarnessConfig) -> tuple[float, dict]:
    dt = torch_dtype(dtype)
    c, hw = 512, 14  # 103 MFLOP: a few ms per call, like the workloads' samples
    x = torch.randn(1, c, hw, hw, device=device).to(dt).contiguous(
        memory_format=torch.channels_last
    )  # (N, C, H, W)
    w = torch.randn(c, c, 1, 1, device=device).to(dt).contiguous(
        memory_format=torch.channels_last
    )
    m = _timed(lambda: F.conv2d(x, w), device, config)
    return 2 * c * c * hw * hw / m.min, {"c": c, "hw": hw, "min_s": m.min, "median_s": m.median}


def measure_ceilings(
    device: str = "cpu",
    dtypes: tuple[str, ...] = ("float32", "bfloat16"),
    config: HarnessConfig = PROBE_CONFIG,
) -> Ceilings:
    """Measure copy bandwidth (dram, cache) and matrix throughput per dtype on ``device``."""
    probes: dict[str, dict] = {}
    if device == "cuda":
        l2 = torch.cuda.get_device_properties(torch.cuda.current_device()).L2_cache_size
        big, small = max(8 * l2, 1 << 30), max(l2 // 4, 1 << 20)
    else:
        big, small = DRAM_LLC_MULTIPLE * llc_bytes(), llc_bytes() // CACHE_LLC_FRACTION
    bw: dict[str, float] = {}
    bw["dram"], probes["copy_dram"] = _copy_probe(big, device, config)
    bw["cache"], probes["copy_cache"] = _copy_probe(small, device, config)
    # A cache level slower than memory means the small probe was noise-dominated.
    bw["cache"] = max(bw["cache"], bw["dram"])
    peaks: dict[str, float] = {}
    for dt in dtypes:
        mm, probes[f"matmul_{dt}"] = _matmul_probe(dt, device, config)
        cv, probes[f"conv1x1_{dt}"] = _conv1x1_probe(dt, device, config)
        peaks[dt] = max(mm, cv)
    return Ceilings(device, bw, peaks, probes)


def assess(w: Workload, median_s: float, ceilings: Ceilings, llc: int | None = None) -> Roofline:
    """Achieved rates and the fraction of the roofline for one result."""
    label = cache_label(w.working_set, llc)
    level = "dram" if label == "cold" else "cache"
    bw = ceilings.bandwidth[level]
    t_mem = w.bytes / bw
    peak = ceilings.flops.get(w.dtype) if w.group == "conv" else None
    t_cmp = w.flops / peak if peak else 0.0
    t_roof = max(t_mem, t_cmp)
    fraction = t_roof / median_s if median_s > 0 else float("inf")
    return Roofline(
        achieved_bytes_per_s=w.bytes / median_s,
        achieved_flops_per_s=w.flops / median_s,
        bandwidth_limit=bw,
        level=level,
        cache=label,
        flops_limit=peak,
        bound="compute" if t_cmp > t_mem else "memory",
        fraction=fraction,
        suspect=fraction > SUSPECT_ABOVE,
    )
