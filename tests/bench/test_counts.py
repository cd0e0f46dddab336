"""The instruction-count gate: parsing callgrind's output, the decision, the baseline
file and the command's exits (valgrind itself runs only in the slow test and in CI's
`make gate-counts`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cnnbench.bench.counts import CountRun, StatementCounts, parse_annotate
from cnnbench.bench.counts_gate import (
    CountsBaseline,
    CountsEntry,
    baseline_from_runs,
    decide,
    fingerprint_differences,
)
from cnnbench.bench.counts_spec import COUNT_NAMES, COUNTS_BASELINE_PATH, MIN_REL_TOL
from cnnbench.bench.loaders_bench import load_counts_baseline
from cnnbench.reports.cli import app
from typer.testing import CliRunner

runner = CliRunner()
FIXTURE = Path(__file__).parent / "fixtures" / "callgrind_annotate_ls.txt"
FP = {"valgrind": "3.19.0", "torch": "2.13.0+cpu", "python": "3.11.7", "machine": "x86_64",
      "glibc": "glibc-2.36", "cpu_capability": "AVX2"}  # fmt: skip


def test_parse_real_callgrind_annotate_output():
    # `callgrind_annotate --inclusive=no --threshold=100 --show-percs=no` of valgrind 3.19
    # on /bin/ls: the totals line, then exclusive counts by file:function
    total, fns = parse_annotate(FIXTURE.read_text())
    assert total == 567_551
    assert fns["dl-lookup.c:do_lookup_x"] == 100_992
    assert fns["dl-lookup.c:_dl_lookup_symbol_x"] == 33_184  # same function, two files:
    assert fns["dl-new-hash.h:_dl_lookup_symbol_x"] == 32_032  # kept apart by file
    assert fns["??? (unnamed code, e.g. JIT kernels)"] == 10_060
    assert sum(fns.values()) <= total


def test_parse_without_totals_is_an_error():
    from cnnbench.bench.counts import CountsError

    with pytest.raises(CountsError, match="printed no PROGRAM TOTALS line"):
        parse_annotate("Ir file:function\n 1 a.c:f\n")


def _entry(name="relu.out", runs=((1000.0, 1001.0), (1000.5, 1000.0))) -> CountsEntry:
    return CountsEntry(name, runs, {"a.c:kernel": 800.0, "b.c:dispatch": 200.0})


def _now(value: float, fns=None) -> StatementCounts:
    return StatementCounts("relu.out", 0, (value, value), fns or {"a.c:kernel": 800.0,
                                                                 "b.c:dispatch": 200.0})


def test_tolerance_is_the_floor_unless_the_baseline_spreads_more():
    assert _entry().tolerance == MIN_REL_TOL  # spread 1e-3: the 1% floor decides
    wide = _entry(runs=((1000.0, 1030.0), (1000.0, 1000.0)))
    assert wide.spread == pytest.approx(0.03) and wide.tolerance > 0.03


def test_decide_regression_names_the_function_that_grew():
    v = decide(_entry(), _now(1040.0, {"a.c:kernel": 840.0, "b.c:dispatch": 200.0}))
    assert v.status == "regression" and v.change == pytest.approx(1.04, rel=1e-3)
    assert v.functions == (("a.c:kernel", 40.0),)  # bit-exact: 840 - 800
    assert decide(_entry(), _now(1005.0)).status == "ok"  # 0.5% is inside 1%
    assert decide(_entry(), _now(950.0)).status == "improvement"


def test_baseline_round_trips_through_the_validating_loader(tmp_path):
    stmts = tuple(StatementCounts("relu.out", i, (1000.0 + i, 1001.0), {"a.c:f": 9.0})
                  for i in (2, 0, 1))  # fmt: skip
    base = baseline_from_runs(CountRun(stmts, dict(FP), 1.0), "cnnbench gate counts")
    path = tmp_path / "c.json"
    base.save(path)
    again = CountsBaseline.from_json(load_counts_baseline(path, known=COUNT_NAMES))
    runs = ((1000.0, 1001.0), (1001.0, 1001.0), (1002.0, 1001.0))
    assert again.entry("relu.out").runs == runs  # bit-exact: integers through JSON
    assert again.fingerprint == FP


def test_fingerprint_differences_name_each_key():
    assert fingerprint_differences(FP, dict(FP)) == []
    assert fingerprint_differences(FP, {**FP, "valgrind": "3.22.0"}) == [
        "valgrind: '3.19.0' -> '3.22.0'"]


def test_the_committed_count_baseline_is_valid():
    data = load_counts_baseline(COUNTS_BASELINE_PATH, known=COUNT_NAMES)
    assert [e["name"] for e in data["entries"]] == list(COUNT_NAMES)
    assert data["fingerprint"]["cpu_capability"]


def _write(tmp_path, **changes) -> Path:
    d = {"schema": 1, "command": "t", "created": "t", "fingerprint": dict(FP), "number": 10,
         "repeats": 3, "entries": [{"name": "relu.out", "runs": [[1000.0, 1001.0]],
                                    "functions": {"a.c:f": 1.0}}]}  # fmt: skip
    d.update(changes)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(d))
    return path


@pytest.mark.parametrize("changes,message", [
    ({"entries": []}, "key 'entries': is []"),
    ({"schema": 7}, "key 'schema': is 7"),
    ({"fingerprint": {"torch": "2.13.0+cpu"}}, "fingerprint.cpu_capability"),
    ({"entries": [{"name": "relu.out", "runs": [[0.0]], "functions": {}}]}, "runs"),
    ({"entries": [{"name": "gelu.out", "runs": [[1.0]], "functions": {}}]}, "one of the gate's"),
])  # fmt: skip
def test_damaged_count_baseline_exits_2_before_counting(tmp_path, monkeypatch, changes, message):
    import cnnbench.bench.counts as counts

    monkeypatch.setattr(counts, "count", lambda *a, **k: pytest.fail("counted"))
    r = runner.invoke(app, ["gate", "counts", "--baseline", str(_write(tmp_path, **changes))])
    text = " ".join(r.output.split())
    assert r.exit_code == 2, text
    assert "`--baseline`" in text and message in text and "passed" not in text


def test_missing_count_baseline_exits_2_with_the_command(tmp_path):
    r = runner.invoke(app, ["gate", "counts", "--baseline", str(tmp_path / "none.json")])
    text = " ".join(r.output.split())
    assert r.exit_code == 2
    assert "does not exist; make one with `cnnbench gate counts --update-baseline`" in text


def test_count_baseline_of_another_fingerprint_exits_2(tmp_path, monkeypatch):
    import cnnbench.bench.counts_gate as cg

    monkeypatch.setattr(cg, "host_fingerprint", lambda: {**FP, "torch": "2.14.0+cpu"})
    r = runner.invoke(app, ["gate", "counts", "--baseline", str(_write(tmp_path))])
    text = " ".join(r.output.split())
    assert r.exit_code == 2
    assert "torch: '2.13.0+cpu' -> '2.14.0+cpu'" in text
    assert "never compared across fingerprints" in text


@pytest.mark.parametrize("args,message", [
    (["--inject", "relu.out=lots"], "`--inject`='relu.out=lots' must be NAME=FRACTION"),
    (["--only", "gelu.out"], "`--only`='gelu.out' is not a counted statement"),
    (["--runs", "0"], "--runs"),
    (["--if-missing", "maybe"], "`--if-missing`='maybe' must be one of fail, measure"),
])  # fmt: skip
def test_count_gate_usage_errors_exit_2(args, message):
    r = runner.invoke(app, ["gate", "counts", *args])
    assert r.exit_code == 2 and message in " ".join(r.output.split())


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs Debian's valgrind")
def test_counting_twice_gives_the_same_counts():
    from cnnbench.bench.counts import count

    run = count(["relu.out"], [{}, {}, {"relu.out": 0.05}], processes=2)  # 0 and 2 share one
    a, b, c = (s.per_call for s in run.statements)
    assert run.seen["entropy"] == "fixed"
    assert a == b  # bit-exact: two processes, same instructions (fixed entropy stream)
    assert 1.03 < c[-1] / a[-1] < 1.06  # 5% more elements: a little under 5% more instructions


_DRAW = "import os, random; print(os.urandom(16).hex(), random.random())"


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler (cc)")
def test_the_entropy_shim_makes_every_process_draw_the_same_stream(tmp_path):
    """The oracle is the interpreter itself: two processes with the shim draw the same
    bytes and the same Random() state; without it they do not."""
    import subprocess
    import sys

    from cnnbench.bench.counts_env import build_entropy_shim, child_env

    lib, why = build_entropy_shim(tmp_path)
    assert lib is not None, why

    def draw(env):
        return subprocess.run([sys.executable, "-c", _DRAW], env=env, capture_output=True,
                              text=True, check=True).stdout  # fmt: skip

    fixed = [draw(child_env(lib)) for _ in range(2)]
    system = [draw(child_env(None)) for _ in range(2)]
    assert fixed[0] == fixed[1] and system[0] != system[1]
    probe = "import ctypes; print(hasattr(ctypes.CDLL(None), 'cnnbench_fixed_entropy'))"
    out = subprocess.run([sys.executable, "-c", probe], env=child_env(lib), capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    assert out.strip() == "True"


def test_without_a_compiler_the_shim_says_why(tmp_path, monkeypatch):
    from cnnbench.bench.counts_env import build_entropy_shim

    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    lib, why = build_entropy_shim(tmp_path)
    assert lib is None and "no-such-cc" in why
    assert list(tmp_path.iterdir()) == []  # no half-built library left behind


def test_trials_spread_over_processes_come_back_in_trial_order(monkeypatch):
    """Each trial is counted by exactly one process, several run at once, and the
    statements come back numbered by the caller's trial (not the process's)."""
    import threading

    import cnnbench.bench.counts as counts

    calls, lock = [], threading.Lock()

    def fake(names, trials, number, repeats, dropped, preload):
        assert preload is None or preload.exists()  # one shim, built before the processes
        with lock:
            calls.append([t.get("tag") for t in trials])
        got = [StatementCounts(n, i, (float(t["tag"]),), {}) for i, t in enumerate(trials)
               for n in names]  # fmt: skip
        return got, {"cpu_capability": "AVX2"}

    monkeypatch.setattr(counts, "_one_process", fake)
    monkeypatch.setattr(counts, "missing_tools", lambda: [])
    plan = [{"tag": k} for k in range(7)]
    run = counts.count(["a", "b"], plan, processes=3, concurrent=2)
    assert sorted(t for c in calls for t in c) == list(range(7))  # each trial once
    assert len(calls) == 3
    assert [(s.trial, s.name) for s in run.statements] == [
        (k, n) for k in range(7) for n in ("a", "b")]  # fmt: skip
    assert all(s.per_call == (float(s.trial),) for s in run.statements)


def _fake_count(monkeypatch, capability="AVX2", error=None):
    import cnnbench.bench.counts as counts

    def fake(names, trials, **_):
        if error:
            raise counts.CountsError(error)
        return CountRun(tuple(StatementCounts(n, 0, (1000.0, 1000.0), {}) for n in names),
                        {**FP, "cpu_capability": capability}, 1.0)  # fmt: skip

    monkeypatch.setattr(counts, "count", fake)
    monkeypatch.setattr(counts, "missing_tools", lambda: [])
    import cnnbench.bench.counts_gate as cg

    monkeypatch.setattr(cg, "host_fingerprint", lambda: dict(FP))


def test_count_gate_passes_on_equal_counts_and_refuses_another_capability(tmp_path, monkeypatch):
    _fake_count(monkeypatch)
    only = ["--only", "relu.out", "--baseline", str(_write(tmp_path))]
    r = runner.invoke(app, ["gate", "counts", *only])
    assert r.exit_code == 0 and "count gate passed" in r.output, r.output
    r = runner.invoke(app, ["gate", "counts", "--baseline", str(_write(tmp_path))])
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and "has no count of sigmoid.out, tanh.out" in text
    _fake_count(monkeypatch, capability="AVX512")
    r = runner.invoke(app, ["gate", "counts", *only])
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and "counted with torch's AVX2 kernels, this run used AVX512" in text


def test_a_failed_counting_process_is_exit_2_not_a_regression(tmp_path, monkeypatch):
    _fake_count(monkeypatch, error="the counting process exited 3")
    r = runner.invoke(app, ["gate", "counts", "--only", "relu.out", "--baseline",
                            str(_write(tmp_path))])  # fmt: skip
    assert r.exit_code == 2
    assert "counting failed: the counting process exited 3" in " ".join(r.output.split())


def test_compile_sources_writes_a_missing_pyc_before_counting():
    """A counting process that compiles a module on import starts from another heap."""
    import importlib.util

    import cnnbench.bench.counts_spec as spec_module
    from cnnbench.bench.counts_env import compile_sources

    pyc = Path(importlib.util.cache_from_source(spec_module.__file__))
    pyc.unlink(missing_ok=True)
    compile_sources()
    assert pyc.exists()
