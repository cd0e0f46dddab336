"""A real Dask cluster: `dask scheduler` and two `dask worker` processes on 127.0.0.1.

The slow test starts them as a user does (README, "More than one machine"),
runs claims and a tiny sweep through them, kills a worker mid-run and then the
last one, all bounded in time and stopped at the end. The smoke test in the
default run uses an in-process LocalCluster: the same executor, no processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cnnbench.analysis.claims import all_claims, run_claims, select_claims
from cnnbench.analysis.claims._plan import claim_task, run_claims_on
from cnnbench.bench.executors import ExecutorLost

distributed = pytest.importorskip("distributed")
from cnnbench.bench.executors_dask import ClusterUnavailable, DaskExecutor  # noqa: E402

DASK = Path(sys.executable).with_name("dask")
START_S = 90  # scheduler up and both workers connected, on a loaded 2-core machine
FAST = r"^receptive\.|^shapes\.eq"


def _verdicts(results) -> list[tuple]:
    return [(r.claim.id, r.result.verdict, r.result.method, dict(r.result.evidence))
            for r in results]  # fmt: skip


def _wait_for(cond, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise TimeoutError(f"{what} within {timeout} s")
        time.sleep(0.2)


@contextlib.contextmanager
def real_cluster(tmp: Path, n: int = 2, resources: str = "BENCH=1"):
    """(address, worker processes); every process stopped on the way out."""
    env = {**os.environ, "CNNBENCH_LOCK_DIR": str(tmp), "CNNBENCH_MACHINE": "test-box",
           "OMP_NUM_THREADS": "1", "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}  # fmt: skip
    log = open(tmp / "cluster.log", "w")
    procs: list[subprocess.Popen] = []
    try:
        sched_file = tmp / "scheduler.json"
        procs.append(subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                       "--no-dashboard", "--scheduler-file", sched_file],
                                      env=env, stdout=log, stderr=log))  # fmt: skip
        _wait_for(lambda: sched_file.is_file() and sched_file.stat().st_size, START_S,
                  "the scheduler did not write its address")  # fmt: skip
        address = json.loads(sched_file.read_text())["address"]
        workers = [subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-nanny",
                                     "--no-dashboard", "--name", f"w{i}", "--resources",
                                     resources, "--host", "127.0.0.1"],
                                    env=env, stdout=log, stderr=log) for i in range(n)]  # fmt: skip
        procs += workers
        with distributed.Client(address, timeout=START_S) as client:
            client.wait_for_workers(n, timeout=START_S)
        yield address, workers
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        log.close()


@pytest.mark.slow
def test_real_cluster_verdicts_sweep_and_a_killed_worker(tmp_path):
    from cnnbench.reports.cli import app
    from typer.testing import CliRunner

    claims = select_claims(all_claims(), FAST)
    serial = _verdicts(run_claims(claims))
    t0 = time.monotonic()
    with real_cluster(tmp_path) as (address, workers):
        # 1. claims: the serial verdicts; one worker killed after the first results
        killed: list[int] = []

        def kill_one(done: int, total: int, name: str) -> None:
            if done == 2 and not killed:
                workers[0].kill()
                killed.append(workers[0].pid)

        with DaskExecutor(address, lost_after=20) as ex:
            out = run_claims_on(ex, claims, progress=kill_one)
        assert killed and workers[0].wait(timeout=10) is not None
        assert out.missing == () and _verdicts(out.results) == serial

        # 2. a tiny sweep on the survivor: a result row per workload, where it ran
        bench = tmp_path / "bench.jsonl"
        r = CliRunner().invoke(app, ["bench", "--scheduler", address, "--filter",
                                     r"^activation/(relu|sigmoid)/eager/forward/alloc/float32/"
                                     r"cpu/contiguous/1M/", "--budget", "0.5", "--quiet",
                                     "--out", str(bench)])  # fmt: skip
        assert r.exit_code == 0, r.output
        rows = [json.loads(line) for line in bench.read_text().splitlines()]
        results = [x for x in rows if x["type"] == "result"]
        assert len(results) == 2 and len({x["workload"]["key"] for x in results}) == 2
        for x in results:
            assert x["where"]["host"] == platform.node() and x["where"]["machine"] == "test-box"
            assert x["where"]["worker"].startswith("tcp://127.0.0.1:")
        headers = [x for x in rows if x["type"] == "header"]
        assert len(headers) == 1 and headers[0]["ceilings"]  # measured on the worker

        # 3. the last worker killed mid-run: what finished is kept, the rest is named
        with DaskExecutor(address, lost_after=5) as ex:
            def kill_last(done: int, total: int, name: str) -> None:
                if done == 1:
                    workers[1].kill()

            out = run_claims_on(ex, claims, progress=kill_last)
        assert len(out.results) >= 1 and out.missing
        assert len(out.results) + len(out.missing) == len(claims)
        assert "could run the remaining tasks" in out.reason
        for r in out.results:  # the finished ones are the serial results
            assert _verdicts([r])[0] in serial
    assert time.monotonic() - t0 < 600


def test_local_cluster_smoke(tmp_path):
    """The Dask executor on an in-process cluster: serial verdicts, and a resource that no
    worker offers ends the run naming the task instead of waiting forever."""
    claims = select_claims(all_claims(), r"^receptive\.")[:2]
    serial = _verdicts(run_claims(claims))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None, scheduler_port=0) as lc:  # fmt: skip
        with DaskExecutor(lc.scheduler_address, lost_after=1) as ex:
            out = run_claims_on(ex, claims)
            assert _verdicts(out.results) == serial
            ex.submit("claim:needs-gpu", claim_task, claims[0].id, resources={"GPU": 1})
            with pytest.raises(ExecutorLost, match="none with the resources") as info:
                ex.next_done()
            assert info.value.missing == ("claim:needs-gpu",)


def test_no_scheduler_is_a_clear_error():
    with pytest.raises(ClusterUnavailable) as info:
        DaskExecutor("tcp://127.0.0.1:9", connect_timeout=1)
    assert "no Dask scheduler answered at tcp://127.0.0.1:9 within 1 s" in str(info.value)


def test_cli_unreachable_scheduler_is_exit_2(monkeypatch):
    import cnnbench.bench.executors_dask as ed
    from cnnbench.reports.cli import app
    from typer.testing import CliRunner

    monkeypatch.setattr(ed, "CONNECT_TIMEOUT_S", 1)
    r = CliRunner().invoke(app, ["check", "--only", "^receptive", "--scheduler",
                                 "tcp://127.0.0.1:9"])  # fmt: skip
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert "`--scheduler`='tcp://127.0.0.1:9' no Dask scheduler answered" in text


def test_cli_bench_without_a_bench_worker_is_exit_2(tmp_path):
    from cnnbench.reports.cli import app
    from typer.testing import CliRunner

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None, scheduler_port=0, protocol="tcp",
                                  host="127.0.0.1") as lc:  # fmt: skip
        r = CliRunner().invoke(app, ["bench", "--scheduler", lc.scheduler_address, "--filter",
                                     "^activation/relu/eager/forward/alloc/float32/cpu/",
                                     "--out", str(tmp_path / "b.jsonl")])  # fmt: skip
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert "has 1 worker(s), none with the resource BENCH=1 that timing needs" in text
    assert "--nthreads 1 --resources BENCH=1" in text
    assert not (tmp_path / "b.jsonl").exists()
