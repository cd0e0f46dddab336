"""`cnnbench bench`: usage errors (exit 2), a real tiny run, Ctrl-C keeps what finished."""

from __future__ import annotations

import pytest
import torch
from typer.testing import CliRunner

import bench.sweep as sweep_mod
from bench.harness import Measurement
from bench.roofline import Ceilings
from bench.sweep import done_keys, read_records
from reports.cli import app

runner = CliRunner()
CEIL = Ceilings("cpu", {"dram": 10e9, "cache": 50e9}, {"float32": 100e9, "bfloat16": 5e9})
ONE = r"^activation/relu/eager/forward/alloc/float32/cpu/contiguous/1M/"


@pytest.mark.skipif(torch.cuda.is_available(), reason="message is for machines without CUDA")
def test_cuda_without_cuda_exits_2(tmp_path):
    r = runner.invoke(app, ["bench", "--device", "cuda", "--out", str(tmp_path / "r.jsonl")])
    assert r.exit_code == 2
    assert "`device`='cuda' needs CUDA, but torch.cuda.is_available() is False" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "long"], "`profile`='long' must be one of 'short', 'full'"),
        (["--device", "tpu"], "`device`='tpu' must be one of 'cpu', 'cuda'"),
        (["--filter", "("], "`filter`='(' must be a valid regular expression"),
        (["--filter", "no-such-workload"], "`--filter`='no-such-workload' matches no workload"),
        (["--threads", "0"], "`threads`=0 must be a positive integer"),
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
