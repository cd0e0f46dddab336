"""The options ``check`` and ``bench`` share for running beyond one process.

``--workers N`` (local processes), ``--scheduler tcp://HOST:PORT`` (a Dask
cluster), ``--shard i/N`` (a fixed subset, for CI fleets). Parsed and bounded
here, before any work starts; the executors are :mod:`cnnbench.bench.executors`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from cnnbench.analysis._validation import ParameterError
from cnnbench.reports.cli._app import err_console, within
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

MAX_WORKERS = 256
# A scheduler's address as `dask scheduler` prints it: protocol://host:port.
_ADDRESS = re.compile(r"^(tcp|tls|ws|wss)://([^\s/:\[\]]+|\[[0-9a-fA-F:]+\]):\d{1,5}$")
WORKERS_HELP = ("Run in N local processes (claims, and the configurations and seeds of the "
                "grid-shaped checks, as separate units); verdicts are the same as serial.")
SCHEDULER_HELP = ("Run on the Dask cluster whose scheduler is at tcp://HOST:PORT (needs "
                  "`pip install 'cnnbench[cluster]'`; README: More than one machine).")
SHARD_HELP = ("Only shard i of N (e.g. 2/3), chosen by a stable hash of each id: N runners "
              "cover everything once; `cnnbench merge` joins their files.")


@dataclass(frozen=True)
class RunOptions:
    workers: int | None = None
    scheduler: str | None = None
    shard: tuple[int, int] | None = None

    @property
    def distributed(self) -> bool:
        return self.scheduler is not None or (self.workers or 1) > 1

    @property
    def shard_text(self) -> str:
        return "" if self.shard is None else f"{self.shard[0]}/{self.shard[1]}"


def parse_run_options(workers: int | None, scheduler: str | None,
                      shard: str | None) -> RunOptions:  # fmt: skip
    """Validated options; :class:`ParameterError` naming the option typed."""
    from cnnbench.bench.shards import parse_shard

    if workers is not None:
        within("--workers", workers, 1, MAX_WORKERS, "local processes; more than the "
               f"machine's CPUs ({os.cpu_count()}) only take turns on them")  # fmt: skip
    if scheduler is not None:
        if workers is not None:
            raise ParameterError("--scheduler", scheduler, "cannot go with --workers: the "
                                 "cluster's workers are started with `dask worker`")  # fmt: skip
        if not _ADDRESS.match(scheduler):
            raise ParameterError("--scheduler", scheduler, "must be a Dask scheduler address, "
                                 "e.g. tcp://127.0.0.1:8786")  # fmt: skip
    return RunOptions(workers, scheduler, None if shard is None else parse_shard(shard))


def open_executor(options: RunOptions):
    """The executor for ``options``; a scheduler that cannot be reached is a usage error."""
    from cnnbench.bench.executors import make_executor
    from cnnbench.bench.executors_dask import ClusterUnavailable

    try:
        return make_executor(options.workers, options.scheduler)
    except ClusterUnavailable as exc:
        raise ParameterError("--scheduler", options.scheduler, str(exc)) from None


def progress_bar(verb: str) -> Progress:
    """Units done / total across every worker, on stderr; gone when the run ends."""
    return Progress(TextColumn(f"[bold]{verb}[/] {{task.description}}"), BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=err_console,
                    transient=True)  # fmt: skip


def run_checks(claims, options: RunOptions):
    """Every claim, serially (the reference: :func:`run_claims`, as always) or through the
    executor; Ctrl-C keeps what finished. Returns a
    :class:`cnnbench.analysis.claims._plan.PlanOutcome`."""
    from cnnbench.analysis.claims import run_claims
    from cnnbench.analysis.claims._plan import PlanOutcome, run_claims_on

    progress = progress_bar("checking")
    with progress:
        task = progress.add_task(claims[0].id, total=len(claims))
        if not options.distributed:
            results = []
            try:
                for i, result in enumerate(run_claims(claims)):
                    results.append(result)
                    nxt = claims[i + 1].id if i + 1 < len(claims) else "done"
                    progress.update(task, advance=1, description=nxt)
            except KeyboardInterrupt:
                missing = tuple(c.id for c in claims[len(results):])
                return PlanOutcome(tuple(results), missing, "interrupted (Ctrl-C)", True)
            return PlanOutcome(tuple(results))

        def tick(done: int, total: int, name: str) -> None:
            progress.update(task, total=total, completed=done,
                            description=f"units ({escape(name[:60])})")  # fmt: skip

        executor = open_executor(options)
        try:
            return run_claims_on(executor, claims, progress=tick)
        finally:
            executor.close()


def report_missing(outcome, out_note: str) -> None:
    """Say which claims did not finish and why (interrupted, or workers lost)."""
    shown = ", ".join(outcome.missing[:12]) + (" ..." if len(outcome.missing) > 12 else "")
    err_console.print(f"[yellow]{escape(outcome.reason)}[/]: kept {len(outcome.results)} "
                      f"finished claims{out_note}; {len(outcome.missing)} missing: "
                      f"{escape(shown)}")  # fmt: skip
