"""Run a grid of workloads outside asv, appending each result as it finishes.

The results file is JSON Lines: a ``header`` record per run (machine,
libraries, flags, harness settings, the ceilings measured at its start), then
one ``result`` (or ``error``) record per workload, written and fsynced as soon
as the workload finishes, so an interrupted run keeps everything it finished
and ``resume=True`` skips it next time. While a run writes the file it holds
its lock (a second writer refuses); an existing file is replaced only with
``force=True`` (see :mod:`cnnbench.bench.sweep_files` for resuming).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from cnnbench.bench.harness import HarnessConfig, Measurement, measure, measure_cuda
from cnnbench.bench.loaders_bench import BENCH_SCHEMA, load_bench_results
from cnnbench.bench.machine import llc_bytes, machine_info, set_flags
from cnnbench.bench.results_io import JsonlAppender, WriteLock
from cnnbench.bench.roofline import Ceilings, assess, measure_ceilings
from cnnbench.bench.sweep_files import open_results
from cnnbench.bench.where import where
from cnnbench.bench.workloads import Prepared, Workload, WorkloadError, prepare

SCHEMA = BENCH_SCHEMA
# The one default results file: `cnnbench bench` writes it and `cnnbench report` reads it.
DEFAULT_OUT = Path("reports/out/bench.jsonl")
# Per-workload sampling: ±2% CI of the median or 0.5 s of samples, whichever first.
SWEEP_CONFIG = HarnessConfig(target_rel_ci=0.02, budget_s=0.5, warmup_s=0.05, min_samples=7)

MeasureFn = Callable[[Prepared], Measurement]
ProgressFn = Callable[[int, int, Workload, dict | None], None]


@dataclass(frozen=True)
class SweepOutcome:
    """What a sweep did: keys timed now, skipped as already done, failed."""

    out: Path
    run_id: str
    done: tuple[str, ...]
    skipped: tuple[str, ...]
    failed: tuple[str, ...]
    interrupted: bool
    seconds: float


def read_records(path: Path) -> list[dict]:
    """Every complete record of a results file, validated (a torn last line is left out;
    a missing file has none). Raises :class:`cnnbench.bench.results_io.ResultsFileError`."""
    if not Path(path).exists():
        return []
    return list(load_bench_results(path, allow_empty=True).records)


def done_keys(path: Path) -> set[str]:
    return {r["workload"]["key"] for r in read_records(path) if r.get("type") == "result"}


def default_measure(config: HarnessConfig, threads: int | None) -> MeasureFn:
    def run(p: Prepared) -> Measurement:
        if p.workload.device == "cuda":
            return measure_cuda(p.fn, config, setup=p.setup)
        return measure(p.fn, config, threads=threads, setup=p.setup)

    return run


def header_record(run_id: str, profile: str, device: str, threads: int | None,
                  config: HarnessConfig, ceilings: Ceilings | None,
                  total: int) -> dict:  # fmt: skip
    return {
        "type": "header",
        "schema": SCHEMA,
        "run_id": run_id,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": profile,
        "device": device,
        "threads": threads,
        "workloads": total,
        "harness": asdict(config),
        "machine": machine_info(),
        "ceilings": None if ceilings is None else ceilings.to_json(),
    }


def run_sweep(
    workloads: Iterable[Workload],
    out: Path = DEFAULT_OUT,
    *,
    profile: str = "short",
    device: str = "cpu",
    threads: int | None = None,
    resume: bool = False,
    force: bool = False,
    config: HarnessConfig = SWEEP_CONFIG,
    ceilings: Ceilings | None = None,
    measure_fn: MeasureFn | None = None,
    prepare_fn: Callable[[Workload], Prepared] = prepare,
    progress: ProgressFn | None = None,
    flush_denormal: bool = False,
    cudnn_benchmark: bool = True,
    tf32: bool = False,
    remeasure_ceilings: bool = True,
    notice: Callable[[str], None] = lambda _: None,
    command: str | None = None,
) -> SweepOutcome:
    """Time ``workloads`` in order, appending a record to ``out`` after each.

    ``out`` is locked for the whole run (:class:`~cnnbench.bench.results_io.FileLockedError`
    if another run holds it). An existing ``out`` is refused unless ``resume``
    (continue it: same settings required, a torn last line is cut off and
    ``notice`` says so) or ``force`` (replace it); see :mod:`cnnbench.bench.sweep_files`.
    Both raise :class:`~cnnbench.bench.results_io.ResultsFileError` before any timing,
    leaving the file as it was. ``KeyboardInterrupt``
    stops the sweep between records: finished ones stay in the file and the
    outcome says ``interrupted=True``. Flush-to-zero, cuDNN autotuning and TF32
    are set explicitly (not inherited) and recorded in the header and in every
    measurement's flags.
    """
    t_start = time.perf_counter()
    items = tuple(workloads)
    out = Path(out)
    import torch

    old_threads = torch.get_num_threads()
    try:
        with WriteLock(out, command):
            if threads is not None:
                torch.set_num_threads(threads)
            set_flags(flush_denormal=flush_denormal, cudnn_benchmark=cudnn_benchmark, tf32=tf32)
            run_id = uuid.uuid4().hex[:12]
            head = header_record(run_id, profile, device, threads, config, None, len(items))
            already = open_results(out, resume=resume, force=force, header=head, notice=notice)
            with JsonlAppender(out) as sink:
                run = _sweep(items, already, sink, head, device, config, threads, ceilings,
                             measure_fn, prepare_fn, progress, remeasure_ceilings)  # fmt: skip
    finally:
        torch.set_num_threads(old_threads)
    done, skipped, failed, interrupted = run
    return SweepOutcome(out, run_id, tuple(done), skipped, tuple(failed), interrupted,
                        time.perf_counter() - t_start)  # fmt: skip


def _sweep(items, already, sink, head, device, config, threads, ceilings, measure_fn,
           prepare_fn, progress, remeasure_ceilings):  # fmt: skip
    todo = [w for w in items if w.key not in already]
    skipped = tuple(w.key for w in items if w.key in already)
    done: list[str] = []
    failed: list[str] = []
    interrupted = False
    llc = llc_bytes()
    timer = measure_fn or default_measure(config, threads)
    try:
        if todo:
            ceil = ceilings or measure_ceilings(device)
            sink.append({**head, "ceilings": ceil.to_json()})
        for i, w in enumerate(todo):
            record = _run_one(w, head["run_id"], prepare_fn, timer, ceil, llc)
            sink.append(record)
            (done if record["type"] == "result" else failed).append(w.key)
            if progress is not None:
                progress(i + 1, len(todo), w, record)
        if todo and ceilings is None and remeasure_ceilings:
            # Again at the end: on a shared machine the load at the start need not be
            # the load the workloads saw; readers take the best of the two.
            end = measure_ceilings(device)
            sink.append({"type": "ceilings", "run_id": head["run_id"], "when": "end",
                         "ceilings": end.to_json()})  # fmt: skip
    except KeyboardInterrupt:
        interrupted = True
    return done, skipped, failed, interrupted


def _run_one(w, run_id, prepare_fn, timer, ceil, llc) -> dict:
    t0 = time.perf_counter()
    try:
        p = prepare_fn(w)
        m = timer(p)
    except (WorkloadError, RuntimeError, ValueError, TypeError) as exc:
        # a failed correctness check or an unsupported combination: recorded, not timed
        return {"type": "error", "run_id": run_id, "workload": w.to_json(),
                "error": f"{type(exc).__name__}: {exc}"[:2000]}  # fmt: skip
    roof = assess(w, m.median, ceil, llc)
    return {
        "type": "result",
        "run_id": run_id,
        "workload": w.to_json(),
        "measurement": m.to_json(),
        "roofline": roof.to_json(),
        "check": p.check,
        "max_rel_err": p.max_rel_err,
        "seconds": time.perf_counter() - t0,
        "where": where(w.device),  # host, device and machine (a cluster's worker sets its own)
    }
