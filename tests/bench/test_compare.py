"""Derived comparisons over fixed sweep records (no timing)."""

from __future__ import annotations

import pytest
from cnnbench.bench.compare import copy_fractions, fused_vs_builtin, layout_ratios
from cnnbench.bench.roofline import Ceilings, assess
from cnnbench.bench.workloads import all_workloads, select

LLC = 32 << 20
CEIL = Ceilings("cpu", {"dram": 10e9, "cache": 50e9}, {"float32": 100e9, "bfloat16": 5e9})


def _records(times: dict[str, float]) -> list[dict]:
    ws = {w.key: w for w in all_workloads("short", "cpu")}
    recs = [{"type": "header", "ceilings": CEIL.to_json()}]
    for key, t in times.items():
        w = ws[key]
        recs.append({"type": "result", "workload": w.to_json(), "measurement": {"median": t},
                     "roofline": assess(w, t, CEIL, LLC).to_json()})  # fmt: skip
    return recs


def _key(pattern: str) -> str:
    (w,) = select(all_workloads("short", "cpu"), pattern)
    return w.key


def test_layout_ratio_and_backward_sum():
    base = r"^conv/conv2d/aten/{d}/alloc/float32/cpu/{l}/alexnet/conv2/"
    t = {
        _key(base.format(d="forward", l="nchw")): 4.0,
        _key(base.format(d="forward", l="channels_last")): 2.0,
        _key(base.format(d="backward_data", l="nchw")): 3.0,
        _key(base.format(d="backward_data", l="channels_last")): 3.0,
        _key(base.format(d="backward_weight", l="nchw")): 3.0,
        _key(base.format(d="backward_weight", l="channels_last")): 1.0,
    }
    got = {x.direction: x.ratio for x in layout_ratios(_records(t))}
    # bit-exact: ratios of small integers
    assert got == {"forward": 2.0, "backward_data": 1.0, "backward_weight": 3.0,
                   "backward": pytest.approx(1.5)}  # fmt: skip


def test_fused_against_fastest_builtin_of_class():
    out = r"^activation/{op}/{impl}/forward/out/float32/cpu/contiguous/32M/"
    t = {
        _key(out.format(op="tanh", impl="aten_out")): 0.10,
        _key(out.format(op="sigmoid_star", impl="compiled_out")): 0.11,
        _key(out.format(op="relu", impl="aten_out")): 0.05,
        _key(out.format(op="regularized_relu", impl="compiled_out")): 0.06,
    }
    got = {(x.op, x.builtin): x.ratio for x in fused_vs_builtin(_records(t))}
    assert got == {("sigmoid_star", "tanh"): pytest.approx(1.1),
                   ("regularized_relu", "relu"): pytest.approx(1.2)}  # fmt: skip


def test_copy_fraction_only_for_large_preallocated():
    t = {
        _key(r"^activation/relu/aten_out/forward/out/float32/cpu/contiguous/32M/"): 0.032,
        _key(r"^activation/relu/eager/forward/alloc/float32/cpu/contiguous/1M/"): 0.001,
    }
    (x,) = copy_fractions(_records(t), LLC)
    # 256 MB moved in 32 ms = 8.4 GB/s of a 10 GB/s copy
    assert x.op == "relu" and x.fraction == pytest.approx(2**28 / 0.032 / 10e9)
    assert x.llc_multiple == pytest.approx(8.0)


def test_best_ceilings_take_the_best_of_start_and_end():
    from cnnbench.bench.compare import best_ceilings

    end = Ceilings("cpu", {"dram": 12e9, "cache": 40e9}, {"float32": 90e9})
    recs = [*_records({}), {"type": "ceilings", "ceilings": end.to_json()}]
    b = best_ceilings(recs)
    assert b["bandwidth"] == {"dram": 12e9, "cache": 50e9}  # bit-exact: read back
    assert b["flops"] == {"float32": 100e9, "bfloat16": 5e9}  # bit-exact: read back
    assert best_ceilings([]) is None


def test_workload_json_roundtrip():
    from cnnbench.bench.workloads import workload_from_json

    for w in all_workloads("short", "cpu")[::17]:
        assert workload_from_json(w.to_json()) == w
