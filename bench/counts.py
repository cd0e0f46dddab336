"""Instruction counts under valgrind's callgrind: run the statements, read the dumps.

Counts of executed instructions do not depend on what else the machine is
doing, so a gate on them needs no noise model beyond the up to 5 in 10^3 by
which the repeats within one process differ (the allocators' share of a call:
see :mod:`cnnbench.bench.counts_gate`; PyTorch's ``benchmarks/instruction_counts``
gate relies on the same). The mechanism is
``torch.utils.benchmark.Timer.collect_callgrind``'s: a Python process under
``valgrind --tool=callgrind --collect-atstart=no`` toggling collection around
``number`` calls with torch's client requests, one dump per repeat, each read
by ``callgrind_annotate``. Timer starts one process per statement and pays
``import torch`` under full instrumentation (~80-110 s) every time;
:mod:`cnnbench.bench.counts_child` counts every statement in one process and
instruments only after the import, so the whole gate costs about what one Timer
statement would.

The counting process starts the same way every time
(:mod:`cnnbench.bench.counts_env`: a fixed entropy stream, environment and
working folder, ``.pyc`` files written beforehand), so two processes count
exactly the same instructions.

Blind spots (the timing gate covers them): a slowdown that adds no instructions
(memory traffic, cache misses, page faults, contention), and code paths
valgrind never executes: it emulates an AVX2 CPU, so torch's AVX-512 kernels
and oneDNN's AVX-512 JIT code, which run natively on AVX-512 machines, are
never counted. oneDNN's JIT code is counted but unnamed (``???``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cnnbench.bench.counts_env import (
    build_entropy_shim,
    child_env,
    compile_sources,
    tool_env,
)
from cnnbench.bench.counts_spec import (
    FIRST_USE_CALLS,
    NUMBER,
    REPEATS,
    THREADS,
    WARMUP_CALLS,
)

TOOLS = ("valgrind", "callgrind_control", "callgrind_annotate")
# A valgrind process's limit: its start (import torch, the first-use pass: ~10 min on a
# busy 2-core VM) and each trial (~1-2 min there); 20 trials once ran past a flat 30 min.
PROCESS_TIMEOUT_S = 1200
TRIAL_TIMEOUT_S = 240
_TOTAL = re.compile(r"^\s*([0-9,]+)\s+\(?.*PROGRAM TOTALS")
_FUNCTION = re.compile(r"^\s*([0-9,]+)\s+(\S.*)$")
_UNNAMED = "??? (unnamed code, e.g. JIT kernels)"


class CountsError(RuntimeError):
    """valgrind is missing, or a counting process failed (the message says how)."""


def missing_tools() -> list[str]:
    path = tool_env()["PATH"]
    return [t for t in TOOLS if shutil.which(t, path=path) is None]


def valgrind_version() -> str | None:
    try:
        out = subprocess.run(["valgrind", "--version"], capture_output=True, text=True,
                             timeout=30, env=tool_env()).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().removeprefix("valgrind-") or None


def normalize_function(name: str) -> str:
    """``file:function [object]`` without machine-specific folders.

    >>> normalize_function("/tmp/py-build.1/Python/ceval.c:PyObject_Vectorcall [/usr/bin/py]")
    'ceval.c:PyObject_Vectorcall'
    >>> normalize_function("???:0x000000000041ab20 [???]")
    '??? (unnamed code, e.g. JIT kernels)'
    """
    name = re.sub(r"\s+\[[^\]]*\]$", "", name.strip())
    file, sep, func = name.partition(":")
    if file == "???" and (not func or func.startswith("0x")):
        return _UNNAMED
    return f"{file.rsplit('/', 1)[-1]}{sep}{func}"


def parse_annotate(text: str) -> tuple[int, dict[str, int]]:
    """(PROGRAM TOTALS, {function: exclusive count}) from ``callgrind_annotate`` output."""
    total = None
    functions: dict[str, int] = {}
    in_table = False
    for line in text.splitlines():
        if total is None:
            m = _TOTAL.match(line)
            if m:
                total = int(m.group(1).replace(",", ""))
            continue
        if "file:function" in line:
            in_table = True
            continue
        if not in_table or set(line.strip()) <= {"-"}:
            continue
        m = _FUNCTION.match(line)
        if not m:
            break
        ir = int(m.group(1).replace(",", ""))
        if ir == total:  # callgrind's top-level red herrings in multi-dump profiles
            continue
        key = normalize_function(m.group(2))
        functions[key] = functions.get(key, 0) + ir
    if total is None:
        raise CountsError("callgrind_annotate printed no PROGRAM TOTALS line")
    return total, functions


@dataclass(frozen=True)
class StatementCounts:
    """One statement in one trial: instructions per call of each kept repeat."""

    name: str
    trial: int
    per_call: tuple[float, ...]  # repeats after the dropped ones
    functions: dict[str, float]  # exclusive instructions per call, from the median repeat

    @property
    def median(self) -> float:
        s = sorted(self.per_call)
        return s[len(s) // 2]


@dataclass(frozen=True)
class CountRun:
    statements: tuple[StatementCounts, ...]
    seen: dict  # what the counting process saw (CPU capability under valgrind, versions)
    seconds: float


def _annotate(path: Path) -> tuple[int, dict[str, int]]:
    done = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100",
                           "--show-percs=no", str(path)], capture_output=True, text=True,
                          env=tool_env(), timeout=300)  # fmt: skip
    if done.returncode:
        raise CountsError(f"callgrind_annotate {path.name} failed: {done.stderr.strip()[-500:]}")
    return parse_annotate(done.stdout)


def _one_process(names: Sequence[str], trials: Sequence[dict[str, float]], number: int,
                 repeats: int, dropped: int,
                 preload: Path | None = None) -> tuple[list[StatementCounts], dict]:  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="cnnbench-counts-"))
    try:
        plan = work / "plan.json"
        plan.write_text(json.dumps({"names": list(names), "trials": list(trials),
                                    "number": number, "repeats": repeats,
                                    "warmup": WARMUP_CALLS, "threads": THREADS,
                                    "first_use_calls": FIRST_USE_CALLS}))  # fmt: skip
        out = work / "cg.out"
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
               "--instr-atstart=no", "--collect-atstart=no", sys.executable, "-m",
               "cnnbench.bench.counts_child", str(plan)]  # fmt: skip
        limit = PROCESS_TIMEOUT_S + TRIAL_TIMEOUT_S * len(trials)
        cwd = work / "cwd"  # empty: `-m` puts it first on sys.path, and imports list it
        cwd.mkdir()
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd,
                                  env=child_env(preload), timeout=limit)  # fmt: skip
        except subprocess.TimeoutExpired:
            raise CountsError(f"the counting process ran past {limit} s") from None
        manifest = Path(str(plan) + ".done.json")
        if done.returncode or not manifest.exists():
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise CountsError(f"the counting process exited {done.returncode}:\n{tail}")
        info = json.loads(manifest.read_text())
        per: dict[tuple[int, str], list[tuple[float, dict[str, int]]]] = {}
        for i, d in enumerate(info["dumps"]):
            if d["repeat"] < dropped:
                continue
            total, fns = _annotate(Path(f"{out}.{i + 1}"))  # callgrind numbers dumps from 1
            per.setdefault((d["trial"], d["name"]), []).append((total / number, fns))
        result = []
        for (trial, name), reps in per.items():
            values = tuple(v for v, _ in reps)
            mid = sorted(range(len(reps)), key=lambda k: reps[k][0])[len(reps) // 2]
            fns = {k: v / number for k, v in reps[mid][1].items()}
            result.append(StatementCounts(name, trial, values, fns))
        return result, info["seen"]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def count(
    names: Sequence[str],
    trials: Sequence[dict[str, float]] = ({},),
    *,
    processes: int = 1,
    concurrent: int | None = None,
    number: int = NUMBER,
    repeats: int = REPEATS,
    dropped: int = 1,
    progress: Callable[[str], None] = lambda _: None,
) -> CountRun:
    """Count ``names`` once per trial (each trial's dict injects extra work by name),
    the trials spread over ``processes`` valgrind processes (one each, at most), of
    which ``concurrent`` (default: the CPUs) run at once: counts do not depend on
    what else the machine runs, so only the wall time does."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    if missing_tools():
        raise CountsError("missing on PATH: " + ", ".join(missing_tools()) +
                          " (Debian's valgrind package; `make valgrind` installs it)")  # fmt: skip
    start = time.perf_counter()
    compile_sources()
    preload, why = build_entropy_shim()
    if preload is None:
        progress(f"WARNING: system entropy, counts may differ between processes by up to "
                 f"4e-3 ({why})")  # fmt: skip
    trials = list(trials)
    processes = max(1, min(processes, len(trials)))
    chunks = [list(range(len(trials)))[i::processes] for i in range(processes)]
    progress(f"{len(chunks)} valgrind process(es), {len(trials)} trial(s) of "
             f"{len(names)} statements")  # fmt: skip

    def one(p: int) -> tuple[list[StatementCounts], dict]:
        got, seen = _one_process(names, [trials[t] for t in chunks[p]], number, repeats,
                                 dropped, preload)  # fmt: skip
        progress(f"valgrind process {p + 1}/{len(chunks)} done ({len(chunks[p])} trial(s))")
        return got, seen

    workers = max(1, min(concurrent or os.cpu_count() or 1, len(chunks)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(one, range(len(chunks))))
    statements: list[StatementCounts] = []
    for chunk, (got, _) in zip(chunks, done, strict=True):
        statements += [StatementCounts(s.name, chunk[s.trial], s.per_call, s.functions)
                       for s in got]  # fmt: skip
    seen = dict(done[-1][1])  # what the counting processes saw (the same machine)
    statements.sort(key=lambda s: (s.trial, list(names).index(s.name)))
    seen["valgrind"] = valgrind_version()
    if preload is None:
        seen["entropy"] = f"system ({why})"
    elif seen.get("entropy") != "fixed":
        progress("WARNING: the counting process did not load the fixed entropy stream: "
                 "counts may differ between processes by up to 4e-3")  # fmt: skip
    return CountRun(tuple(statements), seen, time.perf_counter() - start)
