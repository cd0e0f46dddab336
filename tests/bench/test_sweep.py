"""The sweep's results file: appended per workload, survives interrupts, resumes."""

from __future__ import annotations

import json

import pytest

from bench.harness import Measurement
from bench.roofline import Ceilings
from bench.sweep import done_keys, read_records, run_sweep
from bench.workloads import Prepared, WorkloadError, all_workloads

CEIL = Ceilings("cpu", {"dram": 10e9, "cache": 50e9}, {"float32": 100e9, "bfloat16": 5e9})
WS = all_workloads("short", "cpu")[:6]


def fake_prepare(w):
    return Prepared(w, lambda: None, 0.0, "fake")


def fake_measure(p):
    return Measurement(samples=(1e-3, 1.1e-3, 0.9e-3), number=1, stop_reason="converged",
                       warmup_calls=1, timer="fake")  # fmt: skip


def test_each_result_appended_with_header(tmp_path):
    out = tmp_path / "r.jsonl"
    ticks = []
    o = run_sweep(WS, out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare,
                  progress=lambda i, n, w, r: ticks.append((i, n)))  # fmt: skip
    recs = read_records(out)
    assert recs[0]["type"] == "header" and recs[0]["machine"]["llc_bytes"] > 0
    assert recs[0]["ceilings"]["bandwidth"]["dram"] == 10e9  # bit-exact: read back
    assert [r["workload"]["key"] for r in recs[1:]] == [w.key for w in WS]
    assert all("fraction" in r["roofline"] for r in recs[1:])
    assert ticks[-1] == (6, 6) and o.done == tuple(w.key for w in WS) and not o.interrupted


def test_interrupt_keeps_finished_and_resume_skips_them(tmp_path):
    out = tmp_path / "r.jsonl"
    calls = []

    def interrupting(p):
        calls.append(p.workload.key)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return fake_measure(p)

    o = run_sweep(WS, out, ceilings=CEIL, measure_fn=interrupting, prepare_fn=fake_prepare)
    assert o.interrupted and len(o.done) == 2
    assert done_keys(out) == {WS[0].key, WS[1].key}
    o2 = run_sweep(WS, out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare,
                   resume=True)  # fmt: skip
    assert o2.skipped == (WS[0].key, WS[1].key) and len(o2.done) == 4
    assert done_keys(out) == {w.key for w in WS}
    assert sum(r["type"] == "header" for r in read_records(out)) == 2


def test_without_resume_the_file_is_replaced(tmp_path):
    out = tmp_path / "r.jsonl"
    run_sweep(WS[:2], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare)
    run_sweep(WS[2:3], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare)
    assert done_keys(out) == {WS[2].key}


def test_torn_last_line_is_ignored(tmp_path):
    out = tmp_path / "r.jsonl"
    run_sweep(WS[:2], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare)
    with out.open("a") as fh:
        fh.write('{"type": "result", "workl')  # killed mid-write
    assert done_keys(out) == {WS[0].key, WS[1].key}


def test_failed_check_is_recorded_not_timed(tmp_path):
    out = tmp_path / "r.jsonl"

    def failing(w):
        raise WorkloadError(f"{w.key}: max relative error 1 > tolerance 1e-05")

    o = run_sweep(WS[:1], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=failing)
    (rec,) = [r for r in read_records(out) if r["type"] == "error"]
    assert o.failed == (WS[0].key,) and "max relative error" in rec["error"]
    assert done_keys(out) == set()


@pytest.mark.parametrize("w", WS[:1], ids=lambda w: w.key)
def test_real_sweep_of_one_small_workload(tmp_path, w):
    from bench.harness import HarnessConfig

    out = tmp_path / "r.jsonl"
    cfg = HarnessConfig(budget_s=0.05, warmup_s=0.0, min_samples=3)
    run_sweep([w], out, ceilings=CEIL, config=cfg, threads=1)
    (rec,) = [r for r in read_records(out) if r["type"] == "result"]
    assert rec["measurement"]["flags"]["num_threads"] == 1
    assert rec["roofline"]["fraction"] > 0
    json.dumps(rec, allow_nan=False)
