"""The sweep's results file before a run writes to it: refuse, replace or resume.

Called with the file's :class:`~cnnbench.bench.results_io.WriteLock` held, before any
timing: an existing file is kept unless ``force`` (or ``resume``); on
``resume`` a torn last line is cut off (its workload runs again), a bad line
anywhere else is refused, and so is a file whose run settings differ from this
run's (a file must hold one configuration, or its tables mix them).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cnnbench.bench.loaders_bench import load_bench_results
from cnnbench.bench.results_io import ResultsFileError, truncate_to

# Settings a resumed run must share with the file, as the command line names them.
FLAGS = ("flush_denormal", "cudnn_benchmark", "cudnn_allow_tf32", "matmul_allow_tf32")


def settings_of(header: dict) -> dict[str, Any]:
    """What makes two runs' timings comparable, keyed by the option (or field) that sets it."""
    machine = header.get("machine") or {}
    flags = machine.get("flags") or {}
    harness = header.get("harness") or {}
    out: dict[str, Any] = {"--profile": header.get("profile"), "--device": header.get("device"),
                           "--threads": flags.get("num_threads"),
                           "--budget": harness.get("budget_s")}  # fmt: skip
    out.update({f"harness {k}": v for k, v in sorted(harness.items()) if k != "budget_s"})
    out.update({"CPU": machine.get("cpu"), "torch": machine.get("torch")})
    out.update({f"flag {k}": flags.get(k) for k in FLAGS})
    return out


def differences(old: dict, new: dict) -> list[str]:
    """``"--threads 1 in the file, 2 now"`` for each setting that differs."""
    a, b = settings_of(old), settings_of(new)
    return [f"{k} {a[k]!r} in the file, {b[k]!r} now" for k in a if a[k] != b.get(k)]


def open_results(out: Path, *, resume: bool, force: bool, header: dict,
                 notice: Callable[[str], None] = lambda _: None) -> set[str]:  # fmt: skip
    """Make ``out`` ready for this run's records; return the workload keys already done.

    ``header``: this run's header (its ceilings need not be measured yet).
    Raises :class:`ResultsFileError` (nothing changed) when the file must not be touched.
    """
    out = Path(out)
    if not out.exists() or (out.is_file() and out.stat().st_size == 0):
        return set()
    if resume:
        found = load_bench_results(out, allow_empty=True)
        if found.headers:
            diff = differences(found.headers[-1], header)
            if diff:
                raise ResultsFileError(out, "was written with other settings: " + "; ".join(diff),
                                       expected="the same settings to resume it, or a new "
                                       "file (--force to replace it, or another --out)")
        if found.torn_line is not None:
            truncate_to(out, found.complete_bytes)
            notice(f"{out}: line {found.torn_line} was torn (an interrupted write): cut off; "
                   "its workload runs again")  # fmt: skip
        return found.done_keys()
    if not force:
        raise ResultsFileError(out, "already exists: pass --resume to continue it, --force to "
                               "replace it, or give another --out")  # fmt: skip
    truncate_to(out, 0)
    return set()
