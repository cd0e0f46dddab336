"""``cnnbench gate counts``: the instruction-count gate (see :mod:`cnnbench.bench.counts`).

Exit 0 when no statement's count rose beyond its tolerance, 1 when one did, 2
when valgrind is missing, the baseline is missing, damaged or of another
fingerprint (unless ``--if-missing measure``), or the usage is bad.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from cnnbench.bench.counts_spec import COUNT_NAMES, COUNTS_BASELINE_PATH
from cnnbench.bench.loaders_bench import load_counts_baseline
from cnnbench.bench.results_io import ResultsFileError, write_json_atomic
from cnnbench.reports.cli._app import (
    EXIT_FAILED,
    EXIT_OK,
    console,
    err_console,
    parameter_error,
    usage_error,
    within,
)
from cnnbench.reports.cli.gate import InjectOpt, OnlyOpt, _output, _parse_inject, gate_app
from rich.table import Table

MAX_RUNS = 10  # baseline trials, one valgrind process each
IF_MISSING = ("fail", "measure")
FN_WIDTH = 90  # characters of a C++ function name shown


def _names(only: list[str] | None) -> list[str]:
    for n in only or []:
        if n not in COUNT_NAMES:
            raise usage_error(f"`--only`={n!r} is not a counted statement; known: "
                              + ", ".join(COUNT_NAMES))  # fmt: skip
    return list(dict.fromkeys(only or COUNT_NAMES))


def _require_tools() -> None:
    from cnnbench.bench.counts import missing_tools

    missing = missing_tools()
    if missing:
        raise usage_error(f"instruction counts need {', '.join(missing)} on PATH: install "
                          "Debian's valgrind (`make valgrind`, or apt-get install valgrind)")


def _progress(s: str) -> None:
    err_console.print(f"  {s}")


def _count(names, trials, processes: int = 1):
    """:func:`cnnbench.bench.counts.count`, a failed valgrind process being exit 2 (the
    environment, not a regression: exit 1 means only that a count rose)."""
    from cnnbench.bench.counts import CountsError, count

    try:
        return count(names, trials, processes=processes, progress=_progress)
    except CountsError as exc:
        raise usage_error(f"counting failed: {exc}") from None


def _make_baseline(path: Path, runs: int, why: str = ""):
    from cnnbench.bench.counts_gate import baseline_from_runs

    command = "cnnbench gate counts " + shlex.join(sys.argv[3:]) if len(sys.argv) > 3 else (
        "cnnbench gate counts --update-baseline")  # fmt: skip
    # One valgrind process per run: the spread then holds what differs between
    # processes (the heap's history before the count) as well as within one.
    run = _count(COUNT_NAMES, [{}] * runs, processes=runs)
    base = baseline_from_runs(run, command)
    base.save(path)
    t = Table(title=f"count baseline written to {path}{why}", title_justify="left")
    for col in ("statement", "instructions/call", "spread over trials", "tolerance"):
        t.add_column(col)
    for e in base.entries:
        t.add_row(e.name, f"{e.center:,.0f}", f"{e.spread:.2e}", f"+{e.tolerance:.2%}")
    console.print(t)
    console.print(f"{runs} trial(s), one valgrind process each, {run.seconds:.0f} s")
    return base


def _baseline(path: Path, if_missing: str, command_hint: str):
    """The baseline to compare with, or exit 2 (or measure one, with ``measure``)."""
    from cnnbench.bench.counts_gate import CountsBaseline, fingerprint_differences, host_fingerprint

    problem = None
    try:
        base = CountsBaseline.from_json(load_counts_baseline(path, known=COUNT_NAMES))
        diff = fingerprint_differences(base.fingerprint, host_fingerprint())
        if diff:
            problem = (f"`--baseline`={str(path)!r} was counted with another fingerprint "
                       f"({'; '.join(diff)}); counts are never compared across fingerprints")
    except ResultsFileError as exc:
        problem = (f"`--baseline`={str(path)!r} does not exist" if exc.problem == "does not exist"
                   else f"`--baseline`: {exc}")  # fmt: skip
    if problem is None:
        return base
    if if_missing == "measure":
        err_console.print(f"[bold yellow]{problem}.\nNO COUNT BASELINE FOR THIS MACHINE: "
                          "measuring one now (--if-missing measure); the gate below compares "
                          "this commit with itself and cannot see a regression in it. "
                          f"Commit {path} to gate future commits.[/]")  # fmt: skip
        _require_tools()
        return _make_baseline(path, 1, " (measured now: --if-missing measure)")
    raise usage_error(f"{problem}; make one with `{command_hint}` (the gate never passes "
                      "without a baseline)")  # fmt: skip


def _in_baseline(names: list[str], base, path: Path) -> None:
    missing = [n for n in names if n not in {e.name for e in base.entries}]
    if missing:
        raise usage_error(f"`--baseline`={str(path)!r} has no count of {', '.join(missing)}; "
                          "re-count it with `cnnbench gate counts --update-baseline`")


def _short(fn: str) -> str:
    return fn if len(fn) <= FN_WIDTH else fn[: FN_WIDTH - 3] + "..."


BaselineOpt = Annotated[Path, typer.Option("--baseline", help="Count baseline JSON.")]
IfMissingOpt = Annotated[str, typer.Option(
    "--if-missing", help="No baseline for this fingerprint: `fail` (exit 2) or `measure` one "
    "now and gate against it (CI on a new machine; says so loudly).")]  # fmt: skip


@gate_app.command("counts")
def gate_counts(
    baseline: BaselineOpt = COUNTS_BASELINE_PATH,
    only: OnlyOpt = None,
    inject: InjectOpt = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write verdicts here.")] = None,
    update_baseline: Annotated[bool, typer.Option(
        "--update-baseline", help="Count --runs times and write the baseline instead of "
        "gating.")] = False,
    runs: Annotated[int, typer.Option("--runs", help="Baseline trials (fresh builds of every "
                                      "statement), one valgrind process each (1-10).")] = 3,
    if_missing: IfMissingOpt = "fail",
) -> None:
    """Gate instruction counts (valgrind) against the baseline; exit 1 when one rose.

    Counts do not depend on the machine's load: each statement's tolerance is
    1% (or three times its spread over the baseline trials, if larger). --inject
    NAME=F makes NAME do 1+F times the work. Needs Debian's valgrind.
    """
    from cnnbench.analysis._validation import ParameterError

    injected = _parse_inject(inject, COUNT_NAMES)
    if if_missing not in IF_MISSING:
        raise usage_error(f"`--if-missing`={if_missing!r} must be one of {', '.join(IF_MISSING)}")
    try:
        within("--runs", runs, 1, MAX_RUNS, "trials of every statement, one valgrind "
               "process each; 3 show the spread")  # fmt: skip
    except ParameterError as exc:
        raise parameter_error(exc) from None
    _output("--json", json_out)
    names = _names(only)
    if update_baseline:
        _output("--baseline", baseline)
        _require_tools()
        _make_baseline(baseline, runs)
        raise typer.Exit(EXIT_OK)
    base = _baseline(baseline, if_missing, "cnnbench gate counts --update-baseline")
    _in_baseline(names, base, baseline)
    _require_tools()
    from cnnbench.bench.counts_gate import decide

    run = _count(names, [injected])
    if run.seen.get("cpu_capability") != base.fingerprint.get("cpu_capability"):
        raise usage_error(f"`--baseline`={str(baseline)!r} was counted with torch's "
                          f"{base.fingerprint.get('cpu_capability')} kernels, this run used "
                          f"{run.seen.get('cpu_capability')}; re-count it with `cnnbench gate "
                          "counts --update-baseline`")  # fmt: skip
    verdicts = [decide(base.entry(s.name), s) for s in run.statements]
    _report(verdicts, f"instruction counts vs {baseline} ({base.created}), "
            f"{run.seconds:.0f} s of valgrind, entropy {run.seen.get('entropy')} "
            f"(baseline: {base.entropy})")  # fmt: skip
    if json_out is not None:
        write_json_atomic(json_out, [v.to_json() for v in verdicts])
    bad = [v for v in verdicts if v.status == "regression"]
    if bad:
        console.print("intended? accept it with `cnnbench gate counts --update-baseline`")
        raise typer.Exit(EXIT_FAILED)
    console.print(f"count gate passed: no statement's count rose beyond its tolerance "
                  f"({len(verdicts)} statements)")  # fmt: skip
    raise typer.Exit(EXIT_OK)


def _report(verdicts: list, title: str) -> None:
    t = Table(title=title, title_justify="left")
    for col in ("statement", "baseline/call", "now/call", "difference", "change", "tolerance",
                "status"):  # fmt: skip
        t.add_column(col)
    style = {"ok": "green", "regression": "bold red", "improvement": "cyan"}
    for v in verdicts:
        t.add_row(v.name, f"{v.baseline:,.0f}", f"{v.now:,.0f}", f"{v.now - v.baseline:+,.0f}",
                  f"{v.change:.4f}x", f"+{v.tolerance:.2%}",
                  f"[{style[v.status]}]{v.status}[/]")  # fmt: skip
    console.print(t)
    same = sum(v.now == v.baseline for v in verdicts)  # bit-exact: counts are integers/call
    console.print(f"{same}/{len(verdicts)} statements counted exactly the baseline's "
                  "instructions per call")  # fmt: skip
    for v in verdicts:
        if v.status == "ok":
            continue
        console.print(f"[bold]{v.status}[/] {v.name}: {v.change:.4f}x; functions that "
                      "changed most (instructions per call):", soft_wrap=True)  # fmt: skip
        for fn, d in v.functions:
            console.print(f"  {d:+12,.0f}  {_short(fn)}", soft_wrap=True, markup=False)


def counts_trials(trials: int, only: list[str] | None, inject: list[str] | None,
                  baseline: Path, json_out: Path | None, inject_each: float | None = None) -> None:
    """``gate trials --counts``: ``trials`` count runs, over one valgrind process per CPU.

    With ``inject_each`` F, each trial counts every statement plain and every
    statement with F more work, each built on its own: statement j's injected
    count says whether the gate catches it, the plain counts of the others in
    the same trial whether anything else would be flagged beside it.
    """
    injected = _parse_inject(inject, COUNT_NAMES)
    if inject_each is not None and (injected or not 0 < inject_each <= 4):
        raise usage_error(f"`--inject-each`={inject_each!r} must be in (0, 4] and not combined "
                          "with --inject")  # fmt: skip
    _output("--json", json_out)
    names = _names(only)
    base = _baseline(baseline, "fail", "cnnbench gate counts --update-baseline")
    _in_baseline(names, base, baseline)
    _require_tools()
    from cnnbench.bench.counts_gate import decide

    plan = [injected] * trials
    if inject_each is not None:
        plan = [d for _ in range(trials) for d in ({}, dict.fromkeys(names, inject_each))]
    run = _count(names, plan, processes=os.cpu_count() or 1)
    by_trial = [[decide(base.entry(s.name), s) for s in run.statements if s.trial == i]
                for i in range(len(plan))]  # fmt: skip
    if inject_each is not None:
        _report_each(names, by_trial, trials, inject_each, run.seconds)
    else:
        _report_trials(names, by_trial, trials, injected, run.seconds)
    if json_out is not None:
        write_json_atomic(json_out, [[v.to_json() for v in r] for r in by_trial])


def _report_trials(names, by_trial, trials, injected, seconds) -> None:
    t = Table(title=f"{trials} count trials, "
              f"inject={injected or 'none (A/A)'}", title_justify="left")  # fmt: skip
    for col in ("statement", "median change", "min change", "max change", "flagged"):
        t.add_column(col)
    for j, name in enumerate(names):
        ch = sorted(r[j].change for r in by_trial)
        t.add_row(name, f"{ch[len(ch) // 2]:.4f}x", f"{ch[0]:.4f}x", f"{ch[-1]:.4f}x",
                  f"{sum(r[j].status == 'regression' for r in by_trial)}/{trials}")  # fmt: skip
    console.print(t)
    failed = sum(any(v.status == "regression" for v in r) for r in by_trial)
    console.print(f"count gate failed in {failed}/{trials} trials ({seconds:.0f} s of valgrind)")


def _report_each(names, by_trial, trials, frac, seconds) -> None:
    plain, hit = by_trial[0::2], by_trial[1::2]
    t = Table(title=f"{trials} trials: each statement with {frac:g} more work in turn "
              "(counted beside plain counts of the others)", title_justify="left")  # fmt: skip
    for col in ("injected statement", "count change", "tolerance", "caught",
                "others flagged"):  # fmt: skip
        t.add_column(col)
    for j, name in enumerate(names):
        ch = sorted(r[j].change for r in hit)
        others = sum(v.status == "regression" for r in plain for k, v in enumerate(r) if k != j)
        t.add_row(name, f"{ch[0]:.4f}-{ch[-1]:.4f}x", f"+{hit[0][j].tolerance:.2%}",
                  f"{sum(r[j].status == 'regression' for r in hit)}/{trials}",
                  f"{others}/{trials * (len(names) - 1)}")  # fmt: skip
    console.print(t)
    aa = sum(v.status == "regression" for r in plain for v in r)
    console.print(f"plain (A/A) counts flagged: {aa}/{trials * len(names)}; "
                  f"{seconds:.0f} s of valgrind")  # fmt: skip
