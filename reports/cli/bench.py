"""``cnnbench bench``: time the workload grid, append JSON Lines, print a Compare-style table."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.profiles import PROFILE_ENV, resolve_profile
from cnnbench.bench.results_io import ResultsFileError, check_output
from cnnbench.bench.shards import in_shard
from cnnbench.reports.cli._app import (
    EXIT_FAILED,
    EXIT_OK,
    app,
    console,
    err_console,
    parameter_error,
    usage_error,
    within,
)
from cnnbench.reports.cli.distribute import SCHEDULER_HELP, SHARD_HELP, parse_run_options
from rich.markup import escape

EXIT_INTERRUPTED = 130  # the shell's code for SIGINT
# The one default results file, shared with `cnnbench report --bench`
# (cnnbench.bench.sweep.DEFAULT_OUT).
DEFAULT_OUT = Path("reports/out/bench.jsonl")
MAX_BUDGET_S = 60.0  # per workload: the short profile has ~200 workloads (3 h at 60 s)
NAMES = {"profile": "--profile", "device": "--device", "filter": "--filter",
         "budget_s": "--budget", "threads": "--threads"}  # fmt: skip


@app.command()
def bench(
    profile: Annotated[
        str | None,
        typer.Option("--profile", help=f"short (default) or full; else ${PROFILE_ENV}."),
    ] = None,
    device: Annotated[str, typer.Option("--device", help="cpu or cuda.")] = "cpu",
    filter_: Annotated[
        str | None, typer.Option("--filter", help="Regular expression on workload keys.")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="JSON Lines results file (its folder is created if "
                           "missing); `cnnbench report --bench` reads the same default.")
    ] = DEFAULT_OUT,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue --out: skip workloads it already has "
                           "(same settings required; a torn last line is re-run).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing --out (never done without it).")
    ] = False,
    threads: Annotated[
        int | None, typer.Option("--threads", help="Intra-op threads (default: torch's).")
    ] = None,
    budget: Annotated[
        float, typer.Option("--budget", help="Sampling seconds per workload at most (<= 60).")
    ] = 0.5,
    list_only: Annotated[
        bool, typer.Option("--list", help="List the selected workload keys and exit.")
    ] = False,
    crosscheck: Annotated[
        bool,
        typer.Option(
            "--crosscheck",
            help="Time >= 10 workloads with this harness and torch.utils.benchmark; "
            "print the agreement.",
        ),
    ] = False,
    dedupe_: Annotated[
        bool,
        typer.Option("--dedupe", help="Time each distinct shape once (networks share layers)."),
    ] = False,
    show: Annotated[
        bool, typer.Option("--show", help="Print the summary of --out without timing anything.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary table.")] = False,
    workers: Annotated[int | None, typer.Option("--workers", help="1 only: timings never "
                       "share a device (use --scheduler for several hosts or GPUs).")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help=SCHEDULER_HELP)] = None,
    shard: Annotated[str | None, typer.Option("--shard", help=SHARD_HELP)] = None,
) -> None:
    """Time activations and convolutions; results are appended to --out as each finishes.

    An existing --out is continued with --resume or replaced with --force, never
    removed otherwise; while a run writes it, a second run on the same file refuses.
    Exit 0 when every workload ran, 1 when one failed its float64 check or
    crashed, 2 on bad usage (incl. --device cuda without CUDA, a results file that
    is not one, another run writing it), 130 on Ctrl-C (finished workloads are
    kept; rerun with --resume).
    """
    if show:
        _show(out)
    try:
        prof = resolve_profile(profile)
        if threads is not None:
            within("--threads", threads, 1, os.cpu_count() or 1, "more intra-op threads than "
                   "this machine's CPUs oversubscribe it and time the scheduler")  # fmt: skip
        within("--budget", budget, 1e-3, MAX_BUDGET_S, "seconds of sampling per workload; the "
               "short profile has about 200 workloads")  # fmt: skip
        if resume and force:
            raise ParameterError("--force", True, "cannot go with --resume: continue the "
                                 "file or replace it, not both")  # fmt: skip
        options = parse_run_options(workers, scheduler, shard)
        if (workers or 1) > 1:
            raise ParameterError("--workers", workers, "must be 1: timing is never done "
                                 "concurrently on one device; several hosts or GPUs time in "
                                 "parallel with --scheduler (one BENCH or GPU worker each)")
        if crosscheck:
            from cnnbench.reports.cli.bench_crosscheck import crosscheck_path

            check_output("--out", out, create_parent=True)  # its folder receives the file
            check_output("--out", crosscheck_path(out), create_parent=True)
        elif not list_only:
            check_output("--out", out, create_parent=True)
            _refuse_existing(out, resume, force)
    except ParameterError as exc:
        raise parameter_error(exc, NAMES) from None
    except ResultsFileError as exc:
        raise usage_error(f"`--out`: {exc}") from None

    from cnnbench.bench.harness import HarnessConfig
    from cnnbench.bench.sweep import SWEEP_CONFIG
    from cnnbench.bench.workloads import all_workloads, dedupe, resolve_device, select

    try:
        dev = resolve_device(device)
        cfg = HarnessConfig(**{**SWEEP_CONFIG.__dict__, "budget_s": budget})
        chosen = select(all_workloads(prof, dev), filter_)
        chosen = dedupe(chosen) if dedupe_ else chosen
        chosen = in_shard(chosen, options.shard, key=lambda w: w.key)
    except ParameterError as exc:
        raise parameter_error(exc, NAMES) from None
    if not chosen and not crosscheck:
        if options.shard is not None:  # a CI runner whose shard drew nothing: not a failure
            console.print(f"shard {options.shard_text} holds none of the selected workloads")
            raise typer.Exit(EXIT_OK)
        raise usage_error(f"`--filter`={filter_!r} matches no workload of profile {prof!r}")
    if list_only:
        for w in chosen:
            console.print(escape(w.key), soft_wrap=True)
        raise typer.Exit(EXIT_OK)
    if crosscheck:
        from cnnbench.reports.cli.bench_crosscheck import run_crosscheck

        run_crosscheck(dev, filter_, chosen, cfg, threads, out)
        raise typer.Exit(EXIT_OK)
    if options.scheduler is not None:
        from cnnbench.reports.cli.bench_cluster import run_on_cluster

        outcome = run_on_cluster(options, chosen, out, prof, dev, threads, resume, force, cfg)
        _report(outcome, out, chosen, quiet)
    try:
        outcome = _run_with_progress(chosen, out, prof, dev, threads, resume, force, cfg)
    except ResultsFileError as exc:
        raise usage_error(f"`--out`: {exc}") from None
    _report(outcome, out, chosen, quiet)


def _refuse_existing(out: Path, resume: bool, force: bool) -> None:
    """Before anything is imported or timed: an existing file needs --resume or --force
    (checked again, with the file locked, when the run starts)."""
    if not resume and not force and out.is_file() and out.stat().st_size:
        raise ResultsFileError(out, "already exists: pass --resume to continue it, --force to "
                               "replace it, or give another --out")  # fmt: skip


def _show(out: Path) -> None:
    from cnnbench.bench.loaders_bench import load_bench_results
    from cnnbench.reports.cli.bench_tables import print_comparisons, print_summary

    try:
        found = load_bench_results(out)
    except ResultsFileError as exc:
        raise usage_error(f"`--out`: {exc}") from None
    _warn_torn(found)
    print_summary(list(found.records))
    print_comparisons(list(found.records))
    raise typer.Exit(EXIT_OK)


def _warn_torn(found) -> None:
    if found.torn_line is not None:
        err_console.print(f"[yellow]warning:[/] {found.path}: line {found.torn_line} is torn (an "
                          "interrupted write) and left out; `--resume` re-runs it")  # fmt: skip


def _report(outcome, out: Path, chosen, quiet: bool) -> None:
    if outcome.interrupted:
        err_console.print(
            f"[yellow]interrupted[/]: kept {len(outcome.done)} finished workloads "
            f"(+{len(outcome.skipped)} from before) in {out}; rerun with --resume"
        )
        raise typer.Exit(EXIT_INTERRUPTED)
    from cnnbench.bench.loaders_bench import load_bench_results
    from cnnbench.reports.cli.bench_tables import print_comparisons, print_summary

    records = list(load_bench_results(out).records)
    if not quiet:
        print_summary(records, keys={w.key for w in chosen})
        print_comparisons(records)
    console.print(
        f"{len(outcome.done)} timed, {len(outcome.skipped)} already done, "
        f"{len(outcome.failed)} failed in {outcome.seconds:.1f} s; results in {out}"
    )
    failed = set(outcome.failed)
    for r in records:
        if r.get("type") == "error" and r["workload"]["key"] in failed:
            err_console.print(f"[bold magenta]failed[/] {escape(r['error'])}")
    raise typer.Exit(EXIT_FAILED if outcome.failed else EXIT_OK)


def _run_with_progress(chosen, out, prof, dev, threads, resume, force, cfg):
    from cnnbench.bench.sweep import run_sweep
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        TextColumn("[bold]bench[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    with progress:
        task = progress.add_task("measuring ceilings", total=None)

        def tick(i, total, w, record):
            progress.update(task, total=total, completed=i, description=escape(w.key[:70]))

        def notice(message: str) -> None:
            progress.console.print(f"[yellow]warning:[/] {escape(message)}")

        return run_sweep(chosen, out, profile=prof, device=dev, threads=threads,
                         resume=resume, force=force, config=cfg, progress=tick,
                         notice=notice)  # fmt: skip
