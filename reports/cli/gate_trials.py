"""``cnnbench gate baseline`` and ``cnnbench gate trials`` (the timing gate's A/A data).

``gate baseline`` measures this machine's baseline (A/A runs cycling through no
neighbour, a memory-bound and a compute-bound one) into
``bench/gate_baselines/<fingerprint>.json``; ``gate trials`` repeats the gate
(beside a chosen neighbour, or with an injected slowdown) to measure its
false-alarm and detection rates; ``gate trials --counts`` does the same for
the instruction-count gate.
"""

from __future__ import annotations

import math
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.gate_spec import DEFAULT_ROUNDS, baseline_path
from cnnbench.bench.results_io import ResultsFileError, check_output, write_json_atomic
from cnnbench.reports.cli._app import console, err_console, parameter_error, usage_error, within
from cnnbench.reports.cli.gate import (
    MAX_AA_RUNS,
    MAX_ROUNDS,
    MAX_TRIALS,
    NEIGHBOUR_KINDS,
    BaselineOpt,
    InjectOpt,
    NeighbourOpt,
    OnlyOpt,
    _check_names,
    _choice,
    _load,
    _output,
    _parse_inject,
    gate_app,
)
from rich.table import Table

DEFAULT_AA_RUNS = 12  # four beside each kind of neighbour (none, memory, compute)


@gate_app.command("baseline")
def gate_baseline(
    out: Annotated[Path | None, typer.Option(
        "--out", help="Where to write it [default: bench/gate_baselines/<this machine's "
        "fingerprint>.json].")] = None,
    aa_runs: Annotated[int, typer.Option(
        "--aa-runs", help="A/A runs per workload (3-100).")] = DEFAULT_AA_RUNS,
    rounds: Annotated[
        int, typer.Option("--rounds", help="Paired rounds per run (6-1001).")
    ] = DEFAULT_ROUNDS,
    neighbour: Annotated[bool, typer.Option(
        "--neighbour/--no-neighbour",
        help="A/A runs cycle through no neighbour, a memory-bound and a compute-bound "
        "neighbour process, so the tolerances cover a busy machine.")] = True,
    merge: Annotated[bool, typer.Option(
        "--merge", help="Pool the new A/A runs with those already in the baseline (same "
        "fingerprint and rounds; the newest 60 kept), so the tolerances cover the drift "
        "between sessions, not only within one.")] = False,
    quiet: Annotated[bool, typer.Option(hidden=True)] = False,
) -> None:
    """Measure the baseline ratios and their A/A spread (what tolerances derive from).

    The baseline belongs to this machine's fingerprint (torch's CPU capability,
    ISA flags, cache sizes, core count). The file is written atomically (a
    temporary file, then a rename); its folder is created if missing.
    """
    try:
        within("--aa-runs", aa_runs, 3, MAX_AA_RUNS, "each A/A run measures every workload "
               "(about 2 s each on a 2-core VM); 12 give a stable spread")  # fmt: skip
        within("--rounds", rounds, 6, MAX_ROUNDS, "paired rounds per run; the signed-rank "
               "test needs 6 and is decided long before 1001")  # fmt: skip
        if out is not None:
            check_output("--out", out, create_parent=True)
    except ParameterError as exc:
        raise parameter_error(exc) from None
    from cnnbench.bench.gate_aa import Baseline, MergeError, build_baseline, merge_baselines

    if merge:
        from cnnbench.bench.fingerprint import machine_fingerprint

        target = out or baseline_path(machine_fingerprint()["id"])
        try:
            old = Baseline.load(target)
        except ResultsFileError as exc:
            raise usage_error(f"`--merge`: nothing to pool with: {exc}; measure one with "
                              "`cnnbench gate baseline` (without --merge)") from None
    command = "cnnbench gate baseline " + shlex.join(sys.argv[3:]) if len(sys.argv) > 3 else (
        "cnnbench gate baseline")  # fmt: skip
    base = build_baseline(aa_runs=aa_runs, rounds=rounds, command=command, neighbours=neighbour,
                          progress=(lambda s: None) if quiet else
                          (lambda s: err_console.print(f"  {s}")))  # fmt: skip
    if merge:
        try:
            base = merge_baselines(old, base)
        except MergeError as exc:
            raise usage_error(f"`--merge` with {target}: {exc}; never pooled") from None
    if out is None:
        out = baseline_path(base.fingerprint["id"])
        out.parent.mkdir(parents=True, exist_ok=True)
    base.save(out)
    sessions = len(set(base.run_sessions))
    t = Table(title=f"baseline written to {out} ({len(base.run_sessions)} A/A runs from "
              f"{sessions} session(s))", title_justify="left")  # fmt: skip
    for col in ("workload", "ratio", "A/A spread (log)", "tolerance"):
        t.add_column(col)
    for e in base.entries:
        t.add_row(e.name, f"{math.exp(e.center):.3f}", f"{e.aa_spread:.4f}",
                  f"±{math.exp(e.tolerance):.3f}x")  # fmt: skip
    console.print(t)


