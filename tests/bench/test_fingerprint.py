"""Machine fingerprints: what changes the timing gate's ratios, and only that."""

from __future__ import annotations

from cnnbench.bench.fingerprint import (
    describe,
    fingerprint_id,
    isa_flags,
    machine_facts,
    machine_fingerprint,
)

CPUINFO = """processor\t: 0
model name\t: AMD EPYC
flags\t\t: fpu sse4_2 avx avx2 fma f16c avx512f avx512bw avx512vl sha_ni
"""
FACTS = {"arch": "x86_64", "cpu_capability": "AVX2", "isa": ["sse4_2", "avx", "avx2", "fma"],
         "caches": {"L1d": 32768, "L2": 524288, "L3": 33554432}, "cores": 2}  # fmt: skip


def test_isa_flags_keep_the_kernel_selecting_ones_in_a_fixed_order():
    assert isa_flags(CPUINFO) == ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw",
                                  "avx512vl"]  # fmt: skip
    assert isa_flags("processor: 0\n") == []


def test_every_fact_changes_the_id_and_the_prefix_is_readable():
    base = fingerprint_id(FACTS)
    assert base.startswith("x86_64-avx2-2c-l2_512k-l3_32m-")
    changed = [
        {**FACTS, "cpu_capability": "AVX512"},  # the two "AMD EPYC" machines
        {**FACTS, "isa": [*FACTS["isa"], "avx512f"]},
        {**FACTS, "caches": {**FACTS["caches"], "L3": 2 * 33554432}},
        {**FACTS, "cores": 4},
    ]
    ids = {fingerprint_id(f) for f in changed}
    assert base not in ids and len(ids) == len(changed)
    assert fingerprint_id(dict(reversed(list(FACTS.items())))) == base  # key order does not


def test_this_machine_has_a_stable_fingerprint():
    a, b = machine_fingerprint(), machine_fingerprint()
    assert a == b and a["id"] == fingerprint_id(a["facts"]) == fingerprint_id(machine_facts())
    assert "model" not in a["facts"]  # a model name does not say which kernels run


def test_describe_names_capability_cores_caches_and_flags():
    assert describe(FACTS) == ("torch's AVX2 kernels, 2 cores, L1d 32KiB, L2 512KiB, L3 32MiB; "
                               "flags sse4_2 avx avx2 fma")  # fmt: skip
