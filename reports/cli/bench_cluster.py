"""``cnnbench bench --scheduler``: the sweep timed by a Dask cluster's BENCH/GPU workers."""

from __future__ import annotations

import sys

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.results_io import ResultsFileError
from cnnbench.reports.cli._app import EXIT_FAILED, err_console, parameter_error, usage_error
from cnnbench.reports.cli.distribute import open_executor, progress_bar
from rich.markup import escape


def require_resource(executor, resources: dict[str, float], scheduler: str) -> None:
    """Refuse at once when no worker offers the resource (the tasks would wait forever)."""
    workers = executor.workers().values()
    if any(all(w.get("resources", {}).get(r, 0) >= n for r, n in resources.items())
           for w in workers):  # fmt: skip
        return
    need = ",".join(f"{r}={n:g}" for r, n in resources.items())
    raise ParameterError("--scheduler", scheduler, f"has {len(workers)} worker(s), none with "
                         f"the resource {need} that timing needs: start one per device with "
                         f"`dask worker {scheduler} --nthreads 1 --resources {need}` "
                         "(README: More than one machine)")  # fmt: skip


def run_on_cluster(options, chosen, out, prof, dev, threads, resume, force, cfg):
    """Run the sweep on the cluster; a lost worker's missing workloads end the run with exit 1
    (what finished is in ``out``: ``--resume`` runs the rest)."""
    from cnnbench.bench.sweep_dist import resource_for, run_sweep_on

    try:
        executor = open_executor(options)
    except ParameterError as exc:
        raise parameter_error(exc) from None
    try:
        require_resource(executor, resource_for(dev), options.scheduler)
    except ParameterError as exc:
        executor.close()
        raise parameter_error(exc) from None
    progress = progress_bar("bench")
    try:
        with progress:
            task = progress.add_task("on the cluster", total=len(chosen))

            def tick(done: int, total: int, key: str) -> None:
                progress.update(task, total=total, completed=done, description=escape(key[:60]))

            def notice(message: str) -> None:
                progress.console.print(f"[yellow]warning:[/] {escape(message)}")

            outcome, missing, reason = run_sweep_on(
                executor, chosen, out, profile=prof, device=dev, threads=threads, resume=resume,
                force=force, config=cfg, progress=tick, notice=notice, command=" ".join(sys.argv))
    except ResultsFileError as exc:
        raise usage_error(f"`--out`: {exc}") from None
    finally:
        executor.close()
    if missing:
        shown = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
        err_console.print(f"[yellow]{escape(reason)}[/]: kept {len(outcome.done)} finished "
                          f"workloads in {out}; {len(missing)} missing (rerun with --resume): "
                          f"{escape(shown)}")  # fmt: skip
        raise typer.Exit(EXIT_FAILED)
    return outcome