@gate_app.command("trials")
def gate_trials(
    trials: Annotated[int, typer.Option("--trials", help="How many gate runs (1-1000).")] = 10,
    baseline: BaselineOpt = None,
    only: OnlyOpt = None,
    inject: InjectOpt = None,
    beside: NeighbourOpt = "none",
    counts: Annotated[bool, typer.Option(
        "--counts", help="Trials of the instruction-count gate (`gate counts`) instead; "
        "--inject NAME=F then makes NAME do 1+F times the work.")] = False,
    inject_each: Annotated[float | None, typer.Option(
        "--inject-each", help="With --counts: every statement with F more work in turn, "
        "beside plain counts of the others, in each trial.")] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write all verdicts here.")
    ] = None,
) -> None:
    """Repeat the gate: A/A trials (no --inject) should pass; injected ones should fail."""
    try:
        within("--trials", trials, 1, MAX_TRIALS, "each trial is a whole gate run (tens of "
               "seconds on a 2-core VM)")  # fmt: skip
    except ParameterError as exc:
        raise parameter_error(exc) from None
    if counts:
        from cnnbench.bench.counts_spec import COUNTS_BASELINE_PATH
        from cnnbench.reports.cli.gate_counts import counts_trials

        counts_trials(trials, only, inject, baseline or COUNTS_BASELINE_PATH, json_out,
                      inject_each)  # fmt: skip
        return
    if inject_each is not None:
        raise usage_error("`--inject-each` is for `--counts` trials; the timing gate takes "
                          "--inject NAME=FRACTION")  # fmt: skip
    injected = _parse_inject(inject)
    _choice("--neighbour", beside, NEIGHBOUR_KINDS)
    _output("--json", json_out)
    data, _ = _load(baseline)
    names = _check_names(only, data)
    from cnnbench.bench.gate_aa import Baseline
    from cnnbench.bench.gate_suite import run_gate

    base = Baseline.from_json(data)
    runs = []
    for i in range(trials):
        err_console.print(f"trial {i + 1}/{trials}")
        runs.append(run_gate(base, names, inject=injected, beside=beside))
    failed = sum(any(v.status == "regression" for v in r) for r in runs)
    t = Table(title=f"{trials} trials, inject={injected or 'none (A/A)'}, neighbour={beside}",
              title_justify="left")  # fmt: skip
    for col in ("workload", "median change", "min change", "max change", "tolerance",
                "flagged+confirmed"):  # fmt: skip
        t.add_column(col)
    for j, name in enumerate(names):
        ch = sorted(r[j].change for r in runs)
        t.add_row(name, f"{ch[len(ch) // 2]:.3f}x", f"{ch[0]:.3f}x", f"{ch[-1]:.3f}x",
                  f"±{runs[0][j].tolerance_factor:.3f}x",
                  f"{sum(r[j].status == 'regression' for r in runs)}/{trials}")  # fmt: skip
    console.print(t)
    console.print(f"gate failed in {failed}/{trials} trials")
    if json_out is not None:
        write_json_atomic(json_out, [[v.to_json() for v in r] for r in runs])
