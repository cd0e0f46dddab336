"""A sweep whose workloads are timed by the workers of a cluster (``bench --scheduler``).

Timing is never done concurrently on one device. Each workload is one task
that needs a device of its own: the resource ``BENCH=1`` (a CPU host) or
``GPU=1`` (one GPU), which the scheduler hands to one task at a time per
worker; start one ``BENCH`` worker per host and one ``GPU`` worker per GPU
(README, "More than one machine"). On top of that, :func:`bench_task` holds
the host's lock for the device (:func:`cnnbench.bench.where.device_lock`)
while it times, so two workers started on one host by mistake take turns.

The results file stays what :mod:`cnnbench.bench.sweep` writes, one run per
worker machine: the first result from a machine brings a ``header`` record
with *that* machine's description and ceilings (measured there, once per
worker process), and each ``result`` names its host, device and machine
(``where``). Records are appended and fsynced as they arrive, so Ctrl-C or a
lost worker keeps every finished workload (``--resume`` runs the rest).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from cnnbench.bench.harness import HarnessConfig
from cnnbench.bench.loaders_bench import load_bench_results
from cnnbench.bench.results_io import JsonlAppender, WriteLock
from cnnbench.bench.sweep import (
    SWEEP_CONFIG,
    SweepOutcome,
    _run_one,
    default_measure,
    header_record,
)
from cnnbench.bench.sweep_files import open_results

_CEILINGS: dict[str, object] = {}  # device -> Ceilings, measured once per worker process


def resource_for(device: str) -> dict[str, float]:
    """The worker resource a timing task on ``device`` holds: ``GPU`` or ``BENCH``."""
    return {"GPU": 1} if device == "cuda" else {"BENCH": 1}


def _worker_address() -> str | None:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return None


def bench_task(w, device: str, threads: int | None, config: HarnessConfig,
               flags: dict) -> dict:  # fmt: skip
    """On a worker: this machine's ceilings (first task only), then ``w`` timed, all under
    the device lock. Returns the record, where it ran, and the machine's description."""
    import torch
    from cnnbench.bench.machine import llc_bytes, machine_info, set_flags
    from cnnbench.bench.roofline import measure_ceilings
    from cnnbench.bench.where import device_id, device_lock, where
    from cnnbench.bench.workloads import prepare

    old = torch.get_num_threads()
    try:
        with device_lock(device):
            if threads is not None:
                torch.set_num_threads(threads)
            set_flags(**flags)
            if device not in _CEILINGS:
                _CEILINGS[device] = measure_ceilings(device)
            ceil = _CEILINGS[device]
            record = _run_one(w, "", prepare, default_measure(config, threads), ceil, llc_bytes())
            info = machine_info()
    finally:
        torch.set_num_threads(old)
    place = where(device, _worker_address())
    record["where"] = place
    key = f"{place['machine']}|{place['host']}|{device_id(device)}"
    return {"record": record, "machine_key": key, "machine": info, "where": place,
            "ceilings": ceil.to_json()}  # fmt: skip


def run_sweep_on(executor, workloads, out: Path, *, profile: str = "short", device: str = "cpu",
                 threads: int | None = None, resume: bool = False, force: bool = False,
                 config: HarnessConfig = SWEEP_CONFIG, flags: dict | None = None,
                 progress=None, notice=lambda _: None, command: str | None = None,
                 ) -> tuple[SweepOutcome, tuple[str, ...], str]:  # fmt: skip
    """Time ``workloads`` on ``executor``'s workers; append each record as it arrives.

    Returns the outcome, the keys that could not finish (workers lost) and why.
    """
    t0 = time.perf_counter()
    out = Path(out)
    flags = flags or {"flush_denormal": False, "cudnn_benchmark": True, "tf32": False}
    run_id = uuid.uuid4().hex[:12]
    items = tuple(workloads)
    with WriteLock(out, command):
        probe = _probe_header(out, run_id, profile, device, threads, config, len(items))
        already = open_results(out, resume=resume, force=force, header=probe, notice=notice)
        todo = [w for w in items if w.key not in already]
        skipped = tuple(w.key for w in items if w.key in already)
        for w in todo:
            executor.submit(f"bench:{w.key}", bench_task, w, device, threads, config, flags,
                            resources=resource_for(device))  # fmt: skip
        done, failed, missing, reason, interrupted = [], [], (), "", False
        headers: dict[str, str] = {}
        with JsonlAppender(out) as sink:
            try:
                while executor.pending:
                    d = executor.next_done()
                    key = d.key.split(":", 1)[1]
                    if d.error is not None:
                        failed.append(key)
                        notice(f"{key}: the task crashed on the cluster: {d.error!r}")
                    else:
                        _write(sink, d.value, headers, run_id, profile, device, threads,
                               config, len(items))  # fmt: skip
                        (done if d.value["record"]["type"] == "result" else failed).append(key)
                    if progress is not None:
                        progress(len(done) + len(failed), len(todo), key)
            except KeyboardInterrupt:
                executor.close(cancel=True)
                interrupted = True
            except Exception as exc:
                if not hasattr(exc, "missing"):  # ExecutorLost: the workers are gone
                    raise
                missing, reason = tuple(k.split(":", 1)[1] for k in exc.missing), str(exc)
    outcome = SweepOutcome(out, run_id, tuple(done), skipped, tuple(failed), interrupted,
                           time.perf_counter() - t0)  # fmt: skip
    return outcome, missing, reason


def _write(sink, value, headers, run_id, profile, device, threads, config, total) -> None:
    """Append the task's record, after a header for its machine if it is the first."""
    mk = value["machine_key"]
    if mk not in headers:
        headers[mk] = f"{run_id}-{len(headers) + 1}"
        head = header_record(headers[mk], profile, device, threads, config, None, total)
        head.update(machine=value["machine"], where=value["where"], ceilings=value["ceilings"])
        sink.append(head)
    sink.append({**value["record"], "run_id": headers[mk]})


def _probe_header(out, run_id, profile, device, threads, config, total) -> dict:
    """The header to compare an existing file's settings with on --resume: what this command
    sets (profile, device, threads, harness), the machine as the file recorded it (the
    workers' machines are known only once they answer)."""
    head = header_record(run_id, profile, device, threads, config, None, total)
    if out.is_file() and out.stat().st_size:
        found = load_bench_results(out, allow_empty=True)
        if found.headers:
            last = found.headers[-1]
            head["machine"] = {**last.get("machine", {}), "flags": {
                **(last.get("machine") or {}).get("flags", {}),
                **({"num_threads": threads} if threads is not None else {})}}  # fmt: skip
    return head
