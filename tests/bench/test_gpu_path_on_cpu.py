"""The GPU code paths run on CPU: Triton kernels under the interpreter, Inductor's C++
backend. Marked ``gpu_path``: `make test` lists each with its outcome, and a skip
fails them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from cnnbench.bench.triton_check import check_kernel

pytestmark = pytest.mark.gpu_path
HERE = Path(__file__).parent


def _run(args: list[str], interpret: bool) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("TRITON_INTERPRET", None)
    if interpret:
        env["TRITON_INTERPRET"] = "1"
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          timeout=300)  # fmt: skip


def test_triton_kernels_match_float64_under_the_interpreter():
    pytest.importorskip("triton", reason="the triton wheel is in the dev extra")
    done = _run(["-m", "cnnbench.bench.triton_check"], interpret=True)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for name in ("sigmoid_star", "regularized_relu", "rrelu"):
        assert any(ln.startswith(f"{name}: ok (Triton interpreter") for ln in lines), lines


def test_deliberately_wrong_triton_kernels_fail_the_check():
    pytest.importorskip("triton", reason="the triton wheel is in the dev extra")
    done = _run([str(HERE / "triton_wrong_kernels.py")], interpret=True)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert set(found) == {"sign", "mask", "float16"}
    assert all(len(p) == 3 for p in found.values()), found  # caught at every length
    assert all("never written (NaN)" in p for p in found["mask"])
    assert all("float64 reference" in p for p in found["sign"] + found["float16"])


def test_triton_check_without_gpu_or_interpreter_exits_2_and_says_why(monkeypatch, capsys):
    from cnnbench.bench import triton_check, triton_kernels

    monkeypatch.setattr(triton_kernels, "HAVE_TRITON", False)
    monkeypatch.setattr(triton_kernels, "INTERPRETED", False)
    assert triton_check.main() == 2
    assert "no CUDA and TRITON_INTERPRET is not 1" in capsys.readouterr().err


def test_inductor_cpu_compiled_out_matches_float64():
    from cnnbench.analysis.activations.registry import get_activation
    from cnnbench.bench.workloads_act import _compiled_out

    kernel = _compiled_out(get_activation("sigmoid_star").implementations["eager"])
    assert check_kernel("sigmoid_star", kernel, lengths=(3077,)) == []


def test_inductor_cpu_deliberately_wrong_graph_fails_the_check():
    from cnnbench.bench.workloads_act import _compiled_out

    kernel = _compiled_out(lambda x: 4 * torch.sigmoid(x) - 2.001)  # a constant slip
    (problem,) = check_kernel("sigmoid_star", kernel, lengths=(3077,))
    assert "float64 reference" in problem and "|err| 0.001" in problem


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA present: the steps run")
def test_gpu_check_completes_on_cpu_with_every_cuda_step_skipped_and_why(tmp_path, capsys):
    from cnnbench.bench import gpu_check

    assert gpu_check.main(["--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    status = {s["name"]: (s["status"], s["reason"]) for s in summary["steps"]}
    assert status.pop("triton-kernels") == ("passed", "")  # through the interpreter
    assert set(status) == {"gpu-tests", "cuda-sweep", "harness-crosscheck", "asv-cuda-smoke"}
    for state, reason in status.values():
        assert state == "skipped" and reason.startswith("no CUDA: torch.cuda.is_available()")
    assert "5 of 5 steps passed or skipped" in capsys.readouterr().out


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA present: it runs")
def test_gpu_crosscheck_without_cuda_exits_2_and_says_why(capsys):
    from cnnbench.bench import gpu_crosscheck

    assert gpu_crosscheck.main([]) == 2
    assert "skipped: no CUDA" in capsys.readouterr().err
