"""The sweep's results file: appended per workload, survives interrupts, resumes."""

from __future__ import annotations

import json

import pytest
from cnnbench.bench.harness import Measurement
from cnnbench.bench.results_io import ResultsFileError
from cnnbench.bench.roofline import Ceilings
from cnnbench.bench.sweep import done_keys, read_records, run_sweep
from cnnbench.bench.workloads import Prepared, WorkloadError, all_workloads

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


def test_an_existing_out_is_not_removed_without_force(tmp_path):
    # issue 15: `bench` without --resume deleted any existing --out without a word
    out = tmp_path / "r.jsonl"
    run_sweep(WS[:2], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare)
    before = out.read_bytes()
    with pytest.raises(ResultsFileError, match="already exists: pass --resume to continue it, "
                       "--force to replace it"):
        run_sweep(WS[2:3], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare)
    assert out.read_bytes() == before


def test_force_replaces_the_file(tmp_path):
    out = tmp_path / "r.jsonl"
    run_sweep(WS[:2], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare)
    run_sweep(WS[2:3], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare,
              force=True)  # fmt: skip
    assert done_keys(out) == {WS[2].key}


def test_another_kind_of_file_is_never_removed(tmp_path):
    out = tmp_path / "check.json"
    out.write_text('[{"id": "a.b"}]\n')
    for resume in (False, True):
        with pytest.raises(ResultsFileError):
            run_sweep(WS[:1], out, ceilings=CEIL, measure_fn=fake_measure,
                      prepare_fn=fake_prepare, resume=resume)  # fmt: skip
    assert out.read_text() == '[{"id": "a.b"}]\n'


def test_torn_last_line_is_ignored(tmp_path):
    out = tmp_path / "r.jsonl"
    run_sweep(WS[:2], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare)
    with out.open("a") as fh:
        fh.write('{"type": "result", "workl')  # killed mid-write
    assert done_keys(out) == {WS[0].key, WS[1].key}


def test_resume_after_a_torn_line_keeps_rows_once_and_reruns_the_torn_one(tmp_path):
    # issue 15: the new header was appended onto the fragment and became unreadable
    out = tmp_path / "r.jsonl"
    run_sweep(WS[:3], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare)
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join(lines[:3]) + lines[3][: len(lines[3]) // 2])  # WS[2]'s row torn
    notes = []
    o = run_sweep(WS[:4], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare,
                  resume=True, notice=notes.append)  # fmt: skip
    assert o.skipped == (WS[0].key, WS[1].key) and o.done == (WS[2].key, WS[3].key)
    text = out.read_text()
    assert text.endswith("\n")
    recs = [json.loads(line) for line in text.splitlines()]  # every line reads
    keys = [r["workload"]["key"] for r in recs if r["type"] == "result"]
    assert sorted(keys) == sorted(w.key for w in WS[:4])  # each complete row once
    assert any("line 4 was torn" in n for n in notes), notes


def test_resume_refuses_a_bad_line_in_the_middle(tmp_path):
    out = tmp_path / "r.jsonl"
    run_sweep(WS[:3], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare)
    lines = out.read_text().splitlines(keepends=True)
    out.write_text(lines[0] + "{not json\n" + "".join(lines[2:]))
    before = out.read_bytes()
    with pytest.raises(ResultsFileError, match=r"line 2: is not valid JSON"):
        run_sweep(WS, out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare,
                  resume=True)  # fmt: skip
    assert out.read_bytes() == before


def test_resume_refuses_other_settings_naming_each(tmp_path):
    # issue 15: --resume with other --threads/--budget mixed two runs in one table
    from cnnbench.bench.harness import HarnessConfig

    out = tmp_path / "r.jsonl"
    run_sweep(WS[:2], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare,
              threads=1, config=HarnessConfig(budget_s=0.5))  # fmt: skip
    before = out.read_bytes()
    with pytest.raises(ResultsFileError) as info:
        run_sweep(WS, out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare,
                  resume=True, threads=2, profile="full", config=HarnessConfig(budget_s=1.0))
    msg = str(info.value)
    assert "--threads 1 in the file, 2 now" in msg and "--budget 0.5 in the file, 1.0 now" in msg
    assert "--profile 'short' in the file, 'full' now" in msg
    assert out.read_bytes() == before


def test_a_second_writer_refuses_naming_the_holder(tmp_path):
    # issue 15: a second `bench --out F` deleted the first's header and rows
    import os

    from cnnbench.bench.results_io import FileLockedError, WriteLock

    out = tmp_path / "r.jsonl"
    run_sweep(WS[:2], out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare)
    before = out.read_bytes()
    with WriteLock(out, command="cnnbench bench --out r.jsonl"):
        holder = rf"another run is writing it \(pid {os.getpid()}"
        with pytest.raises(FileLockedError, match=holder):
            run_sweep(WS, out, ceilings=CEIL, measure_fn=fake_measure, prepare_fn=fake_prepare,
                      force=True)  # fmt: skip
    assert out.read_bytes() == before
    assert not (tmp_path / "r.jsonl.lock").exists()


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
    from cnnbench.bench.harness import HarnessConfig

    out = tmp_path / "r.jsonl"
    cfg = HarnessConfig(budget_s=0.05, warmup_s=0.0, min_samples=3)
    run_sweep([w], out, ceilings=CEIL, config=cfg, threads=1)
    (rec,) = [r for r in read_records(out) if r["type"] == "result"]
    assert rec["measurement"]["flags"]["num_threads"] == 1
    assert rec["roofline"]["fraction"] > 0
    json.dumps(rec, allow_nan=False)
