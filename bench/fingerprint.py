"""A machine's fingerprint: what changes the timing gate's ratios, and nothing else.

A ratio such as "sigmoid into a buffer / exp into the same buffer" depends on
which kernels torch dispatches (its CPU capability: AVX2 or AVX-512 code for
the same op), on the instruction sets oneDNN and MKL pick their kernels by, on
the cache sizes (whether a tensor and its reference fit), and on the core count
(what a neighbour can take). Two machines that agree on all of these may share
a baseline; any difference gets its own (``bench/gate_baselines/<id>.json``).
The model name is not part of it: two "AMD EPYC" machines here ran different
kernels (AVX2 and AVX-512), and a new stepping with the same features would
not need a new baseline.

>>> fingerprint_id({"arch": "x86_64", "cpu_capability": "AVX2", "cores": 2,
...                 "caches": {"L2": 524288, "L3": 33554432}, "isa": ["avx2", "fma"]})
'x86_64-avx2-2c-l2_512k-l3_32m-46d8839c'
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path

# The flags that select kernels in torch (ATen's CPU capability), oneDNN and MKL.
ISA_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512dq",
             "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16",
             "amx_tile", "amx_bf16", "amx_int8")  # fmt: skip


def isa_flags(cpuinfo: str | None = None) -> list[str]:
    """The :data:`ISA_FLAGS` this CPU reports (/proc/cpuinfo), in that order."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return []
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            have = set(line.split(":", 1)[1].split())
            return [f for f in ISA_FLAGS if f in have]
    return []


def machine_facts() -> dict:
    """What the fingerprint is made of (torch is imported for its CPU capability)."""
    import torch
    from cnnbench.bench.machine import cache_sizes

    caches = {k: v for k, v in cache_sizes().items() if k in ("L1d", "L2", "L3")}
    return {"arch": platform.machine(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "isa": isa_flags(), "caches": caches, "cores": os.cpu_count()}  # fmt: skip


def _size(n: int | None) -> str:
    if not n:
        return "none"
    return f"{n // 2**20}m" if n >= 2**20 and n % 2**20 == 0 else f"{n // 2**10}k"


def fingerprint_id(facts: dict) -> str:
    """A readable prefix (arch, capability, cores, L2, L3) and a hash of all the facts."""
    digest = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:8]
    caches = facts.get("caches", {})
    return (f"{facts['arch']}-{str(facts['cpu_capability']).lower()}-{facts['cores']}c-"
            f"l2_{_size(caches.get('L2'))}-l3_{_size(caches.get('L3'))}-{digest}")  # fmt: skip


def describe(facts: dict) -> str:
    """One line for messages: ``torch's AVX2 kernels, 2 cores, L1d 32KiB, ...; flags ...``."""
    caches = ", ".join(f"{k} {_size(v).upper()}iB" for k, v in facts.get("caches", {}).items())
    return (f"torch's {facts['cpu_capability']} kernels, {facts['cores']} cores, {caches}; "
            f"flags {' '.join(facts.get('isa', [])) or 'none'}")  # fmt: skip


def machine_fingerprint() -> dict:
    """``{"id": ..., "facts": ...}`` of this machine (stored in each timing baseline)."""
    facts = machine_facts()
    return {"id": fingerprint_id(facts), "facts": facts}
