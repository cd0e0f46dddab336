"""`cnnbench bench`: usage errors (exit 2), a real tiny run, Ctrl-C keeps what finished."""

from __future__ import annotations

import json
from pathlib import Path

import cnnbench.bench.sweep as sweep_mod
import pytest
import torch
from cnnbench.bench.harness import Measurement
from cnnbench.bench.roofline import Ceilings
from cnnbench.bench.sweep import done_keys, read_records
from cnnbench.reports.cli import app
from typer.testing import CliRunner

runner = CliRunner()
CEIL = Ceilings("cpu", {"dram": 10e9, "cache": 50e9}, {"float32": 100e9, "bfloat16": 5e9})
ONE = r"^activation/relu/eager/forward/alloc/float32/cpu/contiguous/1M/"


@pytest.mark.skipif(torch.cuda.is_available(), reason="message is for machines without CUDA")
def test_cuda_without_cuda_exits_2(tmp_path):
    r = runner.invoke(app, ["bench", "--device", "cuda", "--out", str(tmp_path / "r.jsonl")])
    assert r.exit_code == 2
    assert "`--device`='cuda' needs CUDA, but torch.cuda.is_available() is False" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "long"], "`--profile`='long' must be one of 'short', 'full'"),
        (["--device", "tpu"], "`--device`='tpu' must be one of 'cpu', 'cuda'"),
        (["--filter", "("], "`--filter`='(' must be a valid regular expression"),
        (["--filter", "no-such-workload"], "`--filter`='no-such-workload' matches no workload"),
        (["--threads", "0"], "`--threads`=0 must be in [1, "),
        (["--threads", "100000"], "`--threads`=100000 must be in [1, "),
        (["--budget", "0"], "`--budget`=0.0 must be in [0.001, 60]"),
        (["--budget", "1e9"], "`--budget`=1000000000.0 must be in [0.001, 60]"),
        (["--budget", "nan"], "`--budget`=nan must be in [0.001, 60]"),
        (["--resume", "--force"], "`--force`=True cannot go with --resume"),
    ],
)
def test_usage_errors_exit_2(args, message, tmp_path):
    r = runner.invoke(app, ["bench", *args, "--out", str(tmp_path / "r.jsonl")])
    assert r.exit_code == 2, r.output
    assert message in " ".join(r.output.split())


