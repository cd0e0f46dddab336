"""Two real processes writing one results file: no row lost, the second refuses.

issue 15: a second `bench --out F` started while the first ran deleted the
first's header and finished rows, and both exited 0.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

N_WORKLOADS = 24
SECONDS_PER_WORKLOAD = 0.05
# Writer A holds its first workload until the test releases it (after B has tried), so
# the race is decided by the test, not by how busy the machine is.

WRITER_A = f"""
import sys, time
from pathlib import Path
from cnnbench.bench.harness import Measurement
from cnnbench.bench.roofline import Ceilings
from cnnbench.bench.sweep import run_sweep
from cnnbench.bench.workloads import Prepared, all_workloads

release = Path(sys.argv[2])

def measure(p):
    end = time.monotonic() + 120
    while not release.exists() and time.monotonic() < end:
        time.sleep(0.05)
    time.sleep({SECONDS_PER_WORKLOAD})
    return Measurement((1e-3, 1e-3, 1e-3), 1, "converged", 1, "fake")

ceil = Ceilings("cpu", {{"dram": 10e9, "cache": 50e9}}, {{"float32": 100e9, "bfloat16": 5e9}})
o = run_sweep(all_workloads("short", "cpu")[:{N_WORKLOADS}], Path(sys.argv[1]), ceilings=ceil,
              measure_fn=measure, prepare_fn=lambda w: Prepared(w, lambda: None, 0.0, "fake"),
              command="writer A")
print(len(o.done))
"""


def _wait_for_header(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and b'"type": "header"' in path.read_bytes():
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("writer A wrote no header")


def test_second_writer_refuses_and_no_row_is_lost(tmp_path):
    out = tmp_path / "bench.jsonl"
    release = tmp_path / "release"
    a = subprocess.Popen([sys.executable, "-c", WRITER_A, str(out), str(release)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        _wait_for_header(out, a)
        # the most destructive second writer: --force would replace the file
        b = subprocess.run([str(Path(sys.executable).with_name("cnnbench")), "bench", "--force",
                            "--filter", "^activation/relu/", "--out", str(out)],
                           capture_output=True, text=True, timeout=120)  # fmt: skip
        assert a.poll() is None, "writer A finished before B tried: the test proves nothing"
    finally:
        release.touch()
        a_out, a_err = a.communicate(timeout=120)
    assert b.returncode == 2, (b.stdout, b.stderr)
    refusal = " ".join((b.stdout + b.stderr).split())
    assert f"another run is writing it (pid {a.pid}" in refusal and "writer A" in refusal
    assert str(out) in refusal and "Traceback" not in refusal
    assert a.returncode == 0, a_err
    assert a_out.split()[-1] == str(N_WORKLOADS)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["type"] for r in rows].count("header") == 1
    keys = [r["workload"]["key"] for r in rows if r["type"] == "result"]
    assert len(keys) == len(set(keys)) == N_WORKLOADS  # no row lost, none twice
    assert not out.with_name("bench.jsonl.lock").exists()
    print(f"writer B refused while A held the file: {refusal[:160]}...")