def test_bad_profile_env_exits_2(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNBENCH_PROFILE", "huge")
    r = runner.invoke(app, ["bench", "--list"])
    assert r.exit_code == 2
    assert "`$CNNBENCH_PROFILE`='huge' must be one of 'short', 'full'" in r.output


def test_list_prints_selected_keys():
    r = runner.invoke(app, ["bench", "--list", "--filter", r"alexnet/conv1/"])
    assert r.exit_code == 0
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    # 3 directions x 2 layouts, plus the NCHW -> channels_last conversion of its input
    assert len(lines) == 7 and all("alexnet/conv1" in ln for ln in lines)


def test_real_run_writes_header_results_and_table(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep_mod, "measure_ceilings", lambda device: CEIL)
    out = tmp_path / "r.jsonl"
    r = runner.invoke(app, ["bench", "--filter", ONE, "--out", str(out), "--budget", "0.05",
                            "--threads", "1"])  # fmt: skip
    assert r.exit_code == 0, r.output
    recs = read_records(out)
    assert recs[0]["type"] == "header" and recs[0]["machine"]["torch"] == torch.__version__
    assert recs[0]["threads"] == 1 and "flush_denormal" in recs[0]["machine"]["flags"]
    (res,) = [x for x in recs if x["type"] == "result"]
    pct = f"{res['roofline']['fraction']:.0%}"
    assert "relu forward (cpu)" in r.output and pct in r.output
    assert "1 timed, 0 already done, 0 failed" in r.output


def test_ctrl_c_keeps_finished_and_resume_finishes(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep_mod, "measure_ceilings", lambda device: CEIL)
    calls = []

    def fake_default_measure(config, threads):
        def run(p):
            calls.append(p.workload.key)
            if len(calls) == 2:
                raise KeyboardInterrupt
            return Measurement((1e-3, 1e-3, 1e-3), 1, "converged", 1, "fake")

        return run

    monkeypatch.setattr(sweep_mod, "default_measure", fake_default_measure)
    out = tmp_path / "r.jsonl"
    filt = r"^conv/.*/mnist_bilici/cnn1/"
    r = runner.invoke(app, ["bench", "--filter", filt, "--out", str(out)])
    assert r.exit_code == 130
    assert "interrupted: kept 1 finished workloads" in " ".join(r.output.split())
    assert len(done_keys(out)) == 1
    r2 = runner.invoke(app, ["bench", "--filter", filt, "--out", str(out), "--resume", "-q"])
    assert r2.exit_code == 0, r2.output
    assert "5 timed, 1 already done" in r2.output
    assert len(done_keys(out)) == 6


def test_bench_and_report_share_one_default_results_file():
    # issue 15: bench wrote results/bench.jsonl while report read reports/out/bench.jsonl
    import inspect

    from cnnbench.bench.sweep import DEFAULT_OUT
    from cnnbench.reports.cli import bench as bench_cmd
    from cnnbench.reports.cli import report as report_cmd

    report_default = inspect.signature(report_cmd.report).parameters["bench_jsonl"].default
    bench_default = inspect.signature(bench_cmd.bench).parameters["out"].default
    assert bench_default == report_default == DEFAULT_OUT == Path("reports/out/bench.jsonl")


def test_an_existing_out_is_refused_before_anything_runs(tmp_path):
    # issue 15: bench deleted an existing --out (even a check.json) without a word
    out = tmp_path / "check.json"
    out.write_text('[{"id": "x"}]\n')
    r = runner.invoke(app, ["bench", "--filter", ONE, "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert "already exists: pass --resume to continue it, --force to replace it" in " ".join(
        r.output.split())
    assert out.read_text() == '[{"id": "x"}]\n'
    r = runner.invoke(app, ["bench", "--filter", ONE, "--out", str(out), "--resume"])
    assert r.exit_code == 2 and "line 1" in r.output, r.output
    assert out.read_text() == '[{"id": "x"}]\n'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x00\xff\x00binary", "is not UTF-8 text"),
        (b'{"type": "header"}\n', "line 1, key 'schema': is missing"),
        (b'{"type": "result", "run_id": "x"}\n', "line 1, key 'workload': is missing"),
        (b"[1, 2]\n", "line 1, key 'type'"),
        (b'{"type": "header", "schema": NaN}\n', "line 1: is not valid JSON"),
        (b'{"type": "head', "holds no complete record (line 1 is torn"),
    ],
    ids=["empty", "binary", "header-without-keys", "result-first", "not-an-object", "nan",
         "only-torn"],
)
def test_show_on_a_damaged_file_exits_2_naming_it(tmp_path, content, message):
    out = tmp_path / "r.jsonl"
    out.write_bytes(content)
    r = runner.invoke(app, ["bench", "--show", "--out", str(out)])
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert "`--out`:" in text and message in text and "Traceback" not in text
    assert out.read_bytes() == content


def test_resume_after_a_torn_line_via_the_command(tmp_path, monkeypatch):
    # acceptance (issue 15): every complete row kept once, the torn workload re-run,
    # no unreadable line left
    monkeypatch.setattr(sweep_mod, "measure_ceilings", lambda device: CEIL)
    monkeypatch.setattr(sweep_mod, "default_measure", lambda config, threads: (
        lambda p: Measurement((1e-3, 1e-3, 1e-3), 1, "converged", 1, "fake")))
    out = tmp_path / "r.jsonl"
    filt = r"^conv/.*/mnist_bilici/cnn1/"
    assert runner.invoke(app, ["bench", "--filter", filt, "--out", str(out), "-q"]).exit_code == 0
    lines = out.read_text().splitlines(keepends=True)
    results = [json.loads(x) for x in lines if '"type": "result"' in x]
    torn = [*lines[:3], lines[3][:40]]  # header, 2 rows, the 3rd row cut mid-write
    out.write_text("".join(torn))
    r = runner.invoke(app, ["bench", "--filter", filt, "--out", str(out), "--resume", "-q"])
    assert r.exit_code == 0, r.output
    assert "line 4 was torn" in " ".join(r.output.split())
    assert f"{len(results) - 2} timed, 2 already done" in r.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]  # every line reads
    keys = [x["workload"]["key"] for x in rows if x["type"] == "result"]
    assert sorted(keys) == sorted(x["workload"]["key"] for x in results)  # each once
